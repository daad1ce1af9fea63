"""Routing rules and their evaluation. Pure functions over a validated table."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accord.canonical.roles import Role
from accord.errors import PermanentError
from accord.settings import ConfigFileError, read_config_file

DEFAULT_TABLE = Path(__file__).parent / "tables" / "default.v1.toml"


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    legal_entity: tuple[str, ...] | None = None
    country: tuple[str, ...] | None = None
    region: tuple[str, ...] | None = None
    currency: tuple[str, ...] | None = None
    wave: tuple[str, ...] | None = Field(default=None, description="migration wave")

    def holds(self, context: RoutingContext) -> bool:
        checks = ((self.legal_entity, context.legal_entity), (self.country, context.country),
                  (self.region, context.region), (self.currency, context.currency),
                  (self.wave, context.wave))
        return all(allowed is None or value in allowed for allowed, value in checks)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    when: Condition = Condition()
    targets: dict[Role, str] = Field(min_length=1)


class RoutingTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    rules: tuple[Rule, ...] = Field(min_length=1)


@dataclass(frozen=True)
class RoutingContext:
    legal_entity: str
    currency: str | None = None
    country: str | None = None
    region: str | None = None
    wave: str | None = None


@dataclass(frozen=True)
class Route:
    targets: dict[Role, str]
    because: dict[Role, str] = field(default_factory=dict)

    def target(self, role: Role) -> str:
        return self.targets[role]


class RoutingError(PermanentError):
    code = "routing"


def route(table: RoutingTable, context: RoutingContext,
          roles: tuple[Role, ...] | None = None) -> Route:
    """Pick, for each role (by default every role the table routes), the target named by the
    first rule that applies."""
    if roles is None:
        roles = tuple(role for role in Role
                      if any(role in rule.targets for rule in table.rules))
    targets: dict[Role, str] = {}
    because: dict[Role, str] = {}
    for rule in table.rules:
        if not rule.when.holds(context):
            continue
        for role, system in rule.targets.items():
            if role in roles and role not in targets:
                targets[role] = system
                because[role] = rule.name
    missing = [role.value for role in roles if role not in targets]
    if missing:
        raise RoutingError(f"no routing rule gives a {', '.join(missing)} target for legal "
                           f"entity {context.legal_entity}")
    return Route(targets, because)


def load_routing(path: Path | None = None) -> RoutingTable:
    """The table in ``path``; without one, the ``[routing]`` table of ``accord.toml`` when
    it lists rules, else the default table. A deployment routes a role to another system
    through configuration alone::

        [[routing.rules]]
        name = "default"
        targets = { crm = "salesforce", billing = "acme-billing", erp = "netsuite" }
    """
    if path is None:
        configured = configured_routing()
        if configured is not None:
            return configured
    source = path or DEFAULT_TABLE
    return RoutingTable.model_validate(tomllib.loads(source.read_text(encoding="utf-8")))


def configured_routing(config: Mapping[str, Any] | None = None) -> RoutingTable | None:
    """The routing table ``accord.toml`` (or ``config``) gives in ``[routing]``, or None."""
    data = read_config_file() if config is None else config
    table = data.get("routing")
    if not isinstance(table, Mapping) or "rules" not in table:
        return None
    try:
        return RoutingTable.model_validate({"version": "config", **table})
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise ConfigFileError(f"routing.{where}: {problem['msg']}") from None


__all__ = ["DEFAULT_TABLE", "Condition", "Role", "Route", "RoutingContext", "RoutingError",
           "RoutingTable", "Rule", "configured_routing", "load_routing", "route"]
