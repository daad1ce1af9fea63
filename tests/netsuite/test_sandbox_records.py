"""The REST record service: reference data, create/get/patch/upsert/delete, lists."""

from __future__ import annotations

import httpx
import pytest
from tests.netsuite.conftest import created_id, error_of


def test_seeded_reference_data(ns: httpx.Client) -> None:
    usd = ns.get("/record/v1/currency/1").json()
    assert (usd["symbol"], usd["currencyPrecision"]) == ("USD", 2)
    assert ns.get("/record/v1/currency/3").json()["currencyPrecision"] == 0
    subsidiaries = {s["name"]: s for s in (ns.get(f"/record/v1/subsidiary/{i}").json()
                                            for i in (1, 2, 3))}
    assert subsidiaries["DE01"]["currency"]["refName"] == "EUR"
    assert subsidiaries["JP01"]["currency"]["id"] == "3"
    accounts = [ns.get(f"/record/v1/account/{i}").json() for i in range(1, 10)]
    assert {a["acctNumber"]: a["acctType"]["id"] for a in accounts}.items() >= {
        "1000": "Bank", "1100": "OthCurrAsset", "1200": "AcctRec", "2200": "OthCurrLiab",
        "4000": "Income", "6100": "Expense"}.items()
    assert accounts[2]["acctType"]["refName"] == "Accounts Receivable"
    assert subsidiaries["DE01"]["country"] == {"id": "DE", "refName": "Germany"}
    periods = ns.get("/record/v1/accountingPeriod").json()
    assert periods["totalResults"] == 3
    states = [ns.get(f"/record/v1/accountingperiod/{p['id']}").json() for p in periods["items"]]
    assert [p["closed"] for p in states] == [True, False, False]
    assert ns.get("/record/v1/serviceSaleItem/201").json()["itemId"] == "SUBSCRIPTION"
    assert ns.get("/record/v1/term/1").json()["name"] == "Net 30"


def test_create_answers_204_with_location_then_get(ns: httpx.Client) -> None:
    answer = ns.post("/record/v1/customer", json={
        "companyName": "Northwind GmbH", "externalId": "cus_1", "subsidiary": {"id": "2"},
        "terms": {"id": "1"}, "defaultTaxReg": "DE123456789", "email": "ap@northwind.example",
        "currencyList": {"items": [{"currency": {"id": "1"}}]},
        "taxRegistration": {"items": [{"taxRegistrationNumber": "DE123456789",
                                       "nexusCountry": "DE"}]}})
    assert answer.status_code == 204
    assert answer.content == b""
    location = answer.headers["Location"]
    assert location.startswith(str(ns.base_url).rstrip("/") + "/record/v1/customer/")
    internal_id = created_id(answer)
    record = ns.get(f"/record/v1/customer/{internal_id}").json()
    assert record["id"] == internal_id
    assert record["externalId"] == "cus_1"
    assert record["currency"]["refName"] == "EUR"  # defaults to the subsidiary's
    assert record["subsidiary"] == {"links": [{"rel": "self", "href": str(ns.base_url).rstrip(
        "/") + "/record/v1/subsidiary/2"}], "id": "2", "refName": "DE01"}
    assert record["creditHoldOverride"] == "AUTO"
    assert record["currencyList"] == {
        "links": [{"rel": "self", "href": f"{location}/currencyList"}]}
    assert "lastModifiedDate" in record
    expanded = ns.get(f"/record/v1/customer/{internal_id}",
                      params={"expandSubResources": "true"}).json()
    assert expanded["currencyList"]["items"][0]["currency"]["refName"] == "USD"
    assert expanded["taxRegistration"]["totalResults"] == 1
    sublist = ns.get(f"/record/v1/customer/{internal_id}/taxRegistration").json()
    assert sublist["items"][0]["taxRegistrationNumber"] == "DE123456789"
    by_eid = ns.get("/record/v1/customer/eid:cus_1").json()
    assert by_eid["id"] == internal_id


def test_patch_updates_fields(ns: httpx.Client, control: httpx.Client) -> None:
    internal_id = created_id(ns.post("/record/v1/customer", json={
        "companyName": "Acme", "subsidiary": {"id": "1"}}))
    before = ns.get(f"/record/v1/customer/{internal_id}").json()
    control.post("/clock/advance", json={"seconds": 60}).raise_for_status()
    patched = ns.patch(f"/record/v1/customer/{internal_id}", json={"email": "a@acme.example"})
    assert patched.status_code == 204
    after = ns.get(f"/record/v1/customer/{internal_id}").json()
    assert after["email"] == "a@acme.example"
    assert after["companyName"] == "Acme"
    assert after["lastModifiedDate"] > before["lastModifiedDate"]


