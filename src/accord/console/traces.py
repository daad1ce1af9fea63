"""The waterfall of a deal's traces (``/console/traces``): every span the local trace
store kept for the traces found by a business key or correlation id - intake, flow, steps
and the vendor calls under each, with when, how long, which system and which retry.

Each business event is a trace of its own: a won deal's, then each invoice's and each
payment's, which billing announces later. Searched by a deal, the page also draws what
followed it - the invoice postings and payments of the customer the deal's flow noted - so
one page shows the deal from the CRM to the ERP's payment.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.api.deps import SessionDep
from accord.api.queries import search_timeline
from accord.console.views import Page, render
from accord.flows.keys import SEARCHABLE, Key
from accord.observability.spanstore import StoredSpan, read_trace, traces_of
from accord.store import Database
from accord.store.models import BusinessKey

router = APIRouter(prefix="/console", include_in_schema=False)


def _label(span: StoredSpan) -> str:
    """A vendor call is named by its method and path; accord's spans by their own name."""
    url = span.attributes.get("url.full") or span.attributes.get("http.url")
    method = span.attributes.get("http.request.method") or span.attributes.get("http.method")
    if span.kind == "client" and url:
        return f"{method or ''} {url}".strip()
    return span.name


def followed(session: Session, correlation_ids: list[str]) -> list[str]:
    """The correlation ids of what followed the deals among ``correlation_ids``: the flows
    that posted an invoice or a payment of a customer those deals' flows noted."""
    deals = set(session.scalars(select(BusinessKey.correlation_id).where(
        BusinessKey.correlation_id.in_(correlation_ids), BusinessKey.kind == Key.DEAL_ID)))
    customers = set(session.scalars(select(BusinessKey.value).where(
        BusinessKey.correlation_id.in_(deals), BusinessKey.kind == Key.CUSTOMER_ID)))
    if not customers:
        return []
    of_customer = select(BusinessKey.correlation_id).where(
        BusinessKey.kind == Key.CUSTOMER_ID, BusinessKey.value.in_(customers))
    money = session.scalars(select(BusinessKey.correlation_id).where(
        BusinessKey.correlation_id.in_(of_customer),
        BusinessKey.kind.in_((Key.INVOICE_ID, Key.PAYMENT_ID))).distinct())
    return sorted(set(money) - set(correlation_ids))


def _waterfalls(db: Database, correlation_ids: list[str], group: str) -> list[dict[str, Any]]:
    drawn = []
    for trace_id in traces_of(db, correlation_ids):
        spans = read_trace(db, trace_id)
        total = max((s.offset_ms + s.duration_ms for s in spans), default=0.0) or 1.0
        drawn.append({"trace_id": trace_id, "spans": spans, "total_ms": total,
                      "labels": [_label(s) for s in spans], "group": group})
    return drawn


@router.get("/traces", response_class=HTMLResponse)
def traces(request: Request, session: SessionDep, who: Page, q: str = "",
           kind: str = "") -> HTMLResponse:
    """Waterfalls of the traces whose business keys (or correlation id) equal ``q``, then
    of the invoices and payments that followed a deal among them."""
    db: Database = request.app.state.database
    found = search_timeline(session, q.strip(), kind or None) if q.strip() else None
    correlation_ids = [t.correlation_id for t in found.traces] if found else []
    waterfalls = _waterfalls(db, correlation_ids, "found")
    after = _waterfalls(db, followed(session, correlation_ids), "followed")
    return render(request, "traces.html", who, q=q, kind=kind, kinds=SEARCHABLE,
                  searched=found is not None, waterfalls=waterfalls, followed=after)


__all__ = ["followed", "router"]
