"""NetSuite in the ERP role (:class:`accord.ports.ErpPort`): the poster's idempotent
upserts on ``externalId``, plus what only the ERP's reference data knows - its items and the
GL accounts a processor fee is journalled to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC

from accord.canonical.billing import CreditNote, Invoice
from accord.canonical.catalog import Product
from accord.canonical.deals import ErpPosting
from accord.canonical.ledger import JournalEntry, JournalLine, Side
from accord.canonical.lookups import ErpInvoiceView
from accord.canonical.party import Customer
from accord.canonical.payments import Payment, ProcessorFee, Refund
from accord.connectors.netsuite import lookups, mapping
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.errors import DataQualityError, Team

SYSTEM = "netsuite"


class NetSuiteErp:
    """:class:`accord.ports.ErpPort` over one NetSuite account (a OneWorld account serves
    several legal entities, one subsidiary each)."""

    def __init__(self, poster: NetSuitePoster, *, system: str = SYSTEM) -> None:
        self.poster = poster
        self.client = poster.client
        self.ref = poster.ref
        self.system = system

    def post_customer(self, customer: Customer) -> str:
        return self.poster.post_customer(customer)

    def post_product(self, product: Product) -> str:
        return self.poster.post_product(product)

    def post_invoice(self, invoice: Invoice, *,
                     accounts: Sequence[str | None] | None = None) -> str:
        return self.poster.post_invoice(invoice, accounts=accounts)

    def post_invoices(self, invoices: Sequence[Invoice], *,
                      idempotency_key: str | None = None,
                      accounts: Mapping[str, Sequence[str | None]] | None = None
                      ) -> list[ErpPosting]:
        return [ErpPosting(canonical_id=result.external_id, erp_id=result.internal_id,
                           error=result.error)
                for result in self.poster.post_invoices(invoices,
                                                        idempotency_key=idempotency_key,
                                                        accounts=accounts)]

    def post_credit_note(self, note: CreditNote, *, apply: bool = True,
                         accounts: Sequence[str | None] | None = None) -> str:
        return self.poster.post_credit_note(note, apply=apply, accounts=accounts)

    def post_payment(self, payment: Payment) -> str:
        return self.poster.post_payment(payment)

    def post_refund(self, refund: Refund) -> str:
        return self.poster.post_refund(refund)

    def post_journal(self, entry: JournalEntry) -> str:
        return self.poster.post_journal(entry)

    def _account_code(self, netsuite_id: str, role: str) -> str:
        for code, found in self.ref.accounts.items():
            if found == netsuite_id:
                return code
        raise DataQualityError("accounts", f"reference data {self.ref.version} names no GL "
                               f"account for its {role} account {netsuite_id}",
                               owner=Team.FINANCE_OPERATIONS, system=self.system)

    def processor_fee_entry(self, fee: ProcessorFee, payment: Payment, legal_entity: str, *,
                            canonical_id: str) -> JournalEntry:
        """Dr processor fees, Cr undeposited funds (where the payment landed, gross, until
        the processor pays out net), in the fee's currency and the entity's subsidiary."""
        day = payment.received_at.astimezone(UTC).date()
        expense = self._account_code(self.ref.roles.processor_fees, "processor fees")
        clearing = self._account_code(self.ref.roles.undeposited_funds, "undeposited funds")
        return JournalEntry(
            id=canonical_id,
            legal_entity=legal_entity, currency=fee.amount.currency, entry_date=day,
            period=day.strftime("%Y-%m"),
            memo=f"Processing fee {fee.reference} on {fee.payment_reference}",
            lines=(JournalLine(account=expense, side=Side.DEBIT, amount=fee.amount),
                   JournalLine(account=clearing, side=Side.CREDIT, amount=fee.amount)),
            source_document=payment.id)

    def check_item(self, item_key: str, *, sku: str) -> str:
        item = self.ref.item(item_key, "erp_item")
        record = self.client.get(item.record_type, item.id, expand=False)
        if record.get("isInactive"):
            raise DataQualityError("erp_item", f"NetSuite item {item_key} of {sku} is "
                                   "inactive", owner=Team.MASTER_DATA, system=self.system)
        return str(record["id"])

    def read_customer(self, erp_customer_id: str) -> Customer:
        record = self.client.get("customer", erp_customer_id)
        return mapping.customer_from_netsuite(record, self.ref)

    def find_invoice(self, *, internal_id: str | None, external_id: str | None,
                     number: str) -> ErpInvoiceView | None:
        return lookups.find_invoice(self.client, internal_id=internal_id,
                                    external_id=external_id, number=number)

    def close(self) -> None:
        self.client.close()


__all__ = ["NetSuiteErp"]
