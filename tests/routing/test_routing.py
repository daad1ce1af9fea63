"""Routing picks targets per role: first matching rule wins, gaps are errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from accord.routing import Role, RoutingContext, RoutingError, RoutingTable, load_routing, route
from accord.routing.rules import DEFAULT_TABLE
from accord.settings import ConfigFileError


def test_default_table_routes_eu_entities_to_the_eu_erp() -> None:
    table = load_routing()
    eu = route(table, RoutingContext(legal_entity="DE01", currency="EUR"))
    assert eu.targets == {Role.ERP: "netsuite-eu", Role.CRM: "salesforce",
                          Role.BILLING: "stripe"}
    assert eu.because[Role.ERP].startswith("EU legal entities")
    us = route(table, RoutingContext(legal_entity="US01", currency="USD"))
    assert us.target(Role.ERP) == "netsuite"


def test_migration_wave_and_currency_conditions() -> None:
    table = RoutingTable.model_validate({
        "version": "v1",
        "rules": [
            {"name": "wave 2 moves to SAP", "when": {"wave": ["2"], "currency": ["EUR", "GBP"]},
             "targets": {"erp": "sap-s4"}},
            {"name": "default", "targets": {"erp": "netsuite"}},
        ]})
    moved = RoutingContext(legal_entity="UK01", currency="GBP", wave="2")
    assert route(table, moved, roles=(Role.ERP,)).target(Role.ERP) == "sap-s4"
    not_yet = RoutingContext(legal_entity="UK01", currency="GBP", wave="3")
    assert route(table, not_yet, roles=(Role.ERP,)).target(Role.ERP) == "netsuite"


def test_a_missing_target_is_a_routing_error() -> None:
    table = RoutingTable.model_validate({
        "version": "v1", "rules": [{"name": "only US", "when": {"legal_entity": ["US01"]},
                                    "targets": {"erp": "netsuite"}}]})
    with pytest.raises(RoutingError, match="no routing rule gives a erp target for legal "
                                           "entity JP01"):
        route(table, RoutingContext(legal_entity="JP01"), roles=(Role.ERP,))


def test_malformed_rules_name_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        RoutingTable.model_validate({"version": "v1", "rules": [
            {"name": "x", "targets": {"warehouse": "sap"}}]})
    assert caught.value.errors()[0]["loc"][:3] == ("rules", 0, "targets")


def test_accord_toml_routes_a_role_to_another_system(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "routed.toml"
    config.write_text('[[routing.rules]]\nname = "default"\n'
                      'targets = { crm = "salesforce", billing = "acme", erp = "netsuite" }\n')
    monkeypatch.setenv("ACCORD_CONFIG", str(config))
    table = load_routing()
    assert route(table, RoutingContext(legal_entity="DE01")).targets == {
        Role.CRM: "salesforce", Role.BILLING: "acme", Role.ERP: "netsuite"}
    config.write_text('[[routing.rules]]\nname = "x"\ntargets = { warehouse = "sap" }\n')
    with pytest.raises(ConfigFileError, match=r"routing\.rules\.0\.targets"):
        load_routing()
    config.write_text('[routing]\n')
    assert load_routing() == load_routing(DEFAULT_TABLE)
