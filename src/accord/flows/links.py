"""Steps on accord's own store: cross-references, business keys and durable waits.

These run as DBOS steps (system ``accord``) so that a replayed flow reads the answer it got
the first time instead of asking again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from dbos import DBOS
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from accord.canonical.ids import EntityType
from accord.engine import StepCall, step
from accord.engine.context import current
from accord.engine.exception_queue import ExceptionStatus
from accord.engine.timeline import record_keys
from accord.errors import DataQualityError, Team
from accord.flows.systems import systems
from accord.registry.echo import note_write
from accord.registry.xref import Xrefs
from accord.store.models import ExceptionRecord

ACCORD = "accord"


@step(ACCORD, "link")
def link(_call: StepCall, canonical_id: str, entity: str, system: str, system_id: str) -> None:
    """Record that ``system`` knows ``canonical_id`` as ``system_id`` (idempotent). Two flows
    linking the same record at once (two deals selling one new price) race to insert the
    same row: the loser finds it there and is done; a contradiction still raises."""
    try:
        with current().database.session() as session:
            Xrefs(session).link(canonical_id, EntityType(entity), system, system_id)
    except IntegrityError:
        with current().database.session() as session:
            Xrefs(session).link(canonical_id, EntityType(entity), system, system_id)


@step(ACCORD, "lookup")
def lookup(_call: StepCall, canonical_id: str, system: str) -> str | None:
    with current().database.session() as session:
        return Xrefs(session).system_id(canonical_id, system)


@step(ACCORD, "resolve")
def canonical_of(_call: StepCall, system: str, entity: str, system_id: str) -> str | None:
    with current().database.session() as session:
        return Xrefs(session).canonical_id(system, EntityType(entity), system_id)


@step(ACCORD, "note_keys")
def note_keys(call: StepCall, keys: Mapping[str, str]) -> None:
    """Add business keys learnt during the flow, so the timeline finds it by them."""
    record_keys(current().database, call.correlation_id, dict(keys))


@step(ACCORD, "note_write")
def note_written(call: StepCall, system: str, entity: str, system_id: str,
                 values: Mapping[str, Any]) -> None:
    """Remember what accord wrote to ``system`` so its echo is not taken for news."""
    with current().database.session() as session:
        note_write(session, system, EntityType(entity), system_id, dict(values),
                   correlation_id=call.correlation_id)


@step(ACCORD, "gave_up_waiting")
def gave_up(_call: StepCall, field: str, reason: str) -> NoReturn:
    raise DataQualityError(field, reason, owner=Team.FINANCE_OPERATIONS, system=ACCORD)


@step(ACCORD, "blocking_exception")
def blocking_exception(_call: StepCall, record_ref: str) -> str | None:
    """An open exception about ``record_ref`` (the dependency will not come by itself)."""
    with current().database.session() as session:
        row = session.scalars(select(ExceptionRecord).where(
            ExceptionRecord.record_ref == record_ref,
            ExceptionRecord.status == ExceptionStatus.OPEN.value).limit(1)).first()
        return f"exception {row.id}: {row.reason}" if row is not None else None


def await_link(canonical_id: str, system: str, what: str, *,
               blocked_by: str | None = None) -> str:
    """The ``system`` id of ``canonical_id``, waiting durably (DBOS sleep, so a restarted
    worker resumes the wait) while an earlier flow creates it. After the configured bound,
    or at once when an open exception holds ``blocked_by`` (the record the dependency comes
    from), the wait ends in an exception for finance operations."""
    settings = systems().settings
    for _ in range(settings.wait_attempts):
        found = lookup(canonical_id, system)
        if found is not None:
            return found
        if blocked_by is not None:
            held = blocking_exception(blocked_by)
            if held is not None:
                gave_up(what, f"{canonical_id} is not in {system}: {blocked_by} is held "
                        f"by {held}")
        DBOS.sleep(settings.wait_interval)
    waited = settings.wait_interval * settings.wait_attempts
    gave_up(what, f"{canonical_id} did not reach {system} within {waited:g} s")
    raise AssertionError("unreachable: gave_up raises")  # pragma: no cover


__all__ = ["ACCORD", "await_link", "blocking_exception", "canonical_of", "gave_up", "link",
           "lookup", "note_keys", "note_written"]
