"""The revenue schedules of an invoice: which lines are deferred, to which accounts, and how
each is recognized (pure: the SKU mapping and the invoice in, schedules out).

Rules (``docs/revenue.md``):

* Each invoice line stands alone: it is recognized at its own invoiced amount, without
  reallocating between lines; an invoice-level discount stays where the ERP books it.
* A line is planned when its SKU has a deferred revenue account in the SKU mapping; its
  amount goes to that account when the invoice is posted, and from there to the SKU's
  revenue account as it is recognized. A line without a SKU, or whose SKU has no deferred
  revenue account, is income when invoiced, as before.
* A recurring SKU with a service period is recognized ratably, daily over the inclusive
  service period. Usage, services and one-off items, and any line without a service period,
  are recognized at a point in time: the invoice's issue date.
* Periods already recognized for the invoice's legal entity and currency are closed: what
  falls in them moves to the first open period (the catch-up).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from accord.canonical.billing import Invoice, InvoiceLine
from accord.canonical.catalog import ProductKind
from accord.canonical.ids import EntityType, derived_id
from accord.canonical.ledger import Recognition, RevenueSchedule, RevenueScheduleEntry
from accord.canonical.money import Money
from accord.flows.skus import SkuEntry, SkuMapping
from accord.revenue.planning import Share, carry_forward, point_in_time, ratable


class PlannedSchedule(BaseModel):
    """A schedule with what the store and the ERP need besides the canonical entity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schedule: RevenueSchedule
    line: int
    deferred_account: str
    revenue_account: str
    service_start: date
    service_end: date


def rules_for(skus: SkuMapping, code: str | None) -> tuple[str, SkuEntry] | None:
    """(the code, its SKU entry) for an invoice line's product code: the canonical SKU
    itself, or - invoices mapped for the ERP name the ERP item a SKU posts as - the first
    SKU (in code order) that posts as that ERP item. The schedule keeps the line's code."""
    if not code:
        return None
    if code in skus.skus:
        return code, skus.skus[code]
    for sku in sorted(skus.skus):
        if skus.skus[sku].erp_item == code:
            return code, skus.skus[sku]
    return None


def schedule_id_for(invoice_id: str, line: int) -> str:
    return derived_id(EntityType.REVENUE_SCHEDULE, invoice_id, str(line))


def _shares(line: InvoiceLine, entry: SkuEntry, issued: date
            ) -> tuple[Recognition, list[Share], date, date]:
    """(recognition, shares, service start, service end)."""
    minor = line.amount.to_minor_units()
    if line.service_period is not None and entry.kind is ProductKind.RECURRING:
        span = line.service_period
        return Recognition.RATABLE, ratable(minor, span.start, span.end), span.start, span.end
    kind = Recognition.USAGE if entry.kind is ProductKind.USAGE else Recognition.POINT_IN_TIME
    return kind, point_in_time(minor, issued), issued, issued


def plan_invoice(invoice: Invoice, skus: SkuMapping, *, open_from: str | None = None
                 ) -> list[PlannedSchedule]:
    """One schedule per deferred line of ``invoice`` (lines of zero amount have none);
    ``open_from`` is the first period not yet recognized for the invoice's legal entity and
    currency (None: none recognized yet)."""
    planned: list[PlannedSchedule] = []
    for index, line in enumerate(invoice.lines):
        found = rules_for(skus, line.product_sku)
        if found is None or line.amount.is_zero():
            continue
        sku, entry = found
        if entry.deferred_revenue_account is None or entry.revenue_account is None:
            continue
        recognition, shares, service_start, service_end = _shares(line, entry,
                                                                  invoice.issue_date)
        shares = carry_forward(shares, open_from)
        if not shares:
            continue
        currency = invoice.currency
        schedule = RevenueSchedule(
            id=schedule_id_for(invoice.id, index), invoice_id=invoice.id, product_sku=sku,
            legal_entity=invoice.legal_entity, currency=currency, total=line.amount,
            recognition=recognition,
            entries=tuple(RevenueScheduleEntry(
                period=share.period, amount=Money.from_minor_units(share.minor, currency))
                for share in shares))
        planned.append(PlannedSchedule(
            schedule=schedule, line=index, deferred_account=entry.deferred_revenue_account,
            revenue_account=entry.revenue_account, service_start=service_start,
            service_end=service_end))
    return planned


def line_accounts(invoice: Invoice, planned: list[PlannedSchedule]) -> list[str | None]:
    """Per invoice line, the account its amount posts to instead of the item's income
    account (the deferred revenue account of its schedule), or None."""
    accounts: list[str | None] = [None] * len(invoice.lines)
    for item in planned:
        accounts[item.line] = item.deferred_account
    return accounts


__all__ = ["PlannedSchedule", "line_accounts", "plan_invoice", "rules_for",
           "schedule_id_for"]
