"""Transactions and the business rules NetSuite enforces on them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from tests.netsuite.conftest import created_id, error_of


@pytest.fixture
def today(control: httpx.Client) -> date:
    return datetime.fromisoformat(control.get("/clock").json()["now"]).date()


@pytest.fixture
def customer(ns: httpx.Client) -> str:
    return created_id(ns.post("/record/v1/customer", json={
        "companyName": "Acme Inc", "externalId": "cus_acme", "subsidiary": {"id": "1"},
        "currencyList": {"items": [{"currency": {"id": "2"}}]}}))


def invoice_body(customer: str, day: date, **extra: Any) -> dict[str, Any]:
    return {"entity": {"id": customer}, "tranDate": day.isoformat(), "tranId": "INV-1",
            "item": {"items": [
                {"item": {"id": "201"}, "quantity": 2, "rate": Decimal("500.00")},
                {"item": {"id": "203"}, "amount": Decimal("100.25")}]},
            "taxDetails": {"items": [{"taxCode": "US-CA", "taxRate": Decimal("8.5"),
                                      "taxBasis": Decimal("1100.25"),
                                      "taxAmount": Decimal("93.52")}]},
            **extra}


def _json(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data: dict[str, Any] = httpx.Response(200, content=response.content).json(
        parse_float=Decimal)
    return data


def invoice(ns: httpx.Client, internal_id: str) -> dict[str, Any]:
    return _json(ns.get(f"/record/v1/invoice/{internal_id}",
                        params={"expandSubResources": "true"}))


def rule_error(response: httpx.Response) -> tuple[str, str]:
    assert response.status_code == 400, response.text
    detail = error_of(response)
    return detail["o:errorCode"], detail.get("o:errorPath", "")


def test_invoice_totals_tax_period_and_status(ns: httpx.Client, customer: str,
                                              today: date) -> None:
    internal_id = created_id(ns.post("/record/v1/invoice", json=invoice_body(
        customer, today, department={"id": "1"}, **{"class": {"id": "1"}},
        location={"id": "1"})))
    record = invoice(ns, internal_id)
    assert record["subtotal"] == Decimal("1100.25")
    assert record["taxTotal"] == Decimal("93.52")
    assert record["total"] == Decimal("1193.77")
    assert record["amountRemaining"] == Decimal("1193.77")
    assert record["status"] == "Open"
    assert record["currency"]["refName"] == "USD"
    assert record["subsidiary"]["refName"] == "US01"
    assert record["postingPeriod"]["refName"] == today.strftime("%b %Y")
    assert record["item"]["items"][0]["amount"] == Decimal("1000.00")
    assert record["class"]["refName"] == "Subscription"
    assert record["taxDetails"]["items"][0]["taxCode"] == "US-CA"


def test_invoice_customer_must_exist_and_share_the_subsidiary(ns: httpx.Client, customer: str,
                                                              today: date) -> None:
    assert rule_error(ns.post("/record/v1/invoice", json=invoice_body("999999", today))) == \
        ("INVALID_KEY_OR_REF", "entity")
    assert rule_error(ns.post("/record/v1/invoice", json=invoice_body(
        customer, today, subsidiary={"id": "2"}))) == ("USER_ERROR", "subsidiary")
    by_external_id = invoice_body(customer, today)
    by_external_id["entity"] = {"externalId": "cus_acme"}
    created_id(ns.post("/record/v1/invoice", json=by_external_id))


def test_invoice_currency_must_be_allowed_for_the_customer(ns: httpx.Client, customer: str,
                                                           today: date) -> None:
    assert rule_error(ns.post("/record/v1/invoice", json=invoice_body(
        customer, today, currency={"id": "3"}))) == ("USER_ERROR", "currency")
    euro = invoice(ns, created_id(ns.post("/record/v1/invoice", json=invoice_body(
        customer, today, currency={"id": "2"}))))
    assert euro["currency"]["refName"] == "EUR"


def test_amounts_respect_the_currency_precision(ns: httpx.Client, today: date) -> None:
    yen_customer = created_id(ns.post("/record/v1/customer", json={
        "companyName": "Kabushiki", "subsidiary": {"id": "3"}}))
    body = {"entity": {"id": yen_customer}, "tranDate": today.isoformat(),
            "item": {"items": [{"item": {"id": "201"}, "amount": Decimal("98000.5")}]}}
    assert rule_error(ns.post("/record/v1/invoice", json=body)) == \
        ("INVALID_CONTENT", "item.items[0].amount")
    body["item"] = {"items": [{"item": {"id": "201"}, "amount": 98000}]}
    assert invoice(ns, created_id(ns.post("/record/v1/invoice", json=body)))["total"] == 98000


def test_closed_and_locked_periods_refuse_postings(ns: httpx.Client, customer: str,
                                                   today: date) -> None:
    last_month = today.replace(day=1) - timedelta(days=1)
    assert rule_error(ns.post("/record/v1/invoice", json=invoice_body(customer, last_month))) \
        == ("USER_ERROR", "postingPeriod")
    far = today.replace(day=1) + timedelta(days=80)
    assert rule_error(ns.post("/record/v1/invoice", json=invoice_body(customer, far))) == \
        ("USER_ERROR", "tranDate")
    current = invoice(ns, created_id(ns.post("/record/v1/invoice", json=invoice_body(
        customer, today))))["postingPeriod"]["id"]
    ns.patch(f"/record/v1/accountingPeriod/{current}", json={"arLocked": True}
             ).raise_for_status()
    assert rule_error(ns.post("/record/v1/invoice", json=invoice_body(customer, today))) == \
        ("USER_ERROR", "postingPeriod")
    journal = {"subsidiary": {"id": "1"}, "tranDate": today.isoformat(), "line": {"items": [
        {"account": {"id": "3"}, "debit": 10}, {"account": {"id": "5"}, "credit": 10}]}}
    created_id(ns.post("/record/v1/journalEntry", json=journal))  # AR lock spares the GL
    ns.patch(f"/record/v1/accountingPeriod/{current}", json={"allLocked": True}
             ).raise_for_status()
    assert rule_error(ns.post("/record/v1/journalEntry", json=journal)) == \
        ("USER_ERROR", "postingPeriod")


def test_payments_apply_at_most_the_open_amount(ns: httpx.Client, customer: str,
                                                today: date) -> None:
    inv = created_id(ns.post("/record/v1/invoice", json=invoice_body(customer, today)))

    def payment(amount: str, applied: str) -> dict[str, Any]:
        return {"customer": {"id": customer}, "tranDate": today.isoformat(),
                "payment": Decimal(amount), "apply": {"items": [
                    {"doc": {"id": inv}, "apply": True, "amount": Decimal(applied)}]}}

    first = created_id(ns.post("/record/v1/customerPayment", json=payment("500.00", "500.00")))
    after_first = invoice(ns, inv)
    assert (after_first["amountRemaining"], after_first["status"]) == (Decimal("693.77"), "Open")
    assert rule_error(ns.post("/record/v1/customerPayment", json=payment("700.00", "693.78"))) \
        == ("USER_ERROR", "apply.items[0].amount")
    assert rule_error(ns.post("/record/v1/customerPayment", json=payment("100.00", "200.00"))) \
        == ("USER_ERROR", "apply")
    created_id(ns.post("/record/v1/customerPayment", json=payment("693.77", "693.77")))
    paid = invoice(ns, inv)
    assert (paid["amountRemaining"], paid["amountPaid"], paid["status"]) == \
        (Decimal("0.00"), Decimal("1193.77"), "Paid In Full")
    # replaying the first payment as an update does not apply it twice
    ns.patch(f"/record/v1/customerPayment/{first}", json=payment("500.00", "500.00")
             ).raise_for_status()
    assert invoice(ns, inv)["amountRemaining"] == 0
    pay = _json(ns.get(f"/record/v1/customerPayment/{first}"))
    assert (pay["applied"], pay["unapplied"], pay["status"]) == \
        (Decimal("500.00"), Decimal("0.00"), "Not Deposited")
    assert rule_error(ns.delete(f"/record/v1/invoice/{inv}")) == ("USER_ERROR", "")


def test_credit_memo_and_refund(ns: httpx.Client, customer: str, today: date) -> None:
    inv = created_id(ns.post("/record/v1/invoice", json=invoice_body(customer, today)))
    memo_body = {"entity": {"id": customer}, "tranDate": today.isoformat(),
                 "createdFrom": {"id": inv},
                 "item": {"items": [{"item": {"id": "203"}, "amount": Decimal("300.00")}]},
                 "apply": {"items": [{"doc": {"id": inv}, "amount": Decimal("200.00")}]}}
    memo = created_id(ns.post("/record/v1/creditMemo", json=memo_body))
    assert invoice(ns, inv)["amountRemaining"] == Decimal("993.77")
    credit = _json(ns.get(f"/record/v1/creditMemo/{memo}"))
    assert (credit["total"], credit["unapplied"]) == (Decimal("300.00"), Decimal("100.00"))
    too_much = {**memo_body, "apply": {"items": [{"doc": {"id": inv},
                                                  "amount": Decimal("300.01")}]}}
    assert rule_error(ns.post("/record/v1/creditMemo", json=too_much)) == \
        ("USER_ERROR", "apply")

    def refund(amount: str) -> dict[str, Any]:
        return {"customer": {"id": customer}, "tranDate": today.isoformat(),
                "account": {"id": "1"}, "apply": {"items": [
                    {"doc": {"id": memo}, "amount": Decimal(amount)}]}}

    assert rule_error(ns.post("/record/v1/customerRefund", json=refund("100.01"))) == \
        ("USER_ERROR", "apply.items[0].amount")
    refund_id = created_id(ns.post("/record/v1/customerRefund", json=refund("100.00")))
    refunded = _json(ns.get(f"/record/v1/customerRefund/{refund_id}"))
    assert refunded["total"] == Decimal("100.00")
    closed = _json(ns.get(f"/record/v1/creditMemo/{memo}"))
    assert (closed["unapplied"], closed["status"]) == (Decimal("0.00"), "Fully Applied")


def test_journal_entries_must_balance(ns: httpx.Client, today: date) -> None:
    def journal(*lines: dict[str, Any]) -> dict[str, Any]:
        return {"subsidiary": {"id": "1"}, "tranDate": today.isoformat(), "memo": "accrual",
                "line": {"items": list(lines)}}

    ar = {"account": {"id": "3"}, "debit": Decimal("1193.77")}
    revenue = {"account": {"id": "5"}, "credit": Decimal("1100.25")}
    tax = {"account": {"id": "4"}, "credit": Decimal("93.52")}
    assert rule_error(ns.post("/record/v1/journalEntry", json=journal(ar, revenue))) == \
        ("USER_ERROR", "line")
    assert rule_error(ns.post("/record/v1/journalEntry", json=journal(ar))) == \
        ("USER_ERROR", "line")
    both = {"account": {"id": "4"}, "debit": 1, "credit": 1}
    assert rule_error(ns.post("/record/v1/journalEntry", json=journal(ar, both)))[0] == \
        "USER_ERROR"
    entry_id = created_id(ns.post("/record/v1/journalEntry", json=journal(ar, revenue, tax)))
    entry = _json(ns.get(f"/record/v1/journalEntry/{entry_id}",
                         params={"expandSubResources": "true"}))
    assert entry["total"] == Decimal("1193.77")
    assert [line["account"]["refName"] for line in entry["line"]["items"]] == \
        ["Accounts Receivable", "Subscription Revenue", "Sales Tax Payable"]


def test_deposit_takes_undeposited_payments_once(ns: httpx.Client, customer: str,
                                                 today: date) -> None:
    inv = created_id(ns.post("/record/v1/invoice", json=invoice_body(customer, today)))
    pay = created_id(ns.post("/record/v1/customerPayment", json={
        "customer": {"id": customer}, "tranDate": today.isoformat(),
        "payment": Decimal("1193.77"), "undepFunds": True,
        "apply": {"items": [{"doc": {"id": inv}, "amount": Decimal("1193.77")}]}}))
    body = {"account": {"id": "1"}, "subsidiary": {"id": "1"}, "tranDate": today.isoformat(),
            "payment": {"items": [{"doc": {"id": pay}, "deposit": True}]},
            "other": {"items": [{"account": {"id": "8"}, "amount": Decimal("-35.00"),
                                 "memo": "processor fee"}]}}
    deposit_id = created_id(ns.post("/record/v1/deposit", json=body))
    deposit = _json(ns.get(f"/record/v1/deposit/{deposit_id}"))
    assert deposit["total"] == Decimal("1158.77")
    assert _json(ns.get(f"/record/v1/customerPayment/{pay}"))["status"] == "Deposited"
    assert rule_error(ns.post("/record/v1/deposit", json=body)) == \
        ("USER_ERROR", "payment.items[0].doc")
    not_bank = {**body, "account": {"id": "3"}}
    assert rule_error(ns.post("/record/v1/deposit", json=not_bank)) == ("USER_ERROR", "account")


def test_sales_orders_and_credit_hold(ns: httpx.Client, customer: str, today: date) -> None:
    order_id = created_id(ns.post("/record/v1/salesOrder", json=invoice_body(customer, today)))
    order = _json(ns.get(f"/record/v1/salesOrder/{order_id}"))
    assert (order["total"], order["status"]) == (Decimal("1193.77"), "Pending Fulfillment")
    ns.patch(f"/record/v1/customer/{customer}", json={"creditHoldOverride": "ON"}
             ).raise_for_status()
    assert rule_error(ns.post("/record/v1/salesOrder", json=invoice_body(customer, today))) == \
        ("USER_ERROR", "entity")
    assert rule_error(ns.post("/record/v1/invoice", json=invoice_body(customer, today))) == \
        ("USER_ERROR", "entity")
