"""Change polling with durable cursors (the ``poll_cursor`` table).

A poll reads the stream's stored cursor, asks the connector's poller for the changes after
it, stores every event in the inbox and starts its flow (:func:`accord.engine.dispatch.accept`,
which dedups on the event id), then stores the new cursor. A crash between the two only
repeats deliveries the inbox recognises; re-running a poll from an old cursor changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from accord.connectors.base import ChangePoller, InboundEvent
from accord.engine.dispatch import accept
from accord.engine.inbox import Intake, jsonable
from accord.store import Database
from accord.store.models import PollCursor


def storable(event: InboundEvent) -> InboundEvent:
    return replace(event, payload=jsonable(event.payload))


def read_cursor(database: Database, system: str, stream: str) -> str | None:
    with database.session() as session:
        return session.scalar(select(PollCursor.cursor).where(
            PollCursor.system == system, PollCursor.stream == stream))


def start_cursor(database: Database, system: str, stream: str, cursor: str | None) -> bool:
    """Store a stream's first cursor unless one is stored already (another worker was
    first); ``None`` stores the empty cursor: read from the oldest change. Returns whether
    this call stored it."""
    with database.session() as session:
        if session.get(PollCursor, (system, stream)) is not None:
            return False
    try:
        with database.session() as session:
            session.add(PollCursor(system=system, stream=stream, cursor=cursor or ""))
    except IntegrityError:
        return False
    return True


def write_cursor(database: Database, system: str, stream: str, cursor: str) -> None:
    with database.session() as session:
        row = session.get(PollCursor, (system, stream))
        if row is None:
            session.add(PollCursor(system=system, stream=stream, cursor=cursor))
        else:
            row.cursor = cursor


@dataclass(frozen=True)
class PollResult:
    events: int
    started: list[Intake]


def poll(database: Database, system: str, stream: str, poller: ChangePoller, *,
         limit: int = 100, cursor: str | None = None, store_cursor: bool = True) -> PollResult:
    """Drain ``poller`` from the stored cursor (or ``cursor``) into the inbox."""
    position = cursor if cursor is not None else read_cursor(database, system, stream)
    started: list[Intake] = []
    events = 0
    while True:
        batch = poller.poll(position, limit)
        for event in batch.events:
            events += 1
            intake = accept(database, storable(event))
            if intake is not None:
                started.append(intake)
        if not batch.events or batch.cursor is None or batch.cursor == position:
            break
        position = batch.cursor
        if store_cursor:
            write_cursor(database, system, stream, position)
    return PollResult(events, started)


__all__ = ["PollResult", "poll", "read_cursor", "start_cursor", "storable", "write_cursor"]
