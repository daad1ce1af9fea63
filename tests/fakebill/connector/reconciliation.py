"""FakeBill for reconciliation (:class:`accord.ports.reconciliation.ReconciliationReader`):
its customers, issued invoices (keyed by number, as the ERP's document number), card
payments, refunds and subscriptions in accord's words, and each document's part of the
control totals. A refund gives back revenue of the invoice its payment settled, so it counts
under credits as well as cash (as the ERP books a credit memo and a customer refund)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from accord.canonical.ids import EntityType
from accord.canonical.period import Period, in_period, period_of
from accord.canonical.reconciliation import (
    DEFAULT_SUBSIDIARIES,
    Contribution,
    Entity,
    Measure,
    RecordView,
)
from accord.canonical.record_keys import KeyResolver, NoKeys, keyed
from accord.canonical.subscription import SubscriptionStatus
from tests.fakebill.connector.billing import STATES, money
from tests.fakebill.connector.client import FakeBillClient

Record = dict[str, Any]
SETTLEMENT = {"issued": "open", "settled": "paid"}
"""FakeBill's invoice states -> accord's where an ERP shows them too."""


def _day(record: Record) -> date:
    return datetime.fromtimestamp(int(record["created"]), UTC).date()


class FakeBillReader:
    def __init__(self, client: FakeBillClient, *, keys: KeyResolver | None = None,
                 period: Period | None = None) -> None:
        self.client = client
        self.system = client.system
        self.keys = keys or NoKeys()
        self.period = period

    def _documents(self, kind: str, *, state: str | None = None) -> Iterator[Record]:
        for record in self.client.iterate(kind):
            if (state is None or record["state"] == state) and in_period(self.period,
                                                                         _day(record)):
                yield record

    def _invoices(self) -> Iterator[Record]:
        for invoice in self._documents("invoices"):
            if invoice["state"] != "draft":
                yield invoice

    def _keyed(self, entity: EntityType, records: Iterator[Record]
               ) -> Iterator[tuple[str, Record]]:
        return keyed(records, self.keys, system=self.system, entity=entity,
                     system_id=lambda r: str(r["id"]), carried=lambda r: r.get("reference"))

    def records(self, entity: Entity) -> Iterator[RecordView]:
        match entity:
            case Entity.CUSTOMER:
                for key, found in self._keyed(EntityType.CUSTOMER,
                                              self.client.iterate("customers")):
                    yield RecordView(key, str(found["id"]), currency=str(found["currency"]))
            case Entity.INVOICE:
                for invoice in self._invoices():
                    yield RecordView(str(invoice["number"]), str(invoice["id"]),
                                     money(invoice["total"], invoice["currency"]),
                                     SETTLEMENT.get(str(invoice["state"])))
            case Entity.PAYMENT | Entity.REFUND:
                kind, entity_type = (("payments", EntityType.PAYMENT)
                                     if entity is Entity.PAYMENT
                                     else ("refunds", EntityType.REFUND))
                for key, found in self._keyed(entity_type,
                                              self._documents(kind, state="succeeded")):
                    yield RecordView(key, str(found["id"]),
                                     money(found["amount"], found["currency"]))
            case Entity.SUBSCRIPTION:
                for found in self.client.iterate("subscriptions"):
                    status = STATES.get(str(found["state"]), SubscriptionStatus.INCOMPLETE)
                    yield RecordView(str(found["id"]), str(found["id"]), status=status.value)

    def contributions(self) -> Iterator[Contribution]:
        entities: dict[str, str] = {}
        for invoice in self._invoices():
            currency = str(invoice["currency"])
            entity = str(invoice["metadata"].get("legal_entity")
                         or DEFAULT_SUBSIDIARIES.get(currency, "UNKNOWN"))
            entities[str(invoice["id"])] = entity
            period = period_of(_day(invoice))
            yield Contribution(self.system, entity, period, Measure.INVOICED,
                               money(invoice["subtotal"], currency))
            yield Contribution(self.system, entity, period, Measure.TAX,
                               money(invoice["tax_total"], currency))
            if invoice["state"] == "issued":
                yield Contribution(self.system, entity, period, Measure.OPEN_RECEIVABLES,
                                   money(invoice["total"] - invoice["amount_paid"], currency))
        paid_invoice: dict[str, str] = {}
        for payment in self._documents("payments", state="succeeded"):
            entity = entities.get(str(payment["invoice"]),
                                  DEFAULT_SUBSIDIARIES.get(payment["currency"], "UNKNOWN"))
            paid_invoice[str(payment["id"])] = entity
            period = period_of(_day(payment))
            yield Contribution(self.system, entity, period, Measure.CASH,
                               money(payment["amount"], payment["currency"]))
            if int(payment.get("fee") or 0):
                yield Contribution(self.system, entity, period, Measure.FEES,
                                   money(payment["fee"], payment["currency"]))
        for refund in self._documents("refunds", state="succeeded"):
            entity = paid_invoice.get(str(refund["payment"]),
                                      DEFAULT_SUBSIDIARIES.get(refund["currency"], "UNKNOWN"))
            period = period_of(_day(refund))
            yield Contribution(self.system, entity, period, Measure.CASH,
                               money(-int(refund["amount"]), refund["currency"]))
            yield Contribution(self.system, entity, period, Measure.CREDITS,
                               money(refund["amount"], refund["currency"]))