def test_put_on_external_id_upserts(ns: httpx.Client) -> None:
    first = ns.put("/record/v1/customer/eid:CID-42", json={
        "companyName": "Globex", "subsidiary": {"id": "1"}})
    internal_id = created_id(first)
    second = ns.put("/record/v1/customer/eid:CID-42", json={"companyName": "Globex Corp"})
    assert created_id(second) == internal_id
    record = ns.get("/record/v1/customer/eid:CID-42").json()
    assert (record["id"], record["companyName"]) == (internal_id, "Globex Corp")
    assert ns.get("/record/v1/customer").json()["totalResults"] == 1
    not_eid = ns.put(f"/record/v1/customer/{internal_id}", json={"companyName": "x"})
    assert not_eid.status_code == 405


def test_external_id_is_unique_per_record_type(ns: httpx.Client) -> None:
    body = {"companyName": "Initech", "subsidiary": {"id": "1"}, "externalId": "dup-1"}
    created_id(ns.post("/record/v1/customer", json=body))
    again = ns.post("/record/v1/customer", json=body)
    assert again.status_code == 400
    detail = error_of(again)
    assert (detail["o:errorCode"], detail["o:errorPath"]) == ("DUP_RCRD", "externalId")
    # the same external id on another record type is fine
    created_id(ns.post("/record/v1/serviceSaleItem", json={"itemId": "X", "externalId": "dup-1"}))


def test_items_of_each_type(ns: httpx.Client) -> None:
    for record_type in ("inventoryItem", "nonInventorySaleItem", "serviceSaleItem"):
        internal_id = created_id(ns.post(f"/record/v1/{record_type}", json={
            "itemId": f"SKU-{record_type}", "incomeAccount": {"id": "5"},
            "basePrice": 12.5}))
        record = ns.get(f"/record/v1/{record_type}/{internal_id}").json()
        assert record["itemId"] == f"SKU-{record_type}"
        assert record["incomeAccount"]["refName"] == "Subscription Revenue"
        assert str(record["basePrice"]) == "12.5"


def test_list_pages_carry_links_and_counts(ns: httpx.Client) -> None:
    ids = [created_id(ns.post("/record/v1/customer", json={
        "companyName": f"C{i}", "subsidiary": {"id": "1"}})) for i in range(7)]
    first = ns.get("/record/v1/customer", params={"limit": 3}).json()
    assert (first["count"], first["hasMore"], first["offset"], first["totalResults"]) == \
        (3, True, 0, 7)
    rels = {link["rel"]: link["href"] for link in first["links"]}
    assert rels["next"].endswith("limit=3&offset=3")
    assert rels["last"].endswith("limit=3&offset=6")
    seen: list[str] = []
    offset = 0
    while True:
        page = ns.get("/record/v1/customer", params={"limit": 3, "offset": offset}).json()
        seen += [item["id"] for item in page["items"]]
        if not page["hasMore"]:
            break
        offset += page["count"]
    assert seen == ids
    assert ns.get("/record/v1/customer", params={"limit": 0}).status_code == 400


