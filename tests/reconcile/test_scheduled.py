"""The scheduled reconciliation: the deployment's ``reconcile`` schedule, fired on a worker,
stores a run and opens exceptions like the command does, and records how the run went."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from accord import bootstrap
from accord.bootstrap.schedules import RECONCILE
from accord.engine.control import EngineClient
from accord.engine.schedules import last_runs
from accord.store import Database
from accord.store.models import ExceptionRecord, ReconRun

from .test_cli_and_heal import point_settings_at
from .test_planted import plant
from .world import Sandboxes, World


@pytest.fixture
def service(sandboxes: Sandboxes, sqlite_url: str, recon_db: Database,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[bootstrap.Service]:
    point_settings_at(monkeypatch, sandboxes, sqlite_url)
    deployment = bootstrap.prepare(config={"schedules": {
        RECONCILE: {"cron": "0 2 * * *", "systems": ["stripe", "netsuite"]}}})
    try:
        with bootstrap.running(deployment) as started:
            yield started
    finally:
        deployment.close()


def test_the_schedule_starts_a_run_that_opens_exceptions(
        baseline: World, service: bootstrap.Service) -> None:
    plant(baseline)
    assert RECONCILE in service.runtime.schedules
    client = EngineClient(service.runtime.database)
    try:
        assert client.run_schedule(RECONCILE) is not None
        deadline = time.monotonic() + 120
        while not [run for run in last_runs(service.runtime.database, RECONCILE)
                   if run.outcome != "running"]:
            assert time.monotonic() < deadline, "the reconciliation did not run"
            time.sleep(0.2)
    finally:
        client.close()
    run = last_runs(service.runtime.database, RECONCILE)[0]
    assert (run.outcome, run.items) == ("ok", 5), run
    assert "5 differences" in (run.detail or "")
    with baseline.database.session() as session:
        runs = session.scalars(select(ReconRun)).all()
        assert [(r.status, r.difference_count, r.systems) for r in runs] == [
            ("finished", 5, "netsuite,stripe")]
        assert runs[0].period is not None
        exceptions = session.scalars(select(ExceptionRecord)).all()
    assert sorted(e.field for e in exceptions) == [
        "amount_mismatch", "currency_mismatch", "duplicate_in_target", "missing_in_target",
        "orphan"]
