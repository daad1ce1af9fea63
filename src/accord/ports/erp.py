"""The ERP role: every customer, invoice, credit, payment, refund and journal posted once,
upserted on accord's canonical id (the ERP's external id), in the legal entity's
subsidiary; GL accounts and item codes come from the ERP connector's reference data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from accord.canonical.billing import CreditNote, Invoice
from accord.canonical.catalog import Product
from accord.canonical.deals import ErpPosting
from accord.canonical.ledger import JournalEntry
from accord.canonical.lookups import ErpInvoiceView
from accord.canonical.party import Customer
from accord.canonical.payments import Payment, ProcessorFee, Refund


class ErpPort(Protocol):
    system: str

    def post_customer(self, customer: Customer) -> str:
        ...

    def post_product(self, product: Product) -> str:
        ...

    def post_invoice(self, invoice: Invoice, *,
                     accounts: Sequence[str | None] | None = None) -> str:
        """``accounts``: per line, the GL account number the line's amount posts to instead
        of its item's income account (a deferred revenue account), or None to keep it."""
        ...

    def post_invoices(self, invoices: Sequence[Invoice], *,
                      idempotency_key: str | None = None,
                      accounts: Mapping[str, Sequence[str | None]] | None = None
                      ) -> list[ErpPosting]:
        """One result per invoice, in order. ``accounts``: by invoice id, the per-line
        accounts of :meth:`post_invoice`."""
        ...

    def post_credit_note(self, note: CreditNote, *, apply: bool = True,
                         accounts: Sequence[str | None] | None = None) -> str:
        """``accounts`` as for :meth:`post_invoice` (the deferred revenue a credit reduces)."""
        ...

    def post_payment(self, payment: Payment) -> str:
        ...

    def post_refund(self, refund: Refund) -> str:
        ...

    def post_journal(self, entry: JournalEntry) -> str:
        ...

    def processor_fee_entry(self, fee: ProcessorFee, payment: Payment, legal_entity: str, *,
                            canonical_id: str) -> JournalEntry:
        """The fee as a balanced journal in the ERP's accounts: fee expense against the
        clearing account the payment landed in, dated with the payment."""
        ...

    def check_item(self, item_key: str, *, sku: str) -> str:
        """The ERP item of a SKU, checked to exist and be active; its ERP id. A missing or
        inactive one raises a data-quality error for master data."""
        ...

    def read_customer(self, erp_customer_id: str) -> Customer:
        ...


    def find_invoice(self, *, internal_id: str | None, external_id: str | None,
                     number: str) -> ErpInvoiceView | None:
        """The invoice by the ERP's id (the identity registry's), else by accord's id, else
        by document number (posted outside accord); None when the ERP holds none."""
        ...

__all__ = ["ErpPort"]
