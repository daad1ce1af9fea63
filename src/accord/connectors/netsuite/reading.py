"""Reading NetSuite back as canonical documents, and reconciling balances with SuiteQL.

:class:`NetSuiteReader` resolves the references a record holds (its customer, the invoices a
payment applies to) to canonical ids through those records' ``externalId``, then calls the
pure inbound mappings. ``invoice_balances`` answers "what does NetSuite say is still owed on
these invoices?" in one SuiteQL query per 500 invoices.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from accord.canonical.billing import Invoice
from accord.canonical.ledger import JournalEntry
from accord.canonical.money import Money
from accord.canonical.party import Customer
from accord.canonical.payments import Payment
from accord.canonical.record_keys import CANONICAL_ID
from accord.connectors.netsuite import mapping
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.refdata import RefData
from accord.errors import DataQualityError, Team

_CHUNK = 500
_BALANCE_COLUMNS = ("SELECT id, externalid, currency, foreigntotal, foreignamountremaining, "
                    "status")


@dataclass(frozen=True)
class InvoiceBalance:
    internal_id: str
    total: Money
    remaining: Money
    status: str


class NetSuiteReader:
    def __init__(self, client: NetSuiteClient, ref: RefData) -> None:
        self.client = client
        self.ref = ref
        self._canonical_ids: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def canonical_id(self, record_type: str, internal_id: str, field: str) -> str:
        """The canonical id a NetSuite record carries as its external id (cached)."""
        key = (record_type, internal_id)
        with self._lock:
            if key in self._canonical_ids:
                return self._canonical_ids[key]
        external = self.client.get(record_type, internal_id, expand=False).get("externalId")
        if not isinstance(external, str) or not CANONICAL_ID.match(external):
            raise DataQualityError(field, f"NetSuite {record_type} {internal_id} was not "
                                   "created by accord (no canonical external id)",
                                   owner=Team.MASTER_DATA, system="netsuite")
        with self._lock:
            self._canonical_ids[key] = external
        return external

    def customer(self, internal_id: str) -> Customer:
        return mapping.customer_from_netsuite(self.client.get("customer", internal_id),
                                              self.ref)

    def invoice(self, internal_id: str) -> Invoice:
        record = self.client.get("invoice", internal_id)
        customer = self.canonical_id("customer", str(record["entity"]["id"]), "customer_id")
        return mapping.invoice_from_netsuite(record, self.ref, customer_id=customer)

    def payment(self, internal_id: str) -> Payment:
        record = self.client.get("customerPayment", internal_id)
        customer = self.canonical_id("customer", str(record["customer"]["id"]), "customer_id")
        invoices = {str(line["doc"]["id"]): self.canonical_id(
            "invoice", str(line["doc"]["id"]), "allocations")
            for line in record.get("apply", {}).get("items", [])}
        return mapping.payment_from_netsuite(record, self.ref, customer_id=customer,
                                             invoice_ids=invoices)

    def journal(self, internal_id: str) -> JournalEntry:
        return mapping.journal_from_netsuite(self.client.get("journalEntry", internal_id),
                                             self.ref)

    def invoice_balances(self, invoice_ids: Sequence[str]) -> dict[str, InvoiceBalance]:
        """Total, amount remaining and status of each invoice, by canonical id; invoices
        NetSuite does not hold are absent."""
        balances: dict[str, InvoiceBalance] = {}
        wanted = [i for i in dict.fromkeys(invoice_ids) if CANONICAL_ID.match(i)]
        for start in range(0, len(wanted), _CHUNK):
            listed = ", ".join(f"'{i}'" for i in wanted[start:start + _CHUNK])
            # the ids matched the canonical pattern above: nothing but letters, digits and _
            condition = f"type = 'CustInvc' AND externalid IN ({listed})"
            query = f"{_BALANCE_COLUMNS} FROM transaction WHERE {condition}"
            for row in self.client.suiteql(query):
                currency = self.ref.currency_code(row["currency"])
                balances[row["externalid"]] = InvoiceBalance(
                    internal_id=row["id"],
                    total=Money.of(Decimal(row["foreigntotal"]), currency),
                    remaining=Money.of(Decimal(row.get("foreignamountremaining", "0")),
                                       currency),
                    status=row.get("status", ""))
        return balances


__all__ = ["InvoiceBalance", "NetSuiteReader"]
