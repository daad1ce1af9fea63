"""The waterfall of a deal's traces (``/console/traces``): every span the local trace
store kept for the traces found by a business key or correlation id - intake, flow, steps
and the vendor calls under each, with when, how long, which system and which retry."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from accord.api.deps import SessionDep
from accord.api.queries import search_timeline
from accord.console.views import Page, render
from accord.flows.keys import SEARCHABLE
from accord.observability.spanstore import StoredSpan, read_trace, traces_of
from accord.store import Database

router = APIRouter(prefix="/console", include_in_schema=False)


def _label(span: StoredSpan) -> str:
    """A vendor call is named by its method and path; accord's spans by their own name."""
    url = span.attributes.get("url.full") or span.attributes.get("http.url")
    method = span.attributes.get("http.request.method") or span.attributes.get("http.method")
    if span.kind == "client" and url:
        return f"{method or ''} {url}".strip()
    return span.name


@router.get("/traces", response_class=HTMLResponse)
def traces(request: Request, session: SessionDep, who: Page, q: str = "",
           kind: str = "") -> HTMLResponse:
    """Waterfalls of the traces whose business keys (or correlation id) equal ``q``."""
    db: Database = request.app.state.database
    found = search_timeline(session, q.strip(), kind or None) if q.strip() else None
    correlation_ids = [t.correlation_id for t in found.traces] if found else []
    waterfalls = []
    for trace_id in traces_of(db, correlation_ids):
        spans = read_trace(db, trace_id)
        total = max((s.offset_ms + s.duration_ms for s in spans), default=0.0) or 1.0
        waterfalls.append({"trace_id": trace_id, "spans": spans, "total_ms": total,
                           "labels": [_label(s) for s in spans]})
    return render(request, "traces.html", who, q=q, kind=kind, kinds=SEARCHABLE,
                  searched=found is not None, waterfalls=waterfalls)


__all__ = ["router"]
