"""The tax role: the engine that says what tax a document bears, where, and keeps what was
charged for reporting. Requests and results are canonical (``accord.canonical.tax``); a
document is known by accord's id for it, so every call may be repeated safely."""

from __future__ import annotations

from typing import Protocol

from accord.canonical.tax import TaxCredit, TaxRequest, TaxResult


class TaxPort(Protocol):
    system: str
    """The system instance (``[systems.<name>]``) this adapter talks to."""

    def quote(self, request: TaxRequest) -> TaxResult:
        """The tax the document would bear (an estimate: nothing is recorded)."""
        ...

    def record(self, request: TaxRequest, *, commit: bool) -> TaxResult:
        """Record the document's tax, committed for reporting or not. Recording again a
        document not yet committed recalculates it; a committed one is returned as held
        (an adjustment changes it)."""
        ...

    def commit(self, document_id: str) -> TaxResult:
        """Commit a recorded document for reporting (committing twice is one commit)."""
        ...

    def void(self, document_id: str) -> TaxResult:
        """Void the document: it reports no tax (voiding twice is one void)."""
        ...

    def adjust(self, request: TaxRequest, *, reason: str) -> TaxResult:
        """Replace a recorded document's lines and tax with the request's (a corrected
        invoice); ``reason`` says why, for the audit trail."""
        ...

    def refund(self, credit: TaxCredit) -> TaxResult:
        """Give back tax charged on a recorded document, exactly as it was charged: a new
        document ``credit.credit_id`` with negative amounts (refunding twice is one
        refund)."""
        ...

    def read(self, document_id: str) -> TaxResult | None:
        """The document as the engine holds it now, or None."""
        ...


__all__ = ["TaxPort"]
