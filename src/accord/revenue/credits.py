"""Credit notes against deferred revenue: each credit line reduces the credited invoice's
schedules (those of its SKU, else all of them, sharing one deferred revenue account), once
per line, and posts to that deferred revenue account; the schedules re-plan what is left
(:func:`accord.revenue.book.replan_schedule`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from accord.canonical.billing import CreditNote
from accord.flows.skus import SkuMapping
from accord.revenue.book import CreditLine, apply_credit, credit_accounts


def skus_of_code(skus: SkuMapping, code: str | None) -> set[str]:
    """The canonical SKUs a document line's product code stands for (the SKU itself, or
    every SKU posting as that ERP item)."""
    if not code:
        return set()
    return {sku for sku, entry in skus.skus.items() if code in (sku, entry.erp_item)}


def apply_credit_note(session: Session, note: CreditNote, skus: SkuMapping
                      ) -> list[str | None]:
    """Apply ``note`` to its invoice's schedules (a re-run changes nothing) and return, per
    line, the deferred revenue account it posts to (None: income, the invoice had no
    schedule)."""
    lines = [CreditLine(line.product_sku, line.amount) for line in note.lines]
    found = credit_accounts(session, note.invoice_id, lines,
                            [skus_of_code(skus, line.product_sku) for line in lines])
    accounts: list[str | None] = []
    for index, (line, (account, schedules)) in enumerate(zip(lines, found, strict=True)):
        accounts.append(account)
        if schedules:
            apply_credit(session, f"{note.id}:{index}", note.issue_date, line.amount,
                         schedules)
    return accounts


__all__ = ["apply_credit_note", "skus_of_code"]
