"""Closed-won detection to a canonical Contract, the CDC-style feed, and write-back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

import pytest
import requests
from simple_salesforce import Salesforce

from accord.canonical import (
    Customer,
    IntervalUnit,
    Money,
    Price,
    Product,
    ProductKind,
    Recurrence,
    SubscriptionStatus,
)
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.intake import (
    CLOSED_WON,
    ChangeFeedPoller,
    ModstampPoller,
    change_poller,
    closed_won_contract,
)
from accord.connectors.salesforce.mapping import (
    BillingStatus,
    contract_subscription_status,
    entry_to_price,
    price_to_entry,
    product_to_product2,
)
from accord.connectors.salesforce.writeback import AccountLinks, OpportunityLinks, WriteBack
from accord.errors import ConflictError, DataQualityError, PermanentError
from accord.sandboxes.server import RunningSandbox

from .conftest import control_url
from .helpers import client_for


@pytest.fixture
def client(sandbox: RunningSandbox, control: requests.Session) -> Iterator[SalesforceClient]:
    made = client_for(sandbox)
    yield made
    made.session.close()


def euro_deal(client: SalesforceClient, customer: Customer) -> str:
    book = next(client.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true"))["Id"]
    account = client.create("Account", {"Name": customer.legal_name, "CurrencyIsoCode": "EUR",
                                        "Accord_Id__c": customer.id})
    entries = {}
    for code, price in (("PLAT", Decimal("1200.00")), ("ONBOARD", Decimal("4999.99"))):
        product = client.create("Product2", {"Name": code, "ProductCode": code,
                                             "IsActive": True, "Billing_Type__c": "Recurring"})
        entries[code] = client.create("PricebookEntry", {
            "Pricebook2Id": book, "Product2Id": product, "UnitPrice": price,
            "CurrencyIsoCode": "EUR", "IsActive": True})
    deal = client.create("Opportunity", {
        "Name": "Northwind renewal", "AccountId": account, "StageName": "Negotiation/Review",
        "CloseDate": date(2026, 11, 20), "CurrencyIsoCode": "EUR",
        "Contract_Term_Months__c": Decimal(24), "Contract_Start_Date__c": date(2026, 12, 1),
        "PO_Number__c": "PO-42", "Legal_Entity__c": "DE01"})
    client.create_many("OpportunityLineItem", [
        {"OpportunityId": deal, "PricebookEntryId": entries["PLAT"], "Quantity": Decimal(25),
         "Discount": Decimal(10)},
        {"OpportunityId": deal, "PricebookEntryId": entries["ONBOARD"], "Quantity": 1,
         "UnitPrice": Decimal("4500.50")}], all_or_none=True)
    return deal


def test_closed_won_yields_a_canonical_contract_with_lines(client: SalesforceClient) -> None:
    customer = Customer(legal_name="Northwind", legal_entity="DE01", currency="EUR")
    deal = euro_deal(client, customer)
    poller = ModstampPoller(client, "Opportunity", ["StageName", "IsWon"])
    before = poller.poll(None, 50)
    assert [event.event_type for event in before.events] == ["opportunity.changed"]
    client.update("Opportunity", deal, {"StageName": "Closed Won"})
    after = poller.poll(before.cursor, 50)
    assert [event.event_type for event in after.events] == [CLOSED_WON]

    contract = closed_won_contract(client, deal)
    assert contract.customer_id == customer.id
    assert contract.deal_id == deal
    assert (contract.currency, contract.legal_entity, contract.po_number) == ("EUR", "DE01",
                                                                              "PO-42")
    assert (contract.start_date, contract.end_date, contract.term_months) == (
        date(2026, 12, 1), date(2028, 11, 30), 24)
    assert [(line.product_sku, line.quantity, line.unit_price) for line in contract.lines] == [
        ("PLAT", Decimal(25), Money.of("1200.00", "EUR")),
        ("ONBOARD", Decimal(1), Money.of("4500.50", "EUR"))]
    assert contract.total == Money.of("31500.50", "EUR")
    amount = next(client.query(f"SELECT Amount FROM Opportunity WHERE Id = '{deal}'"))["Amount"]
    assert isinstance(amount, Decimal)
    assert Money.of(amount, "EUR") == contract.total


def test_an_open_deal_is_not_a_contract(client: SalesforceClient) -> None:
    deal = euro_deal(client, Customer(legal_name="N", legal_entity="DE01", currency="EUR"))
    with pytest.raises(DataQualityError) as caught:
        closed_won_contract(client, deal)
    assert caught.value.field == "StageName"


def test_change_feed_skips_accord_own_writes(sandbox: RunningSandbox, client: SalesforceClient,
                                             make_sf: Callable[..., Salesforce]) -> None:
    feed = ChangeFeedPoller(client, control_url(sandbox, "/salesforce/cdc"))
    mine = client.create("Account", {"Name": "Written by accord"})
    person = make_sf()
    theirs = person.Account.create({"Name": "Written by a person"},
                                   headers={"Sforce-Call-Options": "client=ui-user"})["id"]
    person.Account.update(theirs, {"Industry": "Retail"})
    client.update("Account", mine, {"Industry": "Finance"})

    batch = feed.poll(None, 100)
    assert [(e.event_type, e.payload["ChangeEventHeader"]["recordIds"]) for e in batch.events] \
        == [("account.create", [theirs]), ("account.update", [theirs])]
    create_header = batch.events[0].payload["ChangeEventHeader"]
    assert create_header["changeOrigin"] == "com/salesforce/api/rest/62.0;client=ui-user"
    assert create_header["entityName"] == "Account"
    assert batch.events[0].payload["Name"] == "Written by a person"
    update_header = batch.events[1].payload["ChangeEventHeader"]
    assert update_header["changedFields"] == ["Industry", "LastModifiedDate"]
    assert update_header["changeOrigin"] == "com/salesforce/api/rest/62.0"
    assert batch.cursor == "4"
    assert feed.poll(batch.cursor, 100).events == []


def test_write_back_external_ids_and_statuses(client: SalesforceClient) -> None:
    customer = Customer(legal_name="Northwind", legal_entity="DE01", currency="EUR")
    deal = euro_deal(client, customer)
    account = next(client.query("SELECT Id FROM Account"))["Id"]
    back = WriteBack(client)
    back.account(AccountLinks(account, BillingStatus.SYNCED, stripe_customer_id="cus_123",
                              netsuite_customer_id="4711"))
    back.opportunity(OpportunityLinks(deal, BillingStatus.ACTIVE,
                                      stripe_subscription_id="sub_9"))
    contract = client.create("Contract", {"AccountId": account, "StartDate": date(2026, 12, 1),
                                          "ContractTerm": 24})
    back.contract_status(contract, SubscriptionStatus.PAST_DUE, stripe_subscription_id="sub_9")

    stored = client.get("Account", account)
    assert (stored["Stripe_Customer_Id__c"], stored["NetSuite_Customer_Id__c"],
            stored["Billing_Status__c"]) == ("cus_123", "4711", "Synced")
    assert client.get("Opportunity", deal)["Stripe_Subscription_Id__c"] == "sub_9"
    contract_record = client.get("Contract", contract)
    assert contract_subscription_status(contract_record) is SubscriptionStatus.PAST_DUE
    assert contract_record["Billing_Status__c"] == "Past Due"
    assert contract_record["EndDate"] == "2028-11-30"

    other = client.create("Account", {"Name": "Other", "Accord_Id__c": "taken"})
    results = back.accounts([AccountLinks(account, BillingStatus.ACTIVE),
                             AccountLinks(other, BillingStatus.ERROR, accord_id=None),
                             AccountLinks(account, BillingStatus.ACTIVE, accord_id="taken")])
    assert [result.success for result in results] == [True, True, False]
    assert isinstance(results[2].error, ConflictError)
    assert client.get("Account", other)["Billing_Status__c"] == "Error"


def test_price_entries_are_saved_twice_without_touching_create_only_fields(
        client: SalesforceClient) -> None:
    book = next(client.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true"))["Id"]
    product = Product(sku="SEAT", name="Seat", kind=ProductKind.RECURRING,
                      revenue_category="subscription")
    product2 = client.save_by_external_id("Product2", "Accord_Id__c", product.id,
                                          product_to_product2(product))
    price = Price(product_id=product.id, currency="GBP", unit_amount=Money.of("10.00", "GBP"),
                  recurrence=Recurrence(interval=IntervalUnit.MONTH))
    fields = price_to_entry(price, product2_id=product2.id, pricebook2_id=book)
    first = client.save_by_external_id("PricebookEntry", "Accord_Id__c", price.id, fields)
    with pytest.raises(PermanentError):  # a plain upsert repeats create-only fields
        client.upsert("PricebookEntry", "Accord_Id__c", price.id, fields)
    cheaper = price.model_copy(update={"unit_amount": Money.of("9.50", "GBP")})
    second = client.save_by_external_id(
        "PricebookEntry", "Accord_Id__c", price.id,
        price_to_entry(cheaper, product2_id=product2.id, pricebook2_id=book))
    assert (first.created, second.created, second.id) == (True, False, first.id)
    stored = entry_to_price(client.get("PricebookEntry", first.id), product_id=product.id)
    assert stored.unit_amount == Money.of("9.50", "GBP")


def test_change_poller_follows_the_settings(sandbox: RunningSandbox,
                                            client: SalesforceClient) -> None:
    assert isinstance(change_poller(client, "Account", ["Name"]), ModstampPoller)
    feed_client = client_for(sandbox, settings={
        "cdc_feed_url": control_url(sandbox, "/salesforce/cdc")})
    assert isinstance(change_poller(feed_client, "Account", ["Name"]), ChangeFeedPoller)
    feed_client.session.close()
