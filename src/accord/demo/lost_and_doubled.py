"""Control totals per system and currency, and what was lost or doubled on the way.

Stripe is the billing source of truth: every finalized invoice, payment and refund there must
appear exactly once in NetSuite, unless an open exception holds it (a person was told, so it
is not lost). ``agree`` compares Stripe's totals, less what exceptions hold, with NetSuite's.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.stripe import mapping
from accord.connectors.stripe.client import Kind, StripeClient
from accord.engine.exception_queue import ExceptionStatus
from accord.flows.identities import invoice_id_for, payment_id_for, refund_id_for
from accord.store import Database
from accord.store.models import ExceptionRecord

BILLING = "stripe"
"""The demo's billing system instance (its ids derive the canonical ones)."""


class Measure(StrEnum):
    INVOICED = "invoiced"
    PAID = "paid"
    REFUNDED = "refunded"
    OPEN = "open"


Totals = dict[str, dict[str, Decimal]]
"""currency -> measure -> amount."""


class Reconciliation(BaseModel):
    model_config = ConfigDict(frozen=True)

    control_totals: dict[str, Totals]
    held: Totals
    agree: bool
    lost: list[str]
    doubled: list[str]


def _add(totals: Totals, currency: str, measure: Measure, amount: Decimal) -> None:
    row = totals.setdefault(currency.upper(), {m.value: Decimal(0) for m in Measure})
    row[measure.value] += amount


def _close(totals: Totals) -> Totals:
    for row in totals.values():
        row[Measure.OPEN.value] = row[Measure.INVOICED.value] - row[Measure.PAID.value]
    return totals


def held_references(database: Database) -> set[str]:
    with database.session() as session:
        return {ref for ref in session.scalars(select(ExceptionRecord.record_ref).where(
            ExceptionRecord.status == ExceptionStatus.OPEN.value)) if ref}


def reconcile(stripe: StripeClient, netsuite: NetSuiteClient, held_refs: set[str]
              ) -> Reconciliation:
    """``held_refs``: the record references open exceptions name (what a person was told
    about is not lost)."""
    stripe_totals: Totals = {}
    held: Totals = {}
    expected: dict[str, str] = {}  # NetSuite externalId -> what it stands for
    held_intents: set[str] = set()
    for invoice in stripe.iterate(Kind.INVOICES):
        if invoice.get("status") not in ("open", "paid"):
            continue
        currency = str(invoice["currency"])
        total = mapping.money(int(invoice["total"]), currency).amount
        paid = mapping.money(int(invoice.get("amount_paid") or 0), currency).amount
        _add(stripe_totals, currency, Measure.INVOICED, total)
        _add(stripe_totals, currency, Measure.PAID, paid)
        if str(invoice["id"]) in held_refs:
            _add(held, currency, Measure.INVOICED, total)
            _add(held, currency, Measure.PAID, paid)
            held_intents.update(str((entry.get("payment") or {}).get("payment_intent"))
                                for entry in (invoice.get("payments") or {}).get("data") or [])
            continue
        expected[invoice_id_for(BILLING, str(invoice["id"]))] = f"invoice {invoice['id']}"
    for charge in stripe.iterate(Kind.CHARGES):
        if charge.get("status") == "succeeded" and \
                str(charge.get("payment_intent")) not in held_intents:
            expected.setdefault(payment_id_for(BILLING, str(charge["id"])),
                                f"payment {charge['id']}")
    for refund in stripe.iterate(Kind.REFUNDS):
        if refund.get("status") == "succeeded":
            _add(stripe_totals, str(refund["currency"]), Measure.REFUNDED,
                 mapping.money(int(refund["amount"]), str(refund["currency"])).amount)
            expected[refund_id_for(BILLING, str(refund["id"]))] = f"refund {refund['id']}"

    ns_totals: Totals = {}
    seen: Counter[str] = Counter()
    rows = netsuite.suiteql("SELECT t.id, t.type, t.foreigntotal, t.externalid, "
                            "BUILTIN.DF(t.currency) AS currency FROM transaction t "
                            "WHERE t.type IN ('CustInvc', 'CustPymt', 'CustRfnd')")
    measure = {"CustInvc": Measure.INVOICED, "CustPymt": Measure.PAID,
               "CustRfnd": Measure.REFUNDED}
    for row in rows:
        _add(ns_totals, str(row["currency"]), measure[str(row["type"])],
             Decimal(str(row["foreigntotal"])))
        if row.get("externalid"):
            seen[str(row["externalid"])] += 1
    _close(stripe_totals)
    _close(held)
    _close(ns_totals)
    lost = sorted(what for key, what in expected.items() if key not in seen)
    doubled = sorted(key for key, count in seen.items() if count > 1)
    comparable = _minus(stripe_totals, held)
    return Reconciliation(control_totals={"stripe": stripe_totals, "netsuite": ns_totals},
                          held=held, agree=_same(comparable, ns_totals), lost=lost,
                          doubled=doubled)


def _minus(left: Totals, right: Totals) -> Totals:
    out: Totals = defaultdict(dict)
    for currency, row in left.items():
        for name, value in row.items():
            out[currency][name] = value - right.get(currency, {}).get(name, Decimal(0))
    return dict(out)


def _same(left: Totals, right: Totals) -> bool:
    currencies: Iterable[str] = set(left) | set(right)
    zero = {m.value: Decimal(0) for m in Measure}
    return all(left.get(c, zero) == right.get(c, zero) for c in currencies)


def jsonable_totals(totals: dict[str, Totals]) -> dict[str, Any]:
    return {system: {currency: {name: format(value, "f") for name, value in row.items()}
                     for currency, row in by_currency.items()}
            for system, by_currency in totals.items()}


__all__ = ["Measure", "Reconciliation", "Totals", "held_references", "jsonable_totals",
           "reconcile"]
