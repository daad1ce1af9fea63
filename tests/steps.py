"""Timeline rows for the edge cases a real run does not produce, written the way the engine
writes them: through :mod:`accord.engine.timeline`, in the engine's own words."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from accord.engine.timeline import Milestone, StepOutcome, StepRecord, record_keys, record_step
from accord.errors import AccordError
from accord.store import Database
from accord.store.models import TimelineEntry


def write_step(database: Database, correlation_id: str, step: str, *,
               system: str | None = None, outcome: StepOutcome = StepOutcome.SUCCEEDED,
               attempt: int = 1, at: datetime | None = None,
               milestone: Milestone | None = None, flow: str = "test",
               error: AccordError | None = None,
               detail: dict[str, Any] | None = None) -> int:
    """One step attempt (``step`` is ``<system>.<action>`` as the engine names it); returns
    the row's id."""
    record_step(database, StepRecord(
        correlation_id=correlation_id, workflow_id=None, flow=flow, step=step,
        system=system, action=step.rsplit(".", 1)[-1], outcome=outcome, attempt=attempt,
        latency_ms=None, error=error, detail=detail, milestone=milestone, occurred_at=at))
    with database.session() as session:
        return int(session.scalar(select(func.max(TimelineEntry.id)).where(
            TimelineEntry.correlation_id == correlation_id)) or 0)


def write_keys(database: Database, correlation_id: str, keys: Mapping[str, str]) -> None:
    record_keys(database, correlation_id, keys)


__all__ = ["write_keys", "write_step"]
