"""The scheduled reconciliation: a DBOS schedule starts the reconcile flow, which stores a run
and opens exceptions like the command does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from accord.engine import EngineOptions, launch, shutdown
from accord.reconcile.scheduled import SCHEDULE, install_schedule
from accord.resilience.limits import LimitsProfile
from accord.store import Database
from accord.store.models import ExceptionRecord, ReconRun

from .test_cli_and_heal import point_settings_at
from .test_planted import plant
from .world import Sandboxes, World


@pytest.fixture
def engine(sqlite_url: str, recon_db: Database) -> Iterator[None]:
    # the flow's readers take the engine's cross-process gate for NetSuite
    launch(EngineOptions(database_url=sqlite_url, worker_concurrency=2,
                         limits={"netsuite": LimitsProfile(max_concurrency=5)}))
    try:
        yield
    finally:
        shutdown()


def test_the_schedule_starts_a_run_that_opens_exceptions(
        baseline: World, sandboxes: Sandboxes, sqlite_url: str, engine: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from dbos import DBOS

    point_settings_at(monkeypatch, sandboxes, sqlite_url)
    plant(baseline)
    install_schedule("0 2 * * *", systems=["stripe", "netsuite"])
    assert DBOS.get_schedule(SCHEDULE) is not None
    DBOS.trigger_schedule(SCHEDULE).get_result()
    with baseline.database.session() as session:
        runs = session.scalars(select(ReconRun)).all()
        assert [(run.status, run.difference_count, run.systems) for run in runs] == [
            ("finished", 5, "netsuite,stripe")]
        assert runs[0].period is not None
        exceptions = session.scalars(select(ExceptionRecord)).all()
    assert sorted(e.field for e in exceptions) == [
        "amount_mismatch", "currency_mismatch", "duplicate_in_target", "missing_in_target",
        "orphan"]
