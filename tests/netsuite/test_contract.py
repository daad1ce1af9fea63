"""The NetSuite sandbox's contract: records match NetSuite's description of their types.

Runs after the other tests of ``tests/netsuite`` (``conftest.py`` moves it last) and judges
every record, sublist, record list and error they recorded, plus the answers of a tour that
sets every field the sandbox emulates on every record type (see ``description.py``). Requests
are signed with OAuth 1.0a as NetSuite clients sign them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.netsuite.conftest import ExactClient, created_id
from tests.netsuite.description import DEPARTURES, Judge, records
from tests.netsuite.signing import authlib_auth
from tests.sandboxes.contract import RECORDER, json_answers, summary

from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.netsuite import SANDBOX
from accord.sandboxes.netsuite.records.catalog import SPECS, spec_for
from accord.sandboxes.server import start_in_thread

RECORD = re.compile(r"^/services/rest/record/v1/(?P<type>[A-Za-z]+)"
                    r"(?:/(?P<key>[^/]+)(?:/(?P<sublist>[A-Za-z]+))?)?/?$")


def _post(ns: httpx.Client, record_type: str, body: dict[str, Any]) -> str:
    return created_id(ns.post(f"/record/v1/{record_type}", json=body))


def tour(ns: httpx.Client, today: date) -> list[tuple[str, str]]:
    """Every record type with every field the sandbox emulates; returns what it made."""
    day = today.isoformat()
    made: list[tuple[str, str]] = []

    def make(record_type: str, body: dict[str, Any]) -> str:
        internal_id = _post(ns, record_type, body)
        made.append((record_type, internal_id))
        return internal_id

    make("currency", {"name": "Swiss Franc", "symbol": "CHF", "exchangeRate": Decimal("1.1"),
                      "currencyPrecision": 2, "isBaseCurrency": False, "isInactive": False})
    make("subsidiary", {"name": "UK01", "currency": {"id": "4"}, "country": "GB",
                        "parent": {"id": "1"}, "isInactive": False})
    account = make("account", {"acctNumber": "4500", "acctName": "Tour Revenue",
                               "acctType": "Income", "subsidiary": {"id": "1"},
                               "currency": {"id": "1"}, "isInactive": False})
    make("accountingPeriod", {"periodName": "Q4 2031", "startDate": "2031-10-01",
                              "endDate": "2031-12-31", "isQuarter": True, "isYear": False,
                              "closed": False, "arLocked": False, "apLocked": False,
                              "allLocked": False})
    make("term", {"name": "Net 45", "daysUntilNetDue": 45, "isInactive": False})
    for segment in ("department", "classification", "location"):
        make(segment, {"name": f"Tour {segment}", "isInactive": False})
    for item_type, item_id in (("inventoryItem", "TOUR-HW"), ("nonInventorySaleItem", "TOUR-U"),
                               ("serviceSaleItem", "TOUR-S")):
        make(item_type, {"itemId": item_id, "displayName": item_id.title(),
                         "description": "tour item", "basePrice": Decimal("10.00"),
                         "incomeAccount": {"id": account},
                         "deferredRevenueAccount": {"id": "9"}, "subsidiary": {"id": "1"},
                         "isInactive": False})
    customer = make("customer", {
        "entityId": "TOUR-1", "companyName": "Tour Ltd", "isPerson": False,
        "email": "ap@tour.example", "phone": "+1 555 0100", "subsidiary": {"id": "1"},
        "currency": {"id": "1"}, "terms": {"id": "1"}, "defaultTaxReg": "US-1",
        "creditHoldOverride": "AUTO", "creditLimit": Decimal("50000.00"), "isInactive": False,
        "url": "https://tour.example", "externalId": "cus_tour",
        "currencyList": {"items": [{"currency": {"id": "2"}}]},
        "taxRegistration": {"items": [{"taxRegistrationNumber": "US-1",
                                       "nexusCountry": "US"}]},
        "addressBook": {"items": [{"addr1": "1 Main St", "addr2": "Suite 2",
                                   "city": "Springfield", "state": "IL", "zip": "62701",
                                   "country": "US", "defaultBilling": True}]}})
    segments = {"department": {"id": "1"}, "class": {"id": "1"}, "location": {"id": "1"}}
    lines = {"items": [{"item": {"id": "201"}, "description": "seats", "quantity": 2,
                        "rate": Decimal("500.00"), "amount": Decimal("1000.00"),
                        "taxCode": "US-IL", "taxRate1": Decimal("6.25"), **segments,
                        "deferRevRec": True, "revRecStartDate": day,
                        "revRecEndDate": day}]}
    taxes = {"items": [{"taxCode": "US-IL", "taxType": "SALES", "taxRate": Decimal("6.25"),
                        "taxBasis": Decimal("1000.00"), "taxAmount": Decimal("62.50")}]}
    header = {"tranDate": day, "subsidiary": {"id": "1"}, "currency": {"id": "1"},
              "exchangeRate": Decimal("1.0"), "postingPeriod": {"id": "101"},
              "memo": "tour", **segments}
    order = make("salesOrder", {**header, "tranId": "SO-T1", "entity": {"id": customer},
                                "otherRefNum": "PO-7", "item": lines, "taxDetails": taxes})
    invoice = make("invoice", {**header, "tranId": "INV-T1", "entity": {"id": customer},
                               "dueDate": day, "terms": {"id": "1"}, "account": {"id": "3"},
                               "otherRefNum": "PO-7", "createdFrom": {"id": order},
                               "item": lines, "taxDetails": taxes})
    make("creditMemo", {**header, "tranId": "CM-T1", "entity": {"id": customer},
                        "createdFrom": {"id": invoice}, "account": {"id": "3"},
                        "item": {"items": [{"item": {"id": "203"}, "description": "refund",
                                            "quantity": 1, "rate": Decimal("100.00"),
                                            "amount": Decimal("100.00"), "taxCode": "US-IL",
                                            "taxRate1": Decimal("6.25"), **segments,
                                            "deferRevRec": True, "revRecStartDate": day,
                                            "revRecEndDate": day}]},
                        "taxDetails": {"items": [{"taxCode": "US-IL", "taxType": "SALES",
                                                  "taxRate": Decimal("6.25"),
                                                  "taxBasis": Decimal("100.00"),
                                                  "taxAmount": Decimal("6.25")}]},
                        "apply": {"items": [{"doc": {"id": invoice}, "apply": True,
                                             "amount": Decimal("106.25")}]}})
    payment = make("customerPayment", {
        **{k: v for k, v in header.items() if k not in segments}, "tranId": "PAY-T1",
        "customer": {"id": customer}, "payment": Decimal("500.00"), "undepFunds": True,
        "aracct": {"id": "3"}, "paymentMethod": "card", "checkNum": "42",
        "apply": {"items": [{"doc": {"id": invoice}, "apply": True,
                             "amount": Decimal("500.00")}]}})
    make("customerPayment", {"tranDate": day, "customer": {"id": customer},
                             "payment": Decimal("10.00"), "undepFunds": False,
                             "account": {"id": "1"},
                             "apply": {"items": [{"doc": {"id": invoice},
                                                  "amount": Decimal("10.00")}]}})
    credit = make("creditMemo", {"tranDate": day, "entity": {"id": customer},
                                 "item": {"items": [{"item": {"id": "203"},
                                                     "amount": Decimal("50.00")}]}})
    make("customerRefund", {"tranDate": day, "tranId": "RF-T1", "customer": {"id": customer},
                            "account": {"id": "1"}, "paymentMethod": "card",
                            "memo": "tour", "subsidiary": {"id": "1"},
                            "currency": {"id": "1"}, "exchangeRate": Decimal("1.0"),
                            "postingPeriod": {"id": "101"},
                            "apply": {"items": [{"doc": {"id": credit},
                                                 "amount": Decimal("50.00")}]}})
    make("journalEntry", {**header, "tranId": "JE-T1", "approved": True, "line": {"items": [
        {"account": {"id": "8"}, "debit": Decimal("3.20"), "memo": "fee",
         "entity": {"id": customer}, **segments},
        {"account": {"id": "1"}, "credit": Decimal("3.20"), "memo": "fee", **segments}]}})
    make("deposit", {**{k: v for k, v in header.items() if k not in segments},
                     "tranId": "DEP-T1", "account": {"id": "1"},
                     "payment": {"items": [{"doc": {"id": payment}, "deposit": True,
                                            "paymentAmount": Decimal("500.00")}]},
                     "other": {"items": [{"account": {"id": "6"}, "amount": Decimal("1.00"),
                                          "memo": "interest"}]}})
    for record_type, internal_id in made:
        ns.get(f"/record/v1/{record_type}/{internal_id}", params={"expandSubResources": "true"})
        ns.get(f"/record/v1/{record_type}/{internal_id}")
        ns.get(f"/record/v1/{record_type}", params={"limit": 2})
    ns.get(f"/record/v1/invoice/{invoice}/item")
    ns.get("/record/v1/customer/eid:cus_tour")
    ns.get("/record/v1/customer/999999")
    for spec in SPECS:  # the seeded reference records
        page = ns.get(f"/record/v1/{spec.name}", params={"limit": 3}).json()
        for item in page["items"]:
            ns.get(f"/record/v1/{spec.name}/{item['id']}")
    return made


def judge_answer(judge: Judge, method: str, path: str, status: int, body: Any) -> None:
    where = f"{method} {path}"
    if status >= 400:
        judge.error(body, where)
        return
    found = RECORD.match(path)
    if method != "GET" or found is None or found["type"] == "metadata":
        return
    spec = spec_for(found["type"])
    if spec is None:
        return
    if found["sublist"]:
        judge.sublist(spec.name, found["sublist"], body, where)
    elif found["key"]:
        judge.record(body, spec.name, where)
    else:
        judge.page(body, where)


@dataclass
class Verdict:
    judge: Judge
    answers: int
    made: list[tuple[str, str]]


@pytest.fixture(scope="module")
def verdict(tmp_path_factory: pytest.TempPathFactory) -> Verdict:
    path: Path = tmp_path_factory.mktemp("netsuite-contract")
    running = start_in_thread(SANDBOX, SandboxOptions(data_dir=path, recorder=RECORDER))
    try:
        now = httpx.get(f"{running.base_url}/__sandbox/clock").json()["now"]
        with ExactClient(base_url=f"{running.base_url}/services/rest",
                         auth=authlib_auth(running.credentials()),
                         headers={"Content-Type": "application/json"}, timeout=30) as ns:
            made = tour(ns, datetime.fromisoformat(now).date())
    finally:
        running.stop()
    judge = Judge()
    answers = json_answers("netsuite")
    for exchange in answers:
        if "metadata-catalog" not in exchange.path:
            judge_answer(judge, exchange.method, exchange.path, exchange.status,
                         exchange.json())
    return Verdict(judge, len(answers), made)


def test_every_record_matches_netsuites_description(verdict: Verdict) -> None:
    assert verdict.answers > 100
    problems = [f"{v.kind} {re.sub(r'/[0-9]+', '/<id>', v.path.split(' ', 1)[-1])}: "
                f"{v.detail}" for v in verdict.judge.violations]
    problems = [re.sub(r"\[\d+\]", "[]", p) for p in problems]
    assert not problems, summary(problems)


def test_the_tour_made_every_record_type(verdict: Verdict) -> None:
    assert {record_type for record_type, _ in verdict.made} == set(records())
    assert set(records()) == {spec.name for spec in SPECS}


def test_every_emulated_field_carried_a_value(verdict: Verdict) -> None:
    """Each field of the sandbox's record specs was seen with a value in a record NetSuite's
    description allows it on (NetSuite leaves empty fields out, so the ones the sandbox does
    not emulate are simply never sent)."""
    valued = verdict.judge.valued
    unseen = [f"{spec.name}.{f.name}" for spec in SPECS for f in spec.fields
              if f.name not in valued.get(spec.name, set())]
    unseen += [f"{spec.name}.{sub.name}.{f.name}" for spec in SPECS for sub in spec.sublists
               for f in sub.fields if f.name not in valued.get(f"{spec.name}.{sub.name}", set())]
    assert not unseen, "\n".join(unseen)


def test_every_departure_is_still_observed(verdict: Verdict) -> None:
    """A departure fixed in the sandbox (and the connector) must leave the list."""
    assert set(DEPARTURES) - verdict.judge.departures_seen == set()
