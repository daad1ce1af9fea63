"""The billing role: customers, the catalog, subscriptions, invoices and payments.

Reading is two-phase, because a billing record names other records by the billing
system's ids: ``read_*`` returns the record as a JSON-safe document (kept by the flow's
step), ``*_refs`` says which of the billing system's ids it names, the flow resolves those
to canonical ids through the identity registry, and ``to_*`` maps the document with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from accord.canonical.billing import Invoice
from accord.canonical.catalog import Price, Product, ProductKind
from accord.canonical.contract import Contract, ContractLine
from accord.canonical.deals import (
    DealType,
    InvoiceRefs,
    MeteredItem,
    PaymentRead,
    SubscriptionRef,
    TaxRate,
)
from accord.canonical.lookups import BillingInvoiceView
from accord.canonical.party import Customer
from accord.canonical.payments import Payment, ProcessorFee, Refund
from accord.canonical.subscription import UsageRecord

Document = dict[str, Any]


class BillingPort(Protocol):
    system: str
    test_clocks: bool
    """Whether customers start on a test clock at their contract's start (test mode)."""

    # -- customers and the catalog --------------------------------------------------------
    def create_customer(self, customer: Customer, *, starts_at: datetime | None,
                        payment_method: str | None) -> str:
        """Create once (idempotent on the canonical id); ``starts_at`` a test clock's start."""
        ...

    def update_customer(self, billing_customer_id: str, customer: Customer,
                        version: int) -> None:
        ...

    def ensure_product(self, product: Product) -> str:
        ...

    def ensure_price(self, price: Price, billing_product_id: str, *,
                     meter: str | None = None) -> str:
        """``meter``: the usage meter a metered price bills from."""
        ...

    def ensure_meter(self, event_name: str, display_name: str) -> str:
        ...

    def ensure_tax_rate(self, rate: TaxRate) -> str | None:
        """The billing system's rate for ``rate`` (None when it charges no tax)."""
        ...

    # -- subscriptions ----------------------------------------------------------------------
    def create_subscription(self, contract: Contract, subscription_id: str, *,
                            billing_customer_id: str,
                            lines: Sequence[tuple[ContractLine, ProductKind, str]],
                            tax_rate: str | None, deal_id: str,
                            charge_automatically: bool) -> SubscriptionRef:
        """``lines``: each contract line with its product kind and billing price id."""
        ...

    def amend_subscription(self, billing_customer_id: str, contract: Contract,
                           prices: Sequence[str], kind: DealType,
                           recurring_skus: frozenset[str]) -> SubscriptionRef:
        """Change the customer's live subscription: items by SKU (an upgrade) or the term
        (a renewal), prorated."""
        ...

    def metered_item(self, billing_customer_id: str, sku: str) -> MeteredItem:
        """The live subscription's metered item billing ``sku``."""
        ...

    def report_usage(self, usage: UsageRecord, *, meter_event: str,
                     billing_customer_id: str) -> bool:
        """Report once (keyed by the usage record's id); False when already reported."""
        ...

    # -- invoices, payments, refunds --------------------------------------------------------
    def read_invoice(self, invoice_id: str) -> Document:
        ...

    def invoice_refs(self, document: Document) -> InvoiceRefs:
        ...

    def to_invoice(self, document: Document, *, canonical_id: str, customer_id: str,
                   subscription_id: str | None, legal_entity: str,
                   sku_of_product: Mapping[str, str]) -> Invoice:
        """``sku_of_product``: the billing system's product id -> the SKU's ERP item key."""
        ...

    def read_payment(self, invoice_id: str) -> Document | None:
        """The payment that paid the invoice (None when it was paid another way)."""
        ...

    def payment_read(self, document: Document) -> PaymentRead:
        ...

    def to_payment(self, document: Document, *, canonical_id: str, customer_id: str,
                   invoice_id: str) -> Payment:
        ...

    def processor_fee(self, document: Document) -> ProcessorFee | None:
        ...

    def read_refunds(self, payment_id: str) -> list[Document]:
        """The succeeded refunds of a payment (the billing system's payment id)."""
        ...

    def to_refund(self, document: Document, *, canonical_id: str, payment_id: str,
                  customer_id: str) -> Refund:
        ...

    def refund_id(self, document: Document) -> str:
        ...


    # -- what operators look up -----------------------------------------------------------
    def find_invoice(self, number: str) -> BillingInvoiceView | None:
        """The invoice numbered ``number``, as the billing system shows it now."""
        ...

__all__ = ["BillingPort", "Document"]
