"""Stripe: customers, finalized invoices, succeeded charges and refunds, subscriptions, and
credit notes, each listed with ``starting_after`` pagination (100 a page).

Keys: an invoice by its number (the NetSuite ``tranId``), everything else by canonical id
(``metadata["accord_id"]`` or xref), subscriptions by their Stripe id (Salesforce carries it
as ``Stripe_Subscription_Id__c``). Stripe's fees live in balance transactions, which the
sandbox does not keep; the reader contributes no fees.

A refund of a charge that paid an invoice gives revenue back, as a credit note does (the ERP
books it as a credit memo and a customer refund), so it counts under credits as well as cash;
a refund of a payment on account is cash only. Which payment intents paid an invoice is
spooled to a scratch table from the invoices' payments, and only when the period has refunds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from itertools import chain
from typing import Any

from accord.canonical.billing import InvoiceStatus
from accord.canonical.ids import EntityType
from accord.canonical.money import Money
from accord.canonical.period import Period, in_period, period_of
from accord.canonical.reconciliation import (
    DEFAULT_SUBSIDIARIES,
    Contribution,
    Entity,
    Measure,
    RecordView,
)
from accord.canonical.record_keys import KeyResolver, NoKeys, keyed
from accord.connectors.stripe.client import Kind, StripeClient
from accord.connectors.stripe.mapping import ACCORD_ID
from accord.store.scratch import load, scratch_db

SYSTEM = "stripe"
StripeDict = dict[str, Any]
_ENTITY_TYPES = {Entity.CUSTOMER: EntityType.CUSTOMER, Entity.INVOICE: EntityType.INVOICE,
                 Entity.PAYMENT: EntityType.PAYMENT, Entity.REFUND: EntityType.REFUND,
                 Entity.SUBSCRIPTION: EntityType.SUBSCRIPTION}


def _day(timestamp: int | None) -> date:
    return datetime.fromtimestamp(int(timestamp or 0), tz=UTC).date()


def _money(minor: int | None, currency: str) -> Money:
    return Money.from_minor_units(int(minor or 0), currency.upper())


def _carried(obj: StripeDict) -> str | None:
    value = (obj.get("metadata") or {}).get(ACCORD_ID)
    return str(value) if value else None


def issued_on(invoice: StripeDict) -> date:
    transitions = invoice.get("status_transitions") or {}
    return _day(transitions.get("finalized_at") or invoice.get("created"))


def tax_of(invoice: StripeDict) -> int:
    """Tax in minor units, as the canonical mapping computes it."""
    discount = sum(int(d.get("amount") or 0)
                   for d in invoice.get("total_discount_amounts") or [])
    return int(invoice["total"]) - int(invoice["subtotal"]) + discount


def _settlement(status: Any) -> str | None:
    """An invoice's status where an ERP shows it too (``paid`` or ``open``); a void or
    uncollectible invoice's is not compared."""
    return str(status) if status in (InvoiceStatus.PAID, InvoiceStatus.OPEN) else None


