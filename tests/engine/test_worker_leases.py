"""Leases, takeover and fencing on PostgreSQL with real worker processes.

A worker lost for good (SIGKILLed, never restarted) has its pending flows adopted once even
when survivors race for them; a zombie (paused while its lease was taken over, then resumed)
has its late step result refused and the vendor holds one record."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

import stripe
from accord.cli import app
from accord.engine.leases import list_workers
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.server import start_in_thread
from accord.sandboxes.stripe import SANDBOX as STRIPE
from accord.store import Database

HERE = Path(__file__).parent
FLOWS = 4
STEPS = ("read_opportunity", "create_subscription", "post_invoice")

pytestmark = pytest.mark.postgres


def scalar(url: str, sql: str, **params: object) -> object:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def wait_for(condition, what: str, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def lease_expired(url: str, executor: str) -> bool:
    expires = scalar(url, "SELECT expires_at FROM worker_lease WHERE executor_id = :e",
                     e=executor)
    return expires is not None and float(expires) < time.time()  # type: ignore[arg-type]


def test_survivors_racing_to_adopt_a_lost_worker_adopt_each_flow_once(
        postgres_url: str, effects, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**os.environ, "ACCORD_TEST_EFFECTS_URL": effects.base_url}
    crashed = subprocess.run(
        [sys.executable, str(HERE / "engine_worker.py"), "deliver", postgres_url, str(FLOWS),
         "lost-1"],
        env={**env, "ACCORD_TEST_CRASH_AT": "create_subscription",
             "ACCORD_TEST_CONCURRENCY": "2", "ACCORD_TEST_LEASE": "1,0.2"},
        capture_output=True, text=True, timeout=120, check=False)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        pending = set(connection.execute(text(
            "SELECT workflow_uuid FROM dbos.workflow_status WHERE executor_id = 'lost-1' "
            "AND status = 'PENDING'")).scalars())
    engine.dispose()
    assert pending  # the lost worker left flows half done, under its own id
    wait_for(lambda: lease_expired(postgres_url, "lost-1"), "the lost worker's lease")

    go = tmp_path / "go"
    survivors = [subprocess.Popen(
        [sys.executable, str(HERE / "lease_worker.py"), "race", postgres_url, name, str(go)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("survivor-a", "survivor-b")]
    try:
        for survivor in survivors:
            assert survivor.stdout is not None
            assert survivor.stdout.readline().strip() == "ready"
        go.touch()  # four claimants (two threads in each survivor) at the same moment
        outputs = [survivor.communicate(timeout=90) for survivor in survivors]
    finally:
        for survivor in survivors:
            survivor.kill()
    assert [s.returncode for s in survivors] == [0, 0], [err for _, err in outputs]
    takeovers = [t for out, _ in outputs for t in json.loads(out.strip().splitlines()[-1])]

    assert len(takeovers) == 1  # one claimant got the lease; the others found none
    assert takeovers[0]["dead"] == "lost-1"
    assert set(takeovers[0]["workflows"]) == pending
    # each flow ran to its end once: its last step was called once, every effect applied once
    last_step_calls = {k: n for k, n in effects.state.calls.items()
                       if k.startswith("post_invoice:")}
    assert len(last_step_calls) == FLOWS
    assert set(last_step_calls.values()) == {1}
    assert len(effects.state.log) == FLOWS * len(STEPS)
    assert set(effects.state.applications.values()) == {1}
    assert scalar(postgres_url, "SELECT count(*) FROM dbos.workflow_status "
                  "WHERE name = 'test.quote_to_cash' AND status = 'SUCCESS'") == FLOWS

    # `accord workers` tells who took over from whom
    monkeypatch.setenv("ACCORD_DATABASE_URL", postgres_url)
    monkeypatch.setenv("COLUMNS", "250")
    listed = CliRunner().invoke(app, ["workers"])
    assert listed.exit_code == 0, listed.output
    row = next(line for line in listed.output.splitlines() if "lost-1 " in line)
    assert "taken over" in row
    assert takeovers[0]["adopter"] in row
    assert f"lost-1: {len(pending)} flows" in listed.output


def pause(process: subprocess.Popen[str], url: str) -> None:
    """SIGSTOP ``process`` (a long pause, as a partition looks from the database) at a moment
    it holds no transaction open, so that the pause only silences it."""
    engine = create_engine(url)
    try:
        for _ in range(500):
            os.kill(process.pid, signal.SIGSTOP)
            with engine.connect() as connection:
                busy = connection.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() "
                    "AND state IN ('active', 'idle in transaction')")).scalar()
            if not busy:
                return
            os.kill(process.pid, signal.SIGCONT)
            time.sleep(0.01)
        raise AssertionError("the worker never paused outside a transaction")
    finally:
        engine.dispose()


def test_a_zombie_workers_late_step_result_is_refused_and_the_vendor_sees_one_customer(
        postgres_url: str, tmp_path: Path) -> None:
    sandbox = start_in_thread(STRIPE, SandboxOptions(data_dir=tmp_path / "stripe",
                                                     settings={"rate_limit": 0}))
    try:
        run_zombie_and_adopter(postgres_url, tmp_path, sandbox.base_url,
                               sandbox.credentials()["api_key"])
    finally:
        sandbox.stop()


def run_zombie_and_adopter(postgres_url: str, tmp_path: Path, vendor_url: str,
                           key: str) -> None:
    hold = tmp_path / "hold"
    hold.mkdir()
    env = {**os.environ, "ACCORD_TEST_STRIPE_URL": vendor_url, "ACCORD_TEST_STRIPE_KEY": key,
           "ACCORD_TEST_HOLD_DIR": str(hold), "ACCORD_TEST_LEASE": "1,0.2"}
    email = "billing@zed.example"
    zombie_log = tmp_path / "zombie.log"
    with zombie_log.open("w") as log_file:
        zombie = subprocess.Popen(
            [sys.executable, str(HERE / "lease_worker.py"), "hold", postgres_url, "zombie-1",
             email], env={**env, "ACCORD_TEST_HOLD": "1"}, stdout=subprocess.PIPE,
            stderr=log_file, text=True)
    try:
        assert zombie.stdout is not None
        workflow_id = zombie.stdout.readline().strip()
        wait_for((hold / "called-zombie-1").exists, "the zombie's vendor call")
        pause(zombie, postgres_url)  # after its vendor call, before its checkpoint

        adopter = subprocess.run(
            [sys.executable, str(HERE / "lease_worker.py"), "adopt", postgres_url,
             "adopter-1", workflow_id], env=env, capture_output=True, text=True, timeout=90,
            check=False)
        assert adopter.returncode == 0, adopter.stderr
        result = json.loads(adopter.stdout.strip().splitlines()[-1])
        assert result["by"] == "adopter-1"

        (hold / "release").touch()
        os.kill(zombie.pid, signal.SIGCONT)  # the zombie comes back and finishes its step
        refusal = f"Workflow {workflow_id} is no longer owned by this execution"
        wait_for(lambda: refusal in zombie_log.read_text(), "the zombie's refused checkpoint")
        assert (hold / "returned-zombie-1").exists()
        # and its heartbeat learns that its lease was taken over
        wait_for(lambda: "lease of worker zombie-1 was taken over" in zombie_log.read_text(),
                 "the zombie's heartbeat")
    finally:
        os.kill(zombie.pid, signal.SIGCONT)
        zombie.terminate()
        zombie.wait(timeout=60)

    # the checkpoint kept the adopter's result; the zombie's late one was refused
    assert scalar(postgres_url, "SELECT executor_id FROM dbos.workflow_status "
                  "WHERE workflow_uuid = :w", w=workflow_id) == "adopter-1"
    # both called the vendor, with one idempotency key: it holds one customer
    client = stripe.StripeClient(key, base_addresses={"api": vendor_url},
                                 max_network_retries=0)
    customers = list(client.v1.customers.list({"email": email}).auto_paging_iter())
    assert [c.id for c in customers] == [result["customer"]]
    assert (hold / "called-zombie-1").read_text() == result["customer"]
    assert (hold / "called-adopter-1").read_text() == result["customer"]
    # and the takeover is on record
    database = Database(postgres_url)
    try:
        adopter_row = next(w for w in list_workers(database) if w.executor_id == "adopter-1")
    finally:
        database.dispose()
    assert [(t.dead_executor, t.workflow_ids) for t in adopter_row.took_over] == [
        ("zombie-1", (workflow_id,))]
