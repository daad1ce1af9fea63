"""The timeline: one row per step attempt, findable by correlation id or any business key."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from accord.errors import AccordError
from accord.store import Database
from accord.store.models import BusinessKey, TimelineEntry, utcnow
from accord.store.transient import retry_on_disconnect


class StepOutcome(StrEnum):
    """How one attempt of a step ended: the only words a timeline row's outcome takes."""

    SUCCEEDED = "succeeded"
    RETRYING = "retrying"  # it failed and will be tried again
    FAILED = "failed"  # it failed for good: the flow stopped on an exception


class Milestone(StrEnum):
    """A business milestone a flow declares it reached, whatever the vendor behind the step:
    ``@step(..., milestone=Milestone.INVOICE_POSTED)`` marks the step's succeeded row. The
    KPIs count milestones, never step names."""

    ORDER_ACTIVATED = "order_activated"  # the deal's subscription runs in billing
    INVOICE_POSTED = "invoice_posted"  # the invoice is in the ERP
    PAYMENT_POSTED = "payment_posted"  # the payment is applied in the ERP
    CRM_UPDATED = "crm_updated"  # the CRM was told (ids, contract or billing status)


@dataclass(frozen=True)
class StepRecord:
    """One attempt of a step. ``milestone`` only on a succeeded attempt (a milestone is
    reached or not); ``occurred_at`` defaults to the time the row is built."""

    correlation_id: str
    workflow_id: str | None
    flow: str
    step: str
    system: str | None
    action: str
    outcome: StepOutcome
    attempt: int
    latency_ms: int | None
    error: AccordError | None = None
    detail: dict[str, Any] | None = field(default=None)
    milestone: Milestone | None = None
    occurred_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.milestone is not None and self.outcome is not StepOutcome.SUCCEEDED:
            raise ValueError(f"milestone: {self.milestone.value} is reached only by a "
                             f"succeeded step, not a {self.outcome.value} one")


class TimelineView(BaseModel):
    """One timeline row as shown to people and the CLI."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    correlation_id: str
    workflow_id: str | None
    flow: str
    step: str
    system: str | None
    action: str
    outcome: StepOutcome
    milestone: Milestone | None
    attempt: int
    latency_ms: int | None
    error_code: str | None
    error_message: str | None
    occurred_at: datetime


# Built once: statements with bound parameters are compiled and cached once.
_INSERT_STEP = insert(TimelineEntry)

log = logging.getLogger(__name__)


def step_row(record: StepRecord) -> dict[str, Any]:
    error = record.error
    return {"correlation_id": record.correlation_id, "workflow_id": record.workflow_id,
            "flow": record.flow, "step": record.step, "system": record.system,
            "action": record.action, "outcome": record.outcome.value,
            "milestone": record.milestone.value if record.milestone else None,
            "attempt": record.attempt, "latency_ms": record.latency_ms,
            "error_code": error.code if error else None,
            "error_message": str(error) if error else None,
            "detail": record.detail, "occurred_at": record.occurred_at or utcnow()}


def key_rows(correlation_id: str, keys: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"correlation_id": correlation_id, "kind": kind, "value": value}
            for kind, value in keys.items()]


def _insert_keys(dialect: str) -> Any:
    """Insert business keys, leaving existing ones alone (flows re-run after a crash)."""
    if dialect == "postgresql":
        return postgresql_insert(BusinessKey).on_conflict_do_nothing()
    return sqlite_insert(BusinessKey).on_conflict_do_nothing()


@retry_on_disconnect
def write_rows(database: Database, steps: list[dict[str, Any]],
               keys: list[dict[str, Any]]) -> None:
    """Write timeline rows and business keys in one transaction."""
    if not steps and not keys:
        return
    with database.engine.begin() as connection:
        if steps:
            connection.execute(_INSERT_STEP, steps)
        if keys:
            connection.execute(_insert_keys(database.dialect), keys)


def record_step(database: Database, record: StepRecord) -> None:
    """Append one timeline row now."""
    write_rows(database, [step_row(record)], [])


def record_keys(database: Database, correlation_id: str, keys: Mapping[str, str]) -> None:
    """Index a flow's business keys now (idempotent)."""
    write_rows(database, [], key_rows(correlation_id, keys))