class StripeReader:
    system = SYSTEM

    def __init__(self, client: StripeClient, *, keys: KeyResolver | None = None,
                 period: Period | None = None, page_size: int = 100,
                 subsidiaries: Mapping[str, str] = DEFAULT_SUBSIDIARIES) -> None:
        self.client = client
        self.keys = keys or NoKeys()
        self.period = period
        self.page_size = page_size
        self.subsidiaries = subsidiaries

    def _list(self, kind: Kind, **filters: Any) -> Iterator[StripeDict]:
        return self.client.iterate(kind, page_size=self.page_size, **filters)

    def _created(self, *, since_start: bool = True) -> dict[str, Any]:
        """A ``created`` filter narrowing a list to the period server-side (the period is
        still checked on each object); invoices are finalized after they are created, so
        for them only the end bounds ``created``."""
        if self.period is None:
            return {}
        bounds = {"lt": self.period.end_timestamp}
        if since_start:
            bounds["gte"] = self.period.start_timestamp
        return {"created": bounds}

    def subsidiary(self, obj: StripeDict) -> str:
        own = (obj.get("metadata") or {}).get("legal_entity")
        return str(own) if own else self.subsidiaries.get(str(obj["currency"]).upper(),
                                                          "UNKNOWN")

    def _keyed(self, entity: Entity, items: Iterator[StripeDict]
               ) -> Iterator[tuple[str, StripeDict]]:
        return keyed(items, self.keys, system=SYSTEM, entity=_ENTITY_TYPES[entity],
                     system_id=lambda obj: str(obj["id"]), carried=_carried)

    # -- documents -------------------------------------------------------------------------
    def invoices(self) -> Iterator[StripeDict]:
        """Finalized invoices issued in the period (drafts post nowhere)."""
        for invoice in self._list(Kind.INVOICES, **self._created(since_start=False)):
            if invoice.get("status") != "draft" and in_period(self.period, issued_on(invoice)):
                yield invoice

    def charges(self) -> Iterator[StripeDict]:
        for charge in self._list(Kind.CHARGES, **self._created()):
            if charge.get("status") == "succeeded" and in_period(self.period,
                                                                 _day(charge["created"])):
                yield charge

    def refunds(self) -> Iterator[StripeDict]:
        for refund in self._list(Kind.REFUNDS, **self._created()):
            if refund.get("status") == "succeeded" and in_period(self.period,
                                                                 _day(refund["created"])):
                yield refund

    def credit_notes(self) -> Iterator[StripeDict]:
        for note in self._list(Kind.CREDIT_NOTES, **self._created()):
            if note.get("status") != "void" and in_period(self.period, _day(note["created"])):
                yield note

    def _paid_intents(self) -> Iterator[tuple[str]]:
        """Payment intents that paid an invoice issued before the period ends."""
        for invoice in self._list(Kind.INVOICES, **self._created(since_start=False)):
            for entry in (invoice.get("payments") or {}).get("data") or []:
                intent = (entry.get("payment") or {}).get("payment_intent")
                if entry.get("status") == "paid" and intent:
                    yield (str(intent),)

    def invoice_refunds(self) -> Iterator[StripeDict]:
        """Refunds in the period of charges that paid an invoice."""
        refunds = self.refunds()
        first = next(refunds, None)
        if first is None:
            return
        with scratch_db() as db:
            db.execute("CREATE TABLE paid (intent TEXT PRIMARY KEY ON CONFLICT IGNORE)")
            load(db, "paid", ("intent",), self._paid_intents())
            for refund in chain((first,), refunds):
                intent = refund.get("payment_intent")
                if intent and db.execute("SELECT 1 FROM paid WHERE intent = ?",
                                         (str(intent),)).fetchone():
                    yield refund

    # -- record views ----------------------------------------------------------------------
    def records(self, entity: Entity) -> Iterator[RecordView]:
        match entity:
            case Entity.CUSTOMER:
                for key, obj in self._keyed(entity, self._list(Kind.CUSTOMERS)):
                    currency = obj.get("currency")
                    yield RecordView(key, str(obj["id"]),
                                     currency=str(currency).upper() if currency else None)
            case Entity.INVOICE:
                for key, obj in self._keyed(entity, self.invoices()):
                    yield RecordView(str(obj.get("number") or key), str(obj["id"]),
                                     _money(obj["total"], obj["currency"]),
                                     _settlement(obj.get("status")))
            case Entity.PAYMENT:
                for key, obj in self._keyed(entity, self.charges()):
                    yield RecordView(key, str(obj["id"]), _money(obj["amount"], obj["currency"]))
            case Entity.REFUND:
                for key, obj in self._keyed(entity, self.refunds()):
                    yield RecordView(key, str(obj["id"]), _money(obj["amount"], obj["currency"]))
            case Entity.SUBSCRIPTION:
                for obj in self._list(Kind.SUBSCRIPTIONS, status="all"):
                    yield RecordView(str(obj["id"]), str(obj["id"]), status=str(obj["status"]))

    def contributions(self) -> Iterator[Contribution]:
        for invoice in self.invoices():
            if invoice.get("status") == "void":
                continue
            currency, sub = str(invoice["currency"]), self.subsidiary(invoice)
            period = period_of(issued_on(invoice))
            tax = tax_of(invoice)
            yield Contribution(SYSTEM, sub, period, Measure.INVOICED,
                               _money(int(invoice["total"]) - tax, currency))
            yield Contribution(SYSTEM, sub, period, Measure.TAX, _money(tax, currency))
            if invoice.get("status") == "open":
                yield Contribution(SYSTEM, sub, period, Measure.OPEN_RECEIVABLES,
                                   _money(invoice.get("amount_remaining"), currency))
        for note in self.credit_notes():
            yield Contribution(SYSTEM, self.subsidiary(note), period_of(_day(note["created"])),
                               Measure.CREDITS, _money(note["total"], str(note["currency"])))
        for charge in self.charges():
            yield Contribution(SYSTEM, self.subsidiary(charge),
                               period_of(_day(charge["created"])), Measure.CASH,
                               _money(charge["amount"], str(charge["currency"])))
        for refund in self.refunds():
            yield Contribution(SYSTEM, self.subsidiary(refund),
                               period_of(_day(refund["created"])), Measure.CASH,
                               _money(-int(refund["amount"]), str(refund["currency"])))
        for refund in self.invoice_refunds():
            yield Contribution(SYSTEM, self.subsidiary(refund),
                               period_of(_day(refund["created"])), Measure.CREDITS,
                               _money(refund["amount"], str(refund["currency"])))


__all__ = ["StripeReader", "issued_on", "tax_of"]
