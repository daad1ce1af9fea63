"""The local trace store: finished spans written to accord's database (``trace_span``) in
batches, so the console shows a deal's waterfall without any other server.

The exporter runs behind OpenTelemetry's ``BatchSpanProcessor``: spans are queued in memory
as they end and written by one background thread, one multi-row INSERT per batch, so a flow
step costs no database write of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import StatusCode
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import SQLAlchemyError

from accord.store import Database
from accord.store.models import TraceSpan

log = logging.getLogger(__name__)

SYSTEM_ATTRIBUTE = "accord.system"
CORRELATION_ATTRIBUTE = "accord.correlation_id"


def _hex(value: int, width: int) -> str:
    return format(value, f"0{width}x")


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def span_row(span: ReadableSpan) -> dict[str, Any]:
    """One finished span as a ``trace_span`` row."""
    context = span.context
    attributes = {key: _plain(value) for key, value in (span.attributes or {}).items()}
    start = span.start_time or 0
    end = span.end_time or start
    status = span.status.status_code
    return {
        "trace_id": _hex(context.trace_id, 32) if context else "",
        "span_id": _hex(context.span_id, 16) if context else "",
        "parent_span_id": _hex(span.parent.span_id, 16) if span.parent else None,
        "name": span.name[:255],
        "kind": span.kind.name.lower(),
        "system": str(attributes.get(SYSTEM_ATTRIBUTE) or "")[:40] or None,
        "correlation_id": str(attributes.get(CORRELATION_ATTRIBUTE) or "")[:255] or None,
        "started_at": datetime.fromtimestamp(start / 1e9, UTC),
        "duration_us": max(0, (end - start) // 1000),
        "status": {StatusCode.ERROR: "error", StatusCode.OK: "ok"}.get(status, "unset"),
        "attributes": attributes,
        "events": {"events": [{"name": event.name,
                               "at": datetime.fromtimestamp(event.timestamp / 1e9,
                                                            UTC).isoformat(),
                               "attributes": {k: _plain(v)
                                              for k, v in (event.attributes or {}).items()}}
                              for event in span.events]} if span.events else None,
    }


class DatabaseSpanExporter(SpanExporter):
    """Writes each batch of finished spans into ``trace_span`` with one INSERT."""

    def __init__(self, database_url: str) -> None:
        self.database = Database(database_url, pool_size=1, max_overflow=1)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        rows = [span_row(span) for span in spans if span.context is not None]
        if not rows:
            return SpanExportResult.SUCCESS
        try:
            with self.database.session() as session:
                session.execute(insert(TraceSpan), rows)
        except SQLAlchemyError as error:  # the table may not exist yet, or the DB is away
            # debug only: this runs on the exporter's thread, and a warning there would land
            # in whatever the process is logging at the moment
            log.debug("trace store: %d spans not written (%s)", len(rows),
                      type(error).__name__)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.database.dispose()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


@dataclass(frozen=True)
class StoredSpan:
    """A span as the console draws it: offsets from the trace's start."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str
    system: str | None
    correlation_id: str | None
    started_at: datetime
    duration_ms: float
    status: str
    attributes: dict[str, Any]
    events: list[dict[str, Any]]
    depth: int = 0
    offset_ms: float = 0.0


def _ordered(spans: list[StoredSpan]) -> list[StoredSpan]:
    """Depth-first, children by start time, each with its depth and offset from the start."""
    if not spans:
        return []
    known = {span.span_id for span in spans}
    children: dict[str | None, list[StoredSpan]] = {}
    for span in spans:
        parent = span.parent_span_id if span.parent_span_id in known else None
        children.setdefault(parent, []).append(span)
    start = min(span.started_at for span in spans)
    out: list[StoredSpan] = []

    def walk(parent: str | None, depth: int) -> None:
        for span in sorted(children.get(parent, []), key=lambda s: s.started_at):
            offset = (span.started_at - start).total_seconds() * 1000
            out.append(StoredSpan(**{**span.__dict__, "depth": depth, "offset_ms": offset}))
            walk(span.span_id, depth + 1)

    walk(None, 0)
    return out


def read_trace(database: Database, trace_id: str) -> list[StoredSpan]:
    """Every stored span of one trace, in waterfall order."""
    with database.session() as session:
        rows = session.scalars(select(TraceSpan).where(TraceSpan.trace_id == trace_id)).all()
        spans = [StoredSpan(trace_id=row.trace_id, span_id=row.span_id,
                            parent_span_id=row.parent_span_id, name=row.name, kind=row.kind,
                            system=row.system, correlation_id=row.correlation_id,
                            started_at=row.started_at, duration_ms=row.duration_us / 1000,
                            status=row.status, attributes=dict(row.attributes or {}),
                            events=list((row.events or {}).get("events", [])))
                 for row in rows]
    return _ordered(spans)


def traces_of(database: Database, correlation_ids: Iterable[str]) -> list[str]:
    """The trace ids that spans of these correlation ids belong to, oldest first."""
    wanted = sorted(set(correlation_ids))
    if not wanted:
        return []
    with database.session() as session:
        rows = session.execute(select(TraceSpan.trace_id, TraceSpan.started_at).where(
            TraceSpan.correlation_id.in_(wanted)).order_by(TraceSpan.started_at)).all()
    seen: dict[str, None] = {}
    for trace_id, _at in rows:
        seen.setdefault(str(trace_id), None)
    return list(seen)


def prune(database: Database, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete spans that started before ``older_than`` ago; returns how many."""
    cutoff = (now or datetime.now(UTC)) - older_than
    with database.session() as session:
        result = session.execute(delete(TraceSpan).where(TraceSpan.started_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)


__all__ = ["CORRELATION_ATTRIBUTE", "SYSTEM_ATTRIBUTE", "DatabaseSpanExporter", "StoredSpan",
           "prune", "read_trace", "span_row", "traces_of"]
