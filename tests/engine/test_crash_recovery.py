"""SIGKILL a worker in the middle of its flows, at different steps; a restarted worker
finishes every flow and every side effect is applied exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from accord.store import Database

WORKER = Path(__file__).parent / "engine_worker.py"
FLOWS = 4
STEPS = ("read_opportunity", "create_subscription", "post_invoice")


def unfinished_flows(url: str) -> int:
    """Flows DBOS has not recorded as finished (read straight from its tables)."""
    database = Database(url)
    table = "workflow_status" if database.dialect == "sqlite" else "dbos.workflow_status"
    try:
        with database.engine.connect() as connection:
            return int(connection.execute(text(
                f"SELECT count(*) FROM {table} WHERE name = 'test.quote_to_cash' "
                "AND status <> 'SUCCESS'")).scalar_one())
    finally:
        database.dispose()


def run_worker(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(WORKER), *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.mark.parametrize("crash_at", STEPS)
def test_sigkill_mid_flow_then_restart_applies_each_effect_once(
        crash_at: str, database_url: str, effects) -> None:
    env = {**os.environ, "ACCORD_TEST_EFFECTS_URL": effects.base_url}

    # Two flows at a time: the crash always cuts work off (with every flow in flight, the
    # others could all finish their last step before the kill lands).
    crashed = run_worker(["deliver", database_url, str(FLOWS)],
                         {**env, "ACCORD_TEST_CRASH_AT": crash_at,
                          "ACCORD_TEST_CONCURRENCY": "2"})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    names_before = {e["name"] for e in effects.state.log}
    assert crash_at in names_before
    assert not names_before & set(STEPS[STEPS.index(crash_at) + 1:])  # none got further
    assert unfinished_flows(database_url) > 0


    restarted = run_worker(["deliver", database_url, str(FLOWS)], env)
    assert restarted.returncode == 0, restarted.stderr
    summary = json.loads(restarted.stdout.strip().splitlines()[-1])
    assert len(summary["workflows"]) == FLOWS

    log = effects.state.log
    assert len(log) == FLOWS * len(STEPS)
    assert all(count == 1 for count in effects.state.applications.values())
    for n in range(FLOWS):
        names = [e["name"] for e in log if e["body"].get("correlation") == f"crm:evt-{n}"]
        assert names == list(STEPS)
    # the step that was cut off re-ran after the restart; its idempotency key made it a no-op
    assert effects.state.requests > len(log)
