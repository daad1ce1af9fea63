"""sObject resources driven with simple-salesforce only: CRUD, upsert, describe, errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)

from accord.sandboxes.salesforce.ids import checksum
from accord.sandboxes.server import RunningSandbox

from .conftest import control_url


def test_create_read_update_delete(sf: Salesforce) -> None:
    created = sf.Account.create({"Name": "Northwind", "BillingCity": "Berlin",
                                 "CurrencyIsoCode": "EUR"})
    assert created["success"] is True
    assert created["errors"] == []
    account_id = created["id"]
    assert len(account_id) == 18
    assert account_id.startswith("001")
    assert account_id[15:] == checksum(account_id[:15])

    record = sf.Account.get(account_id)
    assert record["attributes"] == {"type": "Account",
                                    "url": f"/services/data/v62.0/sobjects/Account/{account_id}"}
    assert (record["Name"], record["BillingCity"], record["CurrencyIsoCode"]) == (
        "Northwind", "Berlin", "EUR")
    assert record["CreatedDate"] == record["SystemModstamp"]
    assert record["CreatedDate"].endswith("+0000")

    assert sf.Account.update(account_id, {"Name": "Northwind GmbH"}) == 204
    assert sf.Account.get(account_id)["Name"] == "Northwind GmbH"
    # a 15-character id reaches the same record
    assert sf.Account.get(account_id[:15])["Id"] == account_id

    assert sf.Account.delete(account_id) == 204
    with pytest.raises(SalesforceResourceNotFound) as gone:
        sf.Account.get(account_id)
    assert gone.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"


def test_unknown_record_is_404_not_found(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Account.get("001000000000000AAA")
    assert caught.value.content == [{"message": "The requested resource does not exist",
                                     "errorCode": "NOT_FOUND", "fields": []}]


def test_upsert_by_external_id_creates_then_updates(sf: Salesforce) -> None:
    first = sf.Account.upsert("Accord_Id__c/cus_1", {"Name": "Acme"}, raw_response=True)
    assert first.status_code == 201
    assert first.json()["created"] is True
    second = sf.Account.upsert("Accord_Id__c/cus_1", {"Name": "Acme Inc"}, raw_response=True)
    assert second.status_code == 200
    assert second.json() == {"id": first.json()["id"], "success": True, "errors": [],
                             "created": False}
    fetched = sf.Account.get_by_custom_id("Accord_Id__c", "cus_1")
    assert fetched["Name"] == "Acme Inc"
    assert fetched["Accord_Id__c"] == "cus_1"


def test_upsert_with_several_matches_is_300(sf: Salesforce) -> None:
    sf.Account.create({"Name": "A", "Stripe_Customer_Id__c": "cus_dup"})
    sf.Account.create({"Name": "B", "Stripe_Customer_Id__c": "cus_dup"})
    with pytest.raises(SalesforceMoreThanOneRecord) as caught:
        sf.Account.upsert("Stripe_Customer_Id__c/cus_dup", {"Name": "C"})
    assert caught.value.status == 300
    assert len(caught.value.content) == 2
    assert all(url.startswith("/services/data/v62.0/sobjects/Account/")
               for url in caught.value.content)


@pytest.mark.parametrize(("obj", "body", "code", "fields"), [
    ("Opportunity", {"Name": "Deal"}, "REQUIRED_FIELD_MISSING", ["StageName", "CloseDate"]),
    ("Opportunity", {"Name": "Deal", "StageName": "Won-ish", "CloseDate": "2026-12-01"},
     "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["StageName"]),
    ("Opportunity", {"Name": "Deal", "StageName": "Closed Won", "CloseDate": "2026-12-01",
                     "IsWon": True}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["IsWon"]),
    ("Account", {"Name": "X", "NoSuchField__c": 1}, "INVALID_FIELD", []),
    ("Account", {"Name": "X", "CurrencyIsoCode": "XYZ"},
     "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["CurrencyIsoCode"]),
    ("Contact", {"LastName": "Weber", "Email": "not-an-email"}, "INVALID_EMAIL_ADDRESS",
     ["Email"]),
])
def test_validation_errors_raise_malformed_request(
        sf: Salesforce, obj: str, body: dict[str, object], code: str, fields: list[str]) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        getattr(sf, obj).create(body)
    assert caught.value.status == 400
    assert caught.value.content[0]["errorCode"] == code
    assert caught.value.content[0]["fields"] == fields
    assert caught.value.content[0]["message"]


def test_duplicate_unique_external_id_is_duplicate_value(sf: Salesforce) -> None:
    sf.Account.create({"Name": "A", "Accord_Id__c": "cus_same"})
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Account.create({"Name": "B", "Accord_Id__c": "cus_same"})
    assert caught.value.content[0]["errorCode"] == "DUPLICATE_VALUE"


def test_invalid_session_is_401(make_sf: Callable[..., Salesforce]) -> None:
    stranger = make_sf(session_id="00Dnotavalidsession")
    with pytest.raises(SalesforceExpiredSession) as caught:
        stranger.Account.create({"Name": "Nope"})
    assert caught.value.content[0]["errorCode"] == "INVALID_SESSION_ID"


def test_describe_reports_fields_picklists_and_external_ids(sf: Salesforce) -> None:
    described = sf.Opportunity.describe()
    fields = {field["name"]: field for field in described["fields"]}
    assert described["keyPrefix"] == "006"
    assert fields["StageName"]["type"] == "picklist"
    assert "Closed Won" in [value["value"] for value in fields["StageName"]["picklistValues"]]
    assert fields["IsWon"]["updateable"] is False
    assert fields["Accord_Id__c"]["externalId"] is True
    assert fields["AccountId"]["referenceTo"] == ["Account"]
    names = {entry["name"] for entry in sf.describe()["sobjects"]}
    assert {"Account", "Contact", "Opportunity", "OpportunityLineItem", "Product2",
            "Pricebook2", "PricebookEntry", "Contract"} <= names


def test_line_items_derive_prices_and_roll_up_the_amount(make_sf: Callable[..., Salesforce]
                                                         ) -> None:
    sf = make_sf(parse_float=Decimal)
    book = sf.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")["records"][0]["Id"]
    product = sf.Product2.create({"Name": "Platform", "ProductCode": "PLAT", "IsActive": True})
    entry = sf.PricebookEntry.create({"Pricebook2Id": book, "Product2Id": product["id"],
                                      "UnitPrice": 1200.10, "IsActive": True})
    account = sf.Account.create({"Name": "Acme"})
    opportunity = sf.Opportunity.create({"Name": "Acme deal", "AccountId": account["id"],
                                         "StageName": "Prospecting",
                                         "CloseDate": "2026-12-01"})
    sf.OpportunityLineItem.create({"OpportunityId": opportunity["id"],
                                   "PricebookEntryId": entry["id"], "Quantity": 3,
                                   "Discount": 10})
    line = sf.query("SELECT ProductCode, UnitPrice, TotalPrice, Product2Id FROM "
                    f"OpportunityLineItem WHERE OpportunityId = '{opportunity['id']}'")
    row = line["records"][0]
    assert row["ProductCode"] == "PLAT"
    assert row["Product2Id"] == product["id"]
    assert row["TotalPrice"] == Decimal("3240.27")
    opp = sf.query(f"SELECT Amount, Pricebook2Id FROM Opportunity WHERE Id = "
                   f"'{opportunity['id']}'")["records"][0]
    assert opp["Amount"] == Decimal("3240.27")
    assert opp["Pricebook2Id"] == book
    sf.Opportunity.update(opportunity["id"], {"StageName": "Closed Won"})
    won = sf.Opportunity.get(opportunity["id"])
    assert (won["IsWon"], won["IsClosed"]) == (True, True)


def test_updated_and_deleted_resources(sf: Salesforce, sandbox: RunningSandbox,
                                       control: requests.Session) -> None:
    now = datetime.fromisoformat(control.get(control_url(sandbox, "/clock")).json()["now"])
    kept = sf.Account.create({"Name": "Kept"})["id"]
    gone = sf.Account.create({"Name": "Gone"})["id"]
    sf.Account.delete(gone)
    start, end = now - timedelta(minutes=5), now + timedelta(minutes=5)
    assert sf.Account.updated(start, end)["ids"] == [kept]
    deleted = sf.Account.deleted(start, end)["deletedRecords"]
    assert [record["id"] for record in deleted] == [gone]
