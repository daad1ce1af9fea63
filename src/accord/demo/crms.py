"""Which CRM the demo's company sells from (``accord demo --crm``), and the configuration
its operator gives accord for it.

* ``salesforce`` (the default): every legal entity sells from Salesforce, as ``accord init
  --sandboxes`` writes it.
* ``hubspot``: every legal entity sells from HubSpot; Salesforce is switched off.
* ``both``: after an acquisition the EU entity (:data:`HUBSPOT_ENTITY`) sells from HubSpot
  and the other from Salesforce, with one billing system and one ERP; a customer both sell
  to is entered in both CRMs.

accord is told only through ``accord.toml``: the ``[systems.<crm>]`` tables switched on or
off and a ``[[routing.rules]]`` table naming each legal entity's CRM (the flows read a deal
from the CRM that reported it and write back to the CRMs that know the customer).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

from accord.canonical.roles import Role
from accord.demo.hubspot import HubSpotTeam
from accord.demo.sales import Sales, SalesTeam
from accord.demo.salesforce import SalesforceTeam
from accord.demo.scenario import AccountPlan
from accord.routing import Condition, RoutingTable, Rule, load_routing
from accord.routing.rules import DEFAULT_TABLE

SALESFORCE = SalesforceTeam.system
HUBSPOT = HubSpotTeam.system
HUBSPOT_ENTITY = "DE01"
"""The legal entity that sells from HubSpot in the ``both`` month (the acquired one)."""


class CrmChoice(StrEnum):
    SALESFORCE = "salesforce"
    HUBSPOT = "hubspot"
    BOTH = "both"


def teams(choice: CrmChoice, credentials: Mapping[str, Mapping[str, str]]) -> Sales:
    """The sales teams of ``choice``, over the CRMs' sandbox credentials."""
    made: dict[str, SalesTeam] = {}
    if choice is not CrmChoice.HUBSPOT:
        made[SALESFORCE] = SalesforceTeam(credentials[SALESFORCE])
    if choice is not CrmChoice.SALESFORCE:
        made[HUBSPOT] = HubSpotTeam(credentials[HUBSPOT])

    def home(account: AccountPlan) -> str:
        if choice is CrmChoice.BOTH:
            return HUBSPOT if account.legal_entity == HUBSPOT_ENTITY else SALESFORCE
        return str(choice.value)

    return Sales(made, home)


def routing(choice: CrmChoice, base: RoutingTable | None = None) -> RoutingTable:
    """The shipped routing table with the CRM role as ``choice`` wants it."""
    table = base or load_routing(DEFAULT_TABLE)
    rules = list(table.rules)
    if choice is CrmChoice.HUBSPOT:
        rules = [rule.model_copy(update={"targets": {
            role: HUBSPOT if role is Role.CRM else target
            for role, target in rule.targets.items()}}) for rule in rules]
    elif choice is CrmChoice.BOTH:
        rules.insert(len(rules) - 1, Rule(
            name=f"{HUBSPOT_ENTITY} sells from HubSpot",
            when=Condition(legal_entity=(HUBSPOT_ENTITY,)), targets={Role.CRM: HUBSPOT}))
    return RoutingTable(version=f"{table.version}-crm-{choice.value}", rules=tuple(rules))


def _inline(values: Mapping[str, object]) -> str:
    return "{ " + ", ".join(f"{key} = {json.dumps(value)}" for key, value in values.items()) \
        + " }"


def routing_lines(table: RoutingTable) -> list[str]:
    lines = ["# which system plays each role, per legal entity (first match wins per role)",
             "[routing]", f"version = {json.dumps(table.version)}", ""]
    for rule in table.rules:
        lines.append("[[routing.rules]]")
        lines.append(f"name = {json.dumps(rule.name)}")
        when = {key: list(value) for key, value in
                rule.when.model_dump(exclude_none=True).items()}
        if when:
            lines.append(f"when = {_inline(when)}")
        lines.append(f"targets = {_inline({str(r.value): t for r, t in rule.targets.items()})}")
        lines.append("")
    return lines


def _set_enabled(lines: list[str], system: str, enabled: bool) -> list[str]:
    """``enabled`` in the ``[systems.<system>]`` table: set where written, else added."""
    header = f"[systems.{system}]"
    if header not in lines:
        return [*lines, header, f"enabled = {str(enabled).lower()}", ""]
    start = lines.index(header) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("[")), len(lines))
    kept = [line for line in lines[start:end] if not line.replace(" ", "").startswith(
        "enabled=")]
    return [*lines[:start], f"enabled = {str(enabled).lower()}", *kept, *lines[end:]]


def configure(path: Path, choice: CrmChoice) -> None:
    """Tune the ``accord.toml`` that ``accord init --sandboxes`` wrote for ``choice``."""
    if choice is CrmChoice.SALESFORCE:
        return
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = _set_enabled(lines, HUBSPOT, True)
    if choice is CrmChoice.HUBSPOT:
        lines = _set_enabled(lines, SALESFORCE, False)
    lines += routing_lines(routing(choice))
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # what accord will read must parse
    path.write_text(text, encoding="utf-8")


__all__ = ["HUBSPOT_ENTITY", "CrmChoice", "configure", "routing", "routing_lines", "teams"]
