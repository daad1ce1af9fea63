"""The configuration ``accord demo --crm`` gives accord: read back the way accord reads its
``accord.toml`` (``configured_routing``, the systems' tables), each legal entity's CRM is the
one its sales team works in, and the rest of the shipped routing is kept."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from accord.canonical.roles import Role
from accord.demo.crms import HUBSPOT_ENTITY, CrmChoice, configure
from accord.routing import RoutingContext, route
from accord.routing.rules import configured_routing

WRITTEN = """[systems.hubspot]
base_url = "http://127.0.0.1:1"
enabled = false

[systems.salesforce]
instance_url = "https://127.0.0.1:2"

[schedules."poll.hubspot.deals"]
every = 2
"""
"""The shape ``accord init --sandboxes`` writes: HubSpot's table switched off."""


def configured(tmp_path: Path, choice: CrmChoice) -> dict[str, Any]:
    path = tmp_path / "accord.toml"
    path.write_text(WRITTEN, encoding="utf-8")
    configure(path, choice)
    return tomllib.loads(path.read_text(encoding="utf-8"))


def targets(config: dict[str, Any], legal_entity: str) -> tuple[str, str, str]:
    table = configured_routing(config)
    assert table is not None
    chosen = route(table, RoutingContext(legal_entity=legal_entity),
                   (Role.CRM, Role.BILLING, Role.ERP))
    return chosen.target(Role.CRM), chosen.target(Role.BILLING), chosen.target(Role.ERP)


def test_salesforce_leaves_the_file_as_init_wrote_it(tmp_path: Path) -> None:
    path = tmp_path / "accord.toml"
    path.write_text(WRITTEN, encoding="utf-8")
    configure(path, CrmChoice.SALESFORCE)
    assert path.read_text(encoding="utf-8") == WRITTEN


def test_both_routes_one_entity_to_each_crm_with_one_billing_system(tmp_path: Path) -> None:
    config = configured(tmp_path, CrmChoice.BOTH)
    assert config["systems"]["hubspot"]["enabled"] is True
    assert config["systems"]["hubspot"]["base_url"] == "http://127.0.0.1:1"
    assert "enabled" not in config["systems"]["salesforce"]
    assert config["schedules"]["poll.hubspot.deals"] == {"every": 2}
    assert targets(config, HUBSPOT_ENTITY) == ("hubspot", "stripe", "netsuite-eu")
    assert targets(config, "US01") == ("salesforce", "stripe", "netsuite")


@pytest.mark.parametrize("entity", [HUBSPOT_ENTITY, "US01"])
def test_hubspot_alone_sells_for_every_entity(tmp_path: Path, entity: str) -> None:
    config = configured(tmp_path, CrmChoice.HUBSPOT)
    assert config["systems"]["hubspot"]["enabled"] is True
    assert config["systems"]["salesforce"]["enabled"] is False
    assert targets(config, entity)[0] == "hubspot"
    # the catch-all rule names HubSpot too: it is the CRM of anything unrouted
    table = configured_routing(config)
    assert table is not None
    assert [rule.targets.get(Role.CRM) for rule in table.rules if not
            rule.when.model_dump(exclude_none=True)] == ["hubspot"]
