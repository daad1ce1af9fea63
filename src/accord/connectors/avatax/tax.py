"""The tax role (:class:`accord.ports.TaxPort`) over AvaTax transactions.

Each document is an AvaTax transaction whose ``code`` is accord's document id, so every
call can be repeated: recording a committed document again returns it as held, committing
or voiding twice is one change, a refund already made is read back.
"""

from __future__ import annotations

from accord.canonical.tax import TaxCredit, TaxDocumentStatus, TaxRequest, TaxResult
from accord.connectors.avatax.client import AvaTaxClient
from accord.connectors.avatax.mapping import refund_model, result, transaction_model
from accord.errors import ConflictError, PermanentError

INVOICE = "SalesInvoice"
ESTIMATE = "SalesOrder"
REFUND = "ReturnInvoice"
ADJUSTMENT_REASON = "Other"


class AvaTaxTax:
    def __init__(self, client: AvaTaxClient, *, system: str = "avatax") -> None:
        self.client = client
        self.system = system

    def _model(self, request: TaxRequest, kind: str, commit: bool) -> dict[str, object]:
        return transaction_model(request, kind=kind, commit=commit,
                                 company_code=self.client.company_code)

    def quote(self, request: TaxRequest) -> TaxResult:
        return result(self.client.create_transaction(self._model(request, ESTIMATE, False)),
                      request.document_id)

    def record(self, request: TaxRequest, *, commit: bool) -> TaxResult:
        try:
            body = self.client.create_transaction(self._model(request, INVOICE, commit))
        except ConflictError:
            held = self.read(request.document_id)
            if held is None:
                raise
            return held
        return result(body)

    def _held(self, document_id: str) -> TaxResult:
        held = self.read(document_id)
        if held is None:
            raise PermanentError(f"document_id: the tax engine holds no document "
                                 f"{document_id!r}", system=self.system, status=404)
        return held

    def commit(self, document_id: str) -> TaxResult:
        held = self._held(document_id)
        if held.status is TaxDocumentStatus.COMMITTED:
            return held
        return result(self.client.commit(document_id))

    def void(self, document_id: str) -> TaxResult:
        held = self._held(document_id)
        if held.status is TaxDocumentStatus.VOIDED:
            return held
        return result(self.client.void(document_id))

    def adjust(self, request: TaxRequest, *, reason: str) -> TaxResult:
        held = self._held(request.document_id)
        model = self._model(request, INVOICE, held.status is TaxDocumentStatus.COMMITTED)
        return result(self.client.adjust(request.document_id, ADJUSTMENT_REASON,
                                         reason or "corrected by accord", model))

    def refund(self, credit: TaxCredit) -> TaxResult:
        done = self.client.transaction(credit.credit_id, REFUND)
        if done is not None:
            return result(done)
        return result(self.client.refund(credit.document_id, refund_model(credit)))

    def read(self, document_id: str) -> TaxResult | None:
        found = self.client.transaction(document_id, INVOICE)
        if found is None:
            found = self.client.transaction(document_id, REFUND)
        return result(found) if found is not None else None


__all__ = ["AvaTaxTax"]
