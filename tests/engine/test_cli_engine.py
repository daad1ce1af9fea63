"""``accord exceptions``, ``accord replay`` and ``accord worker`` against a real database."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from dbos import DBOS
from engine_support_flows import quote_to_cash
from engine_support_server import Scripted
from typer.testing import CliRunner

from accord.cli import app
from accord.engine import EngineOptions, FlowFailed, FlowInput, launch, run_flow, shutdown
from accord.engine.exception_queue import ExceptionStatus, get_exception, list_exceptions
from accord.engine.flow import start_flow
from accord.store import Database

runner = CliRunner()
KEYS = {"opportunity": "006A1", "customer": "cus_42", "invoice": "INV-7"}


@pytest.fixture
def cli_env(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ACCORD_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COLUMNS", "250")
    return sqlite_url


def fail_two_flows(url: str, engine_factory, effects) -> None:
    engine_factory(url)
    effects.state.fail_next("create_subscription",
                            Scripted(422, {"field": "currency", "reason": "unsupported"}))
    effects.state.fail_next("post_invoice", Scripted(409, {"reason": "stale"}))
    for correlation in ("c-1", "c-2"):
        with pytest.raises(FlowFailed):
            run_flow(quote_to_cash, FlowInput(correlation_id=correlation,
                                              keys=KEYS)).get_result()
    shutdown()


def test_exceptions_list_show_resolve_ignore(cli_env: str, engine_factory, effects) -> None:
    fail_two_flows(cli_env, engine_factory, effects)

    listed = runner.invoke(app, ["exceptions", "list"])
    assert listed.exit_code == 0, listed.output
    assert "exceptions (2)" in listed.output
    assert "master_data" in listed.output
    assert "revenue_operations" in listed.output
    assert "currency" in listed.output

    shown = runner.invoke(app, ["exceptions", "show", "1"])
    assert shown.exit_code == 0, shown.output
    assert "unsupported" in shown.output
    assert "c-1" in shown.output

    resolved = runner.invoke(app, ["exceptions", "resolve", "1", "--note", "fixed in CRM",
                                   "--actor", "ana"])
    assert resolved.exit_code == 0, resolved.output
    ignored = runner.invoke(app, ["exceptions", "ignore", "2", "--note", "test record"])
    assert ignored.exit_code == 0, ignored.output
    assert "exceptions (0)" in runner.invoke(app, ["exceptions", "list"]).output
    assert "exceptions (2)" in runner.invoke(app, ["exceptions", "list", "--all"]).output

    database = Database(cli_env)
    assert get_exception(database, 1).resolved_by == "ana"
    assert get_exception(database, 2).status is ExceptionStatus.IGNORED
    database.dispose()
    assert runner.invoke(app, ["exceptions", "show", "99"]).exit_code == 1


def test_exceptions_retry_and_replay_from_the_cli(cli_env: str, engine_factory,
                                                  effects) -> None:
    fail_two_flows(cli_env, engine_factory, effects)

    retried = runner.invoke(app, ["exceptions", "retry", "1", "--note", "currency fixed"])
    assert retried.exit_code == 0, retried.output
    new_id = re.search(r"as workflow (\S+)", retried.output)
    assert new_id is not None

    replayed = runner.invoke(app, ["replay", "c-2"])
    assert replayed.exit_code == 0, replayed.output
    assert "forked" in replayed.output

    # a worker (here: this process) runs what the CLI queued
    runtime = engine_factory(cli_env)
    assert len(DBOS.retrieve_workflow(new_id.group(1)).get_result()) == 3
    forks = [w for w in DBOS.list_workflows(name="test.quote_to_cash")
             if "~replay-" in w.workflow_id]
    assert len(forks) == 1
    assert len(DBOS.retrieve_workflow(forks[0].workflow_id).get_result()) == 3
    assert all(r.status is ExceptionStatus.RESOLVED for r in list_exceptions(runtime.database))
    assert all(n == 1 for n in effects.state.applications.values())
    assert len(effects.state.log) == 6
    shutdown()
    assert runner.invoke(app, ["replay", "nothing-like-this"]).exit_code == 1


def test_worker_command_runs_queued_flows_until_sigterm(sqlite_url: str, effects) -> None:
    accord = Path(sys.executable).parent / "accord"
    env = {**os.environ, "ACCORD_DATABASE_URL": sqlite_url,
           "PYTHONPATH": str(Path(__file__).parent),
           "ACCORD_TEST_EFFECTS_URL": effects.base_url}
    worker = subprocess.Popen([str(accord), "worker", "--flows", "engine_support_flows",
                               "--id", "w-cli"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert worker.stdout is not None
        banner = worker.stdout.readline()
        assert "worker w-cli" in banner, worker.stderr.read() if worker.stderr else ""
        launch(EngineOptions(database_url=sqlite_url, listen=False, executor_id="test"))
        handle = start_flow(quote_to_cash, FlowInput(correlation_id="via-worker", keys=KEYS))
        assert len(handle.get_result()) == 3
        assert DBOS.get_workflow_status(handle.workflow_id).executor_id == "w-cli"
    finally:
        shutdown()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert worker.returncode == 0