class TimelineWriter:
    """Writes timeline rows and business keys in batches from a background thread.

    Most rows (successful steps, business keys) are added here and written within
    ``window`` seconds, many per transaction: the hot path of a step then costs no extra
    commit. The price: rows still buffered when the process is killed are lost (the side
    effects and DBOS checkpoints are not affected). Failed and retried attempts are written
    at once by the caller. ``window <= 0`` writes every row synchronously.
    """

    def __init__(self, database: Database, window: float = 0.02, max_batch: int = 2000) -> None:
        self.database = database
        self.window = window
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        if window > 0:
            self._thread = threading.Thread(target=self._run, name="accord-timeline",
                                            daemon=True)
            self._thread.start()

    def add_step(self, record: StepRecord) -> None:
        if self._thread is None:
            record_step(self.database, record)
        else:
            self._queue.put(("step", step_row(record)))

    def add_keys(self, correlation_id: str, keys: Mapping[str, str]) -> None:
        if self._thread is None:
            record_keys(self.database, correlation_id, keys)
        else:
            for row in key_rows(correlation_id, keys):
                self._queue.put(("key", row))

    def flush(self, timeout: float = 30.0) -> None:
        """Block until everything added so far is written."""
        if self._thread is None:
            return
        done = threading.Event()
        self._queue.put(("flush", done))
        self._wake.set()
        done.wait(timeout)

    def close(self) -> None:
        if self._thread is None:
            return
        self._queue.put(("stop", None))
        self._wake.set()
        self._thread.join(timeout=30)
        self._thread = None

    def _run(self) -> None:
        # Wake up once per window and drain whatever arrived: adding a row never wakes this
        # thread, so the steps that add rows pay no thread switch.
        stopping = False
        while not stopping:
            self._wake.wait(self.window)
            self._wake.clear()
            batch: list[tuple[str, Any]] = []
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if not batch:
                continue
            steps = [row for kind, row in batch if kind == "step"]
            keys = [row for kind, row in batch if kind == "key"]
            self._write(steps, keys)
            for kind, row in batch:
                if kind == "flush":
                    row.set()
                elif kind == "stop":
                    stopping = True
            if len(batch) == self.max_batch:
                self._wake.set()  # more waiting: go again at once

    def _write(self, steps: list[dict[str, Any]], keys: list[dict[str, Any]]) -> None:
        # write_rows already waits out a lost or locked database; what still fails would
        # fail again (a bad row), so it is logged and dropped rather than retried here
        try:
            write_rows(self.database, steps, keys)
        except Exception:
            log.exception("timeline: dropped %d rows after a failed write",
                          len(steps) + len(keys))


def correlations_for_key(database: Database, value: str, kind: str | None = None) -> list[str]:
    """Correlation ids whose flows concern the business key ``value`` (of ``kind`` if given)."""
    query = select(BusinessKey.correlation_id).where(BusinessKey.value == value)
    if kind is not None:
        query = query.where(BusinessKey.kind == kind)
    with database.session() as session:
        return sorted(set(session.scalars(query)))


def keys_for(database: Database, correlation_id: str) -> dict[str, str]:
    with database.session() as session:
        return {k.kind: k.value for k in session.scalars(
            select(BusinessKey).where(BusinessKey.correlation_id == correlation_id))}


def entries(database: Database, correlation_ids: list[str]) -> list[TimelineView]:
    with database.session() as session:
        rows = session.scalars(
            select(TimelineEntry).where(TimelineEntry.correlation_id.in_(correlation_ids))
            .order_by(TimelineEntry.occurred_at, TimelineEntry.id))
        return [TimelineView.model_validate(row) for row in rows]


def search(database: Database, value: str, kind: str | None = None) -> list[TimelineView]:
    """Timeline entries of every flow that concerns ``value``: a correlation id or any
    business key (opportunity id, customer id, invoice number, ...)."""
    ids = set(correlations_for_key(database, value, kind))
    if kind is None:
        ids.add(value)
    return entries(database, sorted(ids))


__all__ = [
    "Milestone",
    "StepOutcome",
    "StepRecord",
    "TimelineView",
    "TimelineWriter",
    "correlations_for_key",
    "entries",
    "keys_for",
    "record_keys",
    "record_step",
    "search",
    "step_row",
    "write_rows",
]
