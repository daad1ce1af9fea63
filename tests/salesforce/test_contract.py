"""The Salesforce sandbox's contract: records and describe match Salesforce's description.

Runs after the other tests of ``tests/salesforce`` (``conftest.py`` moves it last) and judges
every answer they recorded, plus the answers of a tour that writes every writable standard
field of each emulated object and reads the records back whole (see ``description.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from simple_salesforce import Salesforce
from tests.salesforce.conftest import CaSession
from tests.salesforce.description import Judge, standard_fields
from tests.sandboxes.contract import RECORDER, json_answers, summary

from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.salesforce import SANDBOX
from accord.sandboxes.salesforce.schema import OBJECTS
from accord.sandboxes.server import start_in_thread

DATA = r"^/services/data/v[\d.]+"
DESCRIBE = re.compile(DATA + r"/sobjects/(\w+)/describe/?$")
RECORD = re.compile(DATA + r"/sobjects/(\w+)/([a-zA-Z0-9]{15}|[a-zA-Z0-9]{18})/?$")
BY_EXTERNAL_ID = re.compile(DATA + r"/sobjects/(\w+)/(\w+)/([^/]+)$")
COMPOSITE_READ = re.compile(DATA + r"/composite/sobjects/(\w+)$")


def _address(prefix: str, n: int) -> dict[str, Any]:
    return {f"{prefix}Street": f"{n} Main St", f"{prefix}City": "Springfield",
            f"{prefix}State": "IL", f"{prefix}PostalCode": "62701", f"{prefix}Country": "US",
            f"{prefix}Latitude": 39.78, f"{prefix}Longitude": -89.65,
            f"{prefix}GeocodeAccuracy": "Address"}


def tour(sf: Salesforce) -> None:
    """Every writable standard field of every emulated object, read back whole."""
    parent = sf.Account.create({"Name": "Tour Holdings"})["id"]
    account = sf.Account.create({
        "Name": "Tour Ltd", "Type": "Customer - Direct", "ParentId": parent,
        **_address("Billing", 1), **_address("Shipping", 2), "Phone": "+1 555 0100",
        "Fax": "+1 555 0101", "AccountNumber": "A-1", "Website": "https://tour.example",
        "Sic": "7372", "Industry": "Technology", "AnnualRevenue": 1200000.5,
        "NumberOfEmployees": 42, "Ownership": "Private", "TickerSymbol": "TOUR",
        "Description": "the contract tour", "Rating": "Hot", "Site": "HQ",
        "CurrencyIsoCode": "USD", "Jigsaw": "J-1", "CleanStatus": "Pending",
        "AccountSource": "Web", "DunsNumber": "123456789", "Tradestyle": "Tour",
        "NaicsCode": "511210", "NaicsDesc": "Software", "YearStarted": "2019",
        "SicDesc": "Prepackaged software", "Accord_Id__c": "acc-tour"})["id"]
    boss = sf.Contact.create({"LastName": "Boss", "AccountId": account})["id"]
    contact = sf.Contact.create({
        "AccountId": account, "LastName": "Reader", "FirstName": "Ada", "Salutation": "Dr.",
        **_address("Other", 3), **_address("Mailing", 4), "Phone": "+1 555 0102",
        "Fax": "+1 555 0103", "MobilePhone": "+1 555 0104", "HomePhone": "+1 555 0105",
        "OtherPhone": "+1 555 0106", "AssistantPhone": "+1 555 0107", "ReportsToId": boss,
        "Email": "ada@tour.example", "Title": "CFO", "Department": "Finance",
        "AssistantName": "Bob", "LeadSource": "Web", "Birthdate": "1980-02-03",
        "Description": "pays the bills", "Jigsaw": "J-2", "CleanStatus": "Matched"})["id"]
    product = sf.Product2.create({
        "Name": "Platform", "ProductCode": "PLAT", "Description": "the platform",
        "IsActive": True, "Family": "Subscription", "ExternalId": "ext-plat",
        "QuantityUnitOfMeasure": "Each", "StockKeepingUnit": "SKU-PLAT",
        "CurrencyIsoCode": "USD"})["id"]
    standard = sf.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true")["records"][0]["Id"]
    book = sf.Pricebook2.create({"Name": "Tour book", "IsActive": True,
                                 "Description": "for the tour"})["id"]
    entry = sf.PricebookEntry.create({"Pricebook2Id": standard, "Product2Id": product,
                                      "UnitPrice": 100, "IsActive": True,
                                      "UseStandardPrice": False})["id"]
    contract = sf.Contract.create({
        "AccountId": account, "Pricebook2Id": book, "OwnerExpirationNotice": "30",
        "StartDate": "2026-01-01", "ContractTerm": 12, **_address("Billing", 5),
        **_address("Shipping", 6), "CustomerSignedId": contact, "CustomerSignedTitle": "CFO",
        "CustomerSignedDate": "2025-12-20", "CompanySignedDate": "2025-12-21",
        "SpecialTerms": "net 30", "Description": "annual"})["id"]
    sf.Contract.update(contract, {"Status": "Activated"})
    opportunity = sf.Opportunity.create({
        "AccountId": account, "Name": "Tour deal", "Description": "a deal",
        "StageName": "Prospecting", "Amount": 1000, "CloseDate": "2026-05-15",
        "Type": "New Business", "NextStep": "demo", "LeadSource": "Web",
        "TotalOpportunityQuantity": 3, "ContactId": contact, "ContractId": contract,
        "IsPrivate": False})["id"]
    sf.OpportunityLineItem.create({"OpportunityId": opportunity, "PricebookEntryId": entry,
                                   "Quantity": 3, "UnitPrice": 90, "Discount": 10,
                                   "ServiceDate": "2026-06-01", "Description": "seats",
                                   "SortOrder": 1})
    sf.Opportunity.update(opportunity, {"StageName": "Closed Won"})
    line = sf.query(f"SELECT Id FROM OpportunityLineItem WHERE OpportunityId = "
                    f"'{opportunity}'")["records"][0]["Id"]
    for name, record_id in (("Account", account), ("Contact", contact), ("Product2", product),
                            ("Pricebook2", book), ("Pricebook2", standard),
                            ("PricebookEntry", entry), ("Contract", contract),
                            ("Opportunity", opportunity), ("OpportunityLineItem", line)):
        getattr(sf, name).get(record_id)
    for name in standard_fields():
        getattr(sf, name).describe()
    sf.query("SELECT Id, Name, BillingAddress, Parent.Name FROM Account")
    sf.query_all("SELECT Id, Name, Account.Name, ForecastCategoryName FROM Opportunity")


@dataclass
class Verdict:
    judge: Judge
    answers: int


def _judge_answer(judge: Judge, method: str, path: str, query: str, body: Any) -> None:
    where = f"{method} {path}"
    if isinstance(body, list) and body and isinstance(body[0], dict) and "errorCode" in body[0]:
        judge.errors(body, where)
        return
    if method != "GET":
        return
    if DESCRIBE.match(path):
        judge.describe(body, where)
    elif RECORD.match(path) or (BY_EXTERNAL_ID.match(path) and not path.endswith(
            ("/updated/", "/deleted/", "/describe"))):
        if isinstance(body, dict) and "attributes" in body:
            judge.record(body, where, whole="fields" not in parse_qs(query))
    elif COMPOSITE_READ.match(path) and isinstance(body, list):
        for index, item in enumerate(body):
            if item is not None:
                judge.record(item, f"{where}[{index}]", whole=False)
    elif isinstance(body, dict) and isinstance(body.get("records"), list):
        for index, item in enumerate(body["records"]):
            judge.record(item, f"{where}.records[{index}]", whole=False)


@pytest.fixture(scope="module")
def verdict(tmp_path_factory: pytest.TempPathFactory) -> Verdict:
    path: Path = tmp_path_factory.mktemp("salesforce-contract")
    running = start_in_thread(SANDBOX, SandboxOptions(data_dir=path, recorder=RECORDER))
    creds = running.credentials()
    session = CaSession()
    session.verify = creds["ca_cert"]
    try:
        sf = Salesforce(instance_url=creds["instance_url"], session_id=creds["session_id"],
                        version=creds["api_version"], session=session)
        tour(sf)
        custom = {name: {f["name"]: f["type"] for f in getattr(sf, name).describe()["fields"]
                         if f["custom"]}
                  for name in standard_fields()}
    finally:
        session.close()
        running.server.force_exit = True
        running.stop()
    judge = Judge(custom)
    answers = json_answers("salesforce")
    for exchange in answers:
        _judge_answer(judge, exchange.method, exchange.path, exchange.query, exchange.json())
    return Verdict(judge, len(answers))


def test_every_record_and_describe_matches_salesforces_description(verdict: Verdict) -> None:
    assert verdict.answers > 30
    problems = [f"{v.kind} {v.path.split(' ', 1)[-1]}: {v.detail}"
                for v in verdict.judge.violations]
    assert not problems, summary(re.sub(r"[a-zA-Z0-9]{18}", "<id>", p) for p in problems)


def test_every_emulated_object_was_read_whole(verdict: Verdict) -> None:
    assert set(standard_fields()) == {obj.name for obj in OBJECTS.values()}
    assert set(verdict.judge.seen) == set(standard_fields())


def test_null_only_fields_are_null_and_the_others_carry_values(verdict: Verdict) -> None:
    """The fields the schema marks ``null_only`` (what the docs list as present only as null)
    never had a value; every other standard field had one at least once."""
    wrong: list[str] = []
    for obj in OBJECTS.values():
        valued = verdict.judge.valued.get(obj.name, set())
        standard = set(standard_fields()[obj.name])
        nulls = {f.name for f in obj.fields if f.null_only}
        wrong += [f"{obj.name}.{name} is declared null-only but had a value"
                  for name in sorted(nulls & valued)]
        wrong += [f"{obj.name}.{name} is emulated but never had a value"
                  for name in sorted(standard - nulls - valued)]
    assert not wrong, "\n".join(wrong)
