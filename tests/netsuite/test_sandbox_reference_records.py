"""Reference records can be created, read, updated and queried like any other."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.netsuite.conftest import created_id


@pytest.mark.parametrize(("record_type", "body", "table", "column", "value"), [
    ("currency", {"name": "Swiss Franc", "symbol": "CHF", "currencyPrecision": 2},
     "currency", "symbol", "CHF"),
    ("subsidiary", {"name": "UK01", "currency": {"id": "4"}, "country": "GB"},
     "subsidiary", "name", "UK01"),
    ("account", {"acctNumber": "4300", "acctName": "Hardware Revenue", "acctType": "Income"},
     "account", "acctnumber", "4300"),
    ("accountingPeriod", {"periodName": "Adj 2030", "startDate": "2030-12-31",
                          "endDate": "2030-12-31"}, "accountingperiod", "periodname",
     "Adj 2030"),
    ("term", {"name": "Net 60", "daysUntilNetDue": 60}, "term", "name", "Net 60"),
    ("department", {"name": "Support"}, "department", "name", "Support"),
    ("classification", {"name": "Services"}, "classification", "name", "Services"),
    ("location", {"name": "Berlin"}, "location", "name", "Berlin"),
])
def test_reference_record_lifecycle(ns: httpx.Client, record_type: str, body: dict[str, Any],
                                    table: str, column: str, value: str) -> None:
    internal_id = created_id(ns.post(f"/record/v1/{record_type}",
                                     json={**body, "externalId": f"x-{record_type}"}))
    assert ns.get(f"/record/v1/{record_type}/eid:x-{record_type}").json()["id"] == internal_id
    flag = "closed" if record_type == "accountingPeriod" else "isInactive"
    assert ns.patch(f"/record/v1/{record_type}/{internal_id}",
                    json={flag: True}).status_code == 204
    assert ns.get(f"/record/v1/{record_type}/{internal_id}").json()[flag] is True
    rows = ns.post("/query/v1/suiteql", json={
        "q": f"SELECT id, {column} FROM {table} WHERE externalid = 'x-{record_type}'"},
        headers={"Prefer": "transient"}).json()["items"]
    assert rows == [{"links": [], "id": internal_id, column: value}]


def test_a_period_must_not_end_before_it_starts(ns: httpx.Client) -> None:
    answer = ns.post("/record/v1/accountingPeriod", json={
        "periodName": "Backwards", "startDate": "2030-02-01", "endDate": "2030-01-01"})
    assert answer.status_code == 400
    assert answer.json()["o:errorDetails"][0]["o:errorPath"] == "startDate"


def test_the_earlier_period_flag_name_is_still_accepted(ns: httpx.Client) -> None:
    answer = ns.patch("/record/v1/accountingPeriod/100", json={"isClosed": False})
    assert answer.status_code == 204
    period = ns.get("/record/v1/accountingPeriod/100").json()
    assert period["closed"] is False
    assert "isClosed" not in period


def test_select_fields_take_an_id_or_the_bare_value(ns: httpx.Client) -> None:
    first = created_id(ns.post("/record/v1/account", json={
        "acctNumber": "4310", "acctName": "A", "acctType": {"id": "Income"}}))
    second = created_id(ns.post("/record/v1/account", json={
        "acctNumber": "4320", "acctName": "B", "acctType": "OthIncome"}))
    assert ns.get(f"/record/v1/account/{first}").json()["acctType"] == {
        "id": "Income", "refName": "Income"}
    assert ns.get(f"/record/v1/account/{second}").json()["acctType"] == {
        "id": "OthIncome", "refName": "Other Income"}
    refused = ns.post("/record/v1/account", json={"acctNumber": "4330", "acctName": "C",
                                                  "acctType": "Nonsense"})
    assert refused.status_code == 400
    assert refused.json()["o:errorDetails"][0]["o:errorPath"] == "acctType"
