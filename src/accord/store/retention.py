"""Retention: what accord keeps of personal data once it has done its job.

After ``days``, an inbox row whose flow has started keeps its identity (system, event id,
type, times, status: the dedup of late redeliveries still works) but loses its payload; a
timeline row keeps its step, outcome and timing but loses the payload it sent and got and
its error text; console sessions that ended are deleted. Golden records, exceptions and the
audit log are kept: they are the record of what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update

from accord.store.db import Database
from accord.store.models import ConsoleSession, InboxEntry, TimelineEntry, utcnow

STARTED = "started"


@dataclass(frozen=True)
class Purged:
    inbox_payloads: int
    timeline_details: int
    sessions: int


def apply_retention(database: Database, days: int, now: datetime | None = None) -> Purged:
    """Drop the payloads older than ``days`` (see the module docstring); returns counts."""
    if days < 1:
        raise ValueError("days: at least 1")
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    with database.session() as session:
        inbox = session.execute(update(InboxEntry).where(
            InboxEntry.received_at < cutoff, InboxEntry.status == STARTED).values(payload={}))
        timeline = session.execute(update(TimelineEntry).where(
            TimelineEntry.occurred_at < cutoff).values(detail=None, error_message=None))
        sessions = session.execute(delete(ConsoleSession).where(
            or_(ConsoleSession.expires_at < now, ConsoleSession.revoked_at.is_not(None))))
        return Purged(int(inbox.rowcount), int(timeline.rowcount),  # type: ignore[attr-defined]
                      int(sessions.rowcount))  # type: ignore[attr-defined]


__all__ = ["Purged", "apply_retention"]
