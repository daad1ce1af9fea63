"""sObject Collections through simple-salesforce's ``restful``: partial failures, allOrNone,
upsert collections."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest


def account(name: str | None, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"attributes": {"type": "Account"}, **extra}
    if name is not None:
        record["Name"] = name
    return record


def test_partial_failure_keeps_the_valid_records(sf: Salesforce) -> None:
    results = sf.restful("composite/sobjects", method="POST", json={
        "allOrNone": False,
        "records": [account("Good 1"), account(None), account("Good 2", CurrencyIsoCode="ZZZ")],
    })
    assert results is not None
    assert results[0]["success"] is True
    assert results[1] == {"success": False, "errors": [
        {"statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [Name]",
         "fields": ["Name"]}]}
    assert results[2]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    names = [r["Name"] for r in sf.query("SELECT Name FROM Account")["records"]]
    assert names == ["Good 1"]


def test_all_or_none_rolls_everything_back(sf: Salesforce) -> None:
    results = sf.restful("composite/sobjects", method="POST", json={
        "allOrNone": True, "records": [account("Good"), account(None)]})
    assert results is not None
    assert results[0]["success"] is False
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


def test_update_and_delete_collections(sf: Salesforce) -> None:
    created = sf.restful("composite/sobjects", method="POST", json={
        "records": [account("One"), account("Two")]})
    assert created is not None
    one, two = (result["id"] for result in created)
    updated = sf.restful("composite/sobjects", method="PATCH", json={"records": [
        {"attributes": {"type": "Account"}, "Id": one, "Billing_Status__c": "Synced"},
        {"attributes": {"type": "Account"}, "Id": two, "Billing_Status__c": "Bogus"}]})
    assert updated is not None
    assert [result["success"] for result in updated] == [True, False]
    assert sf.Account.get(one)["Billing_Status__c"] == "Synced"
    deleted = sf.restful("composite/sobjects", method="DELETE",
                         params={"ids": f"{one},{two}", "allOrNone": "false"})
    assert deleted is not None
    assert [result["success"] for result in deleted] == [True, True]


def test_upsert_collection_reports_created(sf: Salesforce) -> None:
    sf.Account.create({"Name": "Existing", "Accord_Id__c": "cus_a"})
    results = sf.restful("composite/sobjects/Account/Accord_Id__c", method="PATCH", json={
        "allOrNone": False,
        "records": [account("Renamed", Accord_Id__c="cus_a"),
                    account("Fresh", Accord_Id__c="cus_b"),
                    account("Twin 1", Accord_Id__c="cus_c"),
                    account("Twin 2", Accord_Id__c="cus_c")],
    })
    assert results is not None
    assert [(r["success"], r.get("created")) for r in results[:2]] == [(True, False), (True, True)]
    assert [r["errors"][0]["statusCode"] for r in results[2:]] == ["DUPLICATE_EXTERNAL_ID"] * 2
    names = sorted(r["Name"] for r in sf.query("SELECT Name FROM Account")["records"])
    assert names == ["Fresh", "Renamed"]


def test_more_than_200_records_is_refused(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.restful("composite/sobjects", method="POST",
                   json={"records": [account(f"n{i}") for i in range(201)]})
    assert caught.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
