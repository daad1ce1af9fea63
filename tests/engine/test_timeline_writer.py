"""The batched timeline writer: rows are written within a window, on flush and on close."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accord.engine.timeline import StepOutcome, StepRecord, TimelineWriter, search
from accord.errors import TransientError
from accord.store import Database, upgrade


@pytest.fixture
def store(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    upgrade(database.engine)
    yield database
    database.dispose()


def record(correlation: str, attempt: int = 1, error: TransientError | None = None) -> StepRecord:
    return StepRecord(correlation_id=correlation, workflow_id="wf", flow="f", step="erp.post",
                      system="erp", action="post",
                      outcome=StepOutcome.RETRYING if error else StepOutcome.SUCCEEDED,
                      attempt=attempt, latency_ms=12, error=error)


def test_rows_and_keys_are_searchable_after_flush_and_close(store: Database) -> None:
    writer = TimelineWriter(store, window=60.0)  # long window: only flush/close write
    writer.add_keys("c-1", {"invoice": "INV-1", "customer": "cus-1"})
    writer.add_keys("c-1", {"invoice": "INV-1"})  # a flow re-run after a crash: no duplicate
    writer.add_step(record("c-1", 1, TransientError("timeout", system="erp")))
    writer.add_step(record("c-1", 2))
    writer.flush()
    rows = search(store, "INV-1")
    assert [(r.outcome, r.attempt, r.error_code) for r in rows] == [
        (StepOutcome.RETRYING, 1, "transient"), (StepOutcome.SUCCEEDED, 2, None)]
    writer.add_step(record("c-2"))
    writer.add_keys("c-2", {"customer": "cus-1"})
    writer.close()
    assert {r.correlation_id for r in search(store, "cus-1")} == {"c-1", "c-2"}
    assert search(store, "cus-1", kind="invoice") == []


def test_a_zero_window_writes_synchronously(store: Database) -> None:
    writer = TimelineWriter(store, window=0)
    writer.add_keys("c-9", {"order": "SO-9"})
    writer.add_step(record("c-9"))
    assert len(search(store, "SO-9")) == 1
