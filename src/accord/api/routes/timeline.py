"""Search the cross-system timeline by any business key or correlation id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import or_, select

from accord.api.deps import SessionDep, Viewer
from accord.store.models import BusinessKey, TimelineEntry

router = APIRouter(prefix="/v1/timeline", tags=["timeline"])


class Step(BaseModel):
    occurred_at: datetime
    flow: str
    step: str
    system: str | None
    action: str
    outcome: str
    attempt: int
    latency_ms: int | None
    error_code: str | None
    error_message: str | None


class Trace(BaseModel):
    correlation_id: str
    keys: dict[str, list[str]]
    steps: list[Step]


class TimelineAnswer(BaseModel):
    query: str
    traces: list[Trace]


@router.get("")
def search(session: SessionDep, _who: Viewer,
           q: str = Query(min_length=1, max_length=255,
                          description="a business key value or a correlation id"),
           kind: str | None = Query(default=None, description="restrict to one key kind, "
                                    "e.g. opportunity_id, invoice_number"),
           limit: int = Query(default=20, ge=1, le=200)) -> TimelineAnswer:
    keyed = select(BusinessKey.correlation_id).where(BusinessKey.value == q)
    if kind:
        keyed = keyed.where(BusinessKey.kind == kind)
    correlation_ids = set(session.scalars(keyed.limit(limit)))
    if not kind:
        direct = session.scalars(select(TimelineEntry.correlation_id).where(
            or_(TimelineEntry.correlation_id == q, TimelineEntry.workflow_id == q)).limit(1))
        correlation_ids.update(direct)
    traces = [_trace(session, cid) for cid in sorted(correlation_ids)]
    traces.sort(key=lambda t: t.steps[0].occurred_at if t.steps else datetime.max.replace(
        tzinfo=UTC))
    return TimelineAnswer(query=q, traces=traces)


def _trace(session: Any, correlation_id: str) -> Trace:
    keys: dict[str, list[str]] = {}
    for key in session.scalars(select(BusinessKey).where(
            BusinessKey.correlation_id == correlation_id).order_by(BusinessKey.kind)):
        keys.setdefault(key.kind, []).append(key.value)
    rows = session.scalars(select(TimelineEntry).where(
        TimelineEntry.correlation_id == correlation_id).order_by(TimelineEntry.occurred_at,
                                                                 TimelineEntry.id))
    steps = [Step.model_validate(row, from_attributes=True) for row in rows]
    return Trace(correlation_id=correlation_id, keys=keys, steps=steps)