def test_record_lists_filter_with_q(ns: httpx.Client) -> None:
    def make(name: str, subsidiary: str, limit: int | None = None, inactive: bool = False
             ) -> str:
        body: dict[str, object] = {"companyName": name, "subsidiary": {"id": subsidiary},
                                   "isInactive": inactive}
        if limit is not None:
            body["creditLimit"] = limit
        return created_id(ns.post("/record/v1/customer", json=body))

    acme = make("Acme Corp", "1", 5000)
    acme_eu = make("ACME Europe", "2", 500)
    globex = make("Globex", "1", 20000, inactive=True)
    make("Initech", "3")

    def ids(q: str) -> list[str]:
        answer = ns.get("/record/v1/customer", params={"q": q})
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert ids('companyName START_WITH "acme"') == [acme, acme_eu]
    assert ids("companyName CONTAIN corp") == [acme]
    assert ids("creditLimit GREATER_OR_EQUAL 5000") == [acme, globex]
    assert ids("creditLimit BETWEEN [400, 6000]") == [acme, acme_eu]
    assert ids("subsidiary ANY_OF [2, 3] AND creditLimit EMPTY_NOT") == [acme_eu]
    assert ids('(subsidiary EQUAL 1 OR companyName IS "Initech") AND isInactive IS false') \
        == [acme, ids("companyName IS initech")[0]]
    assert ids("creditLimit EMPTY") == ids("companyName IS Initech")
    assert ids(f"id ANY_OF {acme}, {globex}") == [acme, globex]
    page = ns.get("/record/v1/customer", params={"q": "companyName START_WITH a",
                                                 "limit": 1}).json()
    assert (page["totalResults"], page["hasMore"]) == (2, True)
    for bad in ("nosuchfield IS x", "companyName SOUNDS_LIKE x", "companyName IS"):
        answer = ns.get("/record/v1/customer", params={"q": bad})
        assert answer.status_code == 400
        assert error_of(answer)["o:errorCode"] == "INVALID_PARAMETER"


def test_delete_then_404(ns: httpx.Client) -> None:
    internal_id = created_id(ns.post("/record/v1/customer", json={
        "companyName": "Gone", "subsidiary": {"id": "1"}}))
    assert ns.delete(f"/record/v1/customer/{internal_id}").status_code == 204
    missing = ns.get(f"/record/v1/customer/{internal_id}")
    assert missing.status_code == 404
    assert error_of(missing)["o:errorCode"] == "NONEXISTENT_ID"


@pytest.mark.parametrize(("body", "code", "path"), [
    ({"companyName": "X", "subsidiary": {"id": "99"}}, "INVALID_KEY_OR_REF", "subsidiary"),
    ({"companyName": "X"}, "USER_ERROR", "subsidiary"),
    ({"subsidiary": {"id": "1"}}, "USER_ERROR", "companyName"),
    ({"companyName": 5.5, "subsidiary": {"id": "1"}}, "INVALID_CONTENT", "companyName"),
    ({"companyName": "X", "subsidiary": {"id": "1"}, "creditHoldOverride": "MAYBE"},
     "INVALID_CONTENT", "creditHoldOverride"),
])
def test_field_errors_name_the_path(ns: httpx.Client, body: dict[str, object], code: str,
                                    path: str) -> None:
    answer = ns.post("/record/v1/customer", json=body)
    assert answer.status_code == 400
    detail = error_of(answer)
    assert (detail["o:errorCode"], detail["o:errorPath"]) == (code, path)


def test_unknown_fields_fail_only_with_strict_property_validation(ns: httpx.Client) -> None:
    body = {"companyName": "X", "subsidiary": {"id": "1"}, "favouriteColour": "blue"}
    assert ns.post("/record/v1/customer", json=body).status_code == 204
    strict = ns.post("/record/v1/customer", json=body,
                     headers={"X-NetSuite-PropertyNameValidation": "error"})
    assert strict.status_code == 400
    assert error_of(strict)["o:errorPath"] == "favouriteColour"
    assert ns.get("/record/v1/nosuchrecord").status_code == 404
    bad_json = ns.post("/record/v1/customer", content=b"{nope")
    assert error_of(bad_json)["o:errorCode"] == "INVALID_CONTENT"


def test_reset_seeds_periods_for_the_real_month(ns: httpx.Client,
                                                control: httpx.Client) -> None:
    before = [ns.get(f"/record/v1/accountingPeriod/{i}").json()["periodName"]
              for i in (100, 101, 102)]
    control.post("/clock/advance", json={"seconds": 70 * 86400}).raise_for_status()
    control.post("/reset").raise_for_status()
    after = [ns.get(f"/record/v1/accountingPeriod/{i}").json()["periodName"]
             for i in (100, 101, 102)]
    assert after == before


def test_state_dump_and_reset(ns: httpx.Client, control: httpx.Client) -> None:
    created_id(ns.post("/record/v1/customer", json={"companyName": "Dumped",
                                                    "subsidiary": {"id": "1"}}))
    dump = control.get("/state").json()
    assert [c["companyName"] for c in dump["customer"]] == ["Dumped"]
    control.post("/reset").raise_for_status()
    assert "customer" not in control.get("/state").json()
    assert ns.get("/record/v1/subsidiary").json()["totalResults"] == 3
