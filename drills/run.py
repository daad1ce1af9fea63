"""Run reliability drills and print their verdicts.

    .venv/bin/python drills/run.py [kill_storm|outage|throttle|db_restart|all]
                                   [--events N] [--customers N] [--workers N]

Each drill starts the NetSuite sandbox in this process, worker processes against a fresh
database, delivers the workload's events into the inbox while the drill's trouble happens,
waits for the backlog to drain, and compares NetSuite's final state with the workload.
Results go to drills/results/<drill>.json; the exit code is non-zero if any verdict fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import httpx
import posting_flow  # noqa: F401 - registers the flow so intake describes its events
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from workload import EVENT_TYPE, SYSTEM, Workload, generate, verdict

from accord.connectors.base import InboundEvent
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.engine.dispatch import store
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.netsuite import SANDBOX
from accord.sandboxes.server import RunningSandbox, start_in_thread
from accord.store import Database
from accord.store.models import ExceptionRecord, InboxEntry

HERE = Path(__file__).parent
RESULTS = HERE / "results"
PG_URL = os.environ.get("ACCORD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
console = Console()


# -- infrastructure -----------------------------------------------------------------------
def postgres_available() -> bool:
    engine = create_engine(make_url(PG_URL).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


@contextmanager
def fresh_database(use_postgres: bool) -> Iterator[str]:
    if not use_postgres:
        with tempfile.TemporaryDirectory(prefix="accord-drill-") as directory:
            yield f"sqlite:///{directory}/drill.db"
        return
    admin_url = make_url(PG_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"accord_drill_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        for _ in range(20):
            try:
                with admin.connect() as connection:
                    connection.execute(text("SELECT pg_terminate_backend(pid) FROM "
                                            "pg_stat_activity WHERE datname = :n"), {"n": name})
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                break
            except OperationalError:
                time.sleep(1)
        admin.dispose()


class Workers:
    """Worker subprocesses that can be killed and restarted under their own executor ids."""

    def __init__(self, database_url: str, count: int, env: dict[str, str]) -> None:
        self.database_url = database_url
        self.env = env
        self.procs: dict[str, subprocess.Popen[str]] = {}
        self.kills = 0
        self.log = open(Path(tempfile.gettempdir()) / "accord-drill-workers.log", "a")  # noqa: SIM115
        for n in range(count):
            self.start(f"drill-worker-{n}")

    def start(self, executor: str) -> None:
        self.procs[executor] = subprocess.Popen(
            [sys.executable, str(HERE / "worker.py"), self.database_url, executor],
            env=self.env, stdout=self.log, stderr=self.log, text=True)

    def kill_one(self, rng: random.Random) -> None:
        executor = rng.choice(sorted(self.procs))
        self.procs[executor].send_signal(signal.SIGKILL)
        self.procs[executor].wait()
        self.kills += 1
        self.start(executor)

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def netsuite_env(sandbox: RunningSandbox) -> dict[str, str]:
    creds = sandbox.credentials()
    return {"ACCORD_NETSUITE_BASE_URL": creds["base_url"],
            "ACCORD_NETSUITE_ACCOUNT_ID": creds["account_id"],
            "ACCORD_NETSUITE_CONSUMER_KEY": creds["consumer_key"],
            "ACCORD_NETSUITE_CONSUMER_SECRET": creds["consumer_secret"],
            "ACCORD_NETSUITE_TOKEN_ID": creds["token_id"],
            "ACCORD_NETSUITE_TOKEN_SECRET": creds["token_secret"]}


def netsuite_invoices(settings: NetSuiteSettings) -> list[dict[str, Any]]:
    with NetSuiteClient(settings) as client:
        return list(client.suiteql(
            "SELECT id, externalid, foreigntotal FROM transaction WHERE type = 'CustInvc'"))


# -- the drill loop -----------------------------------------------------------------------
Trouble = Callable[["Drill"], None]


class Drill:
    def __init__(self, name: str, events: int, customers: int, workers: int,
                 use_postgres: bool) -> None:
        self.name = name
        self.workload: Workload = generate(events, customers)
        self.workers_wanted = workers
        self.use_postgres = use_postgres
        self.notes: dict[str, Any] = {}
        self.rng = random.Random(11)
        self.progress = 0

    def run(self, trouble: Trouble | None, deadline_seconds: float = 1800) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="accord-drill-ns-") as data_dir, \
                fresh_database(self.use_postgres) as database_url:
            self.sandbox = start_in_thread(SANDBOX, SandboxOptions(data_dir=Path(data_dir)))
            self.control = httpx.Client(base_url=self.sandbox.base_url, timeout=30)
            self.settings = NetSuiteSettings(**{k.removeprefix("ACCORD_NETSUITE_").lower(): v
                                                for k, v in netsuite_env(self.sandbox).items()})
            self.database = Database(database_url)
            from accord.store import upgrade

            upgrade(self.database.engine)
            env = {**os.environ, **netsuite_env(self.sandbox), "PYTHONUNBUFFERED": "1"}
            self.workers = Workers(database_url, self.workers_wanted, env)
            started = time.monotonic()
            chaos = threading.Thread(target=trouble, args=(self,), daemon=True) if trouble \
                else None
            try:
                if chaos:
                    chaos.start()
                self.deliver()
                self.wait_for_drain(started + deadline_seconds)
                if chaos:
                    chaos.join(timeout=600)
                    self.wait_for_drain(started + deadline_seconds)
            finally:
                self.workers.stop()
            elapsed = time.monotonic() - started
            result = self.judge(elapsed)
            self.control.close()
            self.sandbox.stop()
            self.database.dispose()
        return result

    def deliver(self) -> None:
        for n, invoice in enumerate(self.workload.invoices):
            event = InboundEvent(system=SYSTEM, event_id=f"evt-{n:06d}", event_type=EVENT_TYPE,
                                 occurred_at=datetime.now(UTC),
                                 payload=self.workload.event(invoice))
            store(self.database, event)
            if n % 7 == 0:  # a webhook sender's duplicate delivery
                store(self.database, event)

    def posted(self) -> int:
        return len(netsuite_invoices(self.settings))

    def wait_for_drain(self, deadline: float) -> None:
        total = len(self.workload.invoices)
        with Progress("[bold]" + self.name, BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task("posting", total=total)
            idle_since: float | None = None
            while time.monotonic() < deadline:
                self.progress = self.posted()
                bar.update(task, completed=self.progress)
                if self.pending() == 0:
                    if self.progress >= total:
                        return
                    # nothing queued or running, yet not everything posted: give the pump
                    # a moment, then stop and let the verdict name what is missing
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since > 15:
                        return
                else:
                    idle_since = None
                time.sleep(1.0)

    def pending(self) -> int:
        with self.database.session() as session:
            waiting = session.scalar(select(func.count()).select_from(InboxEntry).where(
                InboxEntry.status == "received")) or 0
        dbos = "dbos.workflow_status" if self.use_postgres else "workflow_status"
        try:
            with self.database.engine.connect() as connection:
                running = connection.execute(text(
                    f"SELECT COUNT(*) FROM {dbos} WHERE status IN "
                    "('PENDING', 'ENQUEUED')")).scalar() or 0
        except (OperationalError, ProgrammingError):
            return int(waiting) + 1  # the workers have not created DBOS's tables yet
        return int(waiting) + int(running)

    def judge(self, elapsed: float) -> dict[str, Any]:
        result = verdict(self.workload, netsuite_invoices(self.settings), self.pending())
        with self.database.session() as session:
            exceptions = [{"kind": e.kind, "owner": e.owner, "reason": e.reason}
                          for e in session.scalars(select(ExceptionRecord).where(
                              ExceptionRecord.status == "open"))]
        governance = self.control.get("/__sandbox/netsuite/governance").json()
        return {"drill": self.name, "events": len(self.workload.invoices),
                "duplicate_deliveries": (len(self.workload.invoices) + 6) // 7,
                "workers": self.workers_wanted, "worker_kills": self.workers.kills,
                "database": "postgresql" if self.use_postgres else "sqlite",
                "seconds": round(elapsed, 1),
                "events_per_second": round(len(self.workload.invoices) / elapsed, 1),
                "open_exceptions": exceptions, "netsuite_governance": governance,
                **self.notes, "verdict": result.summary()}


# -- the troubles -------------------------------------------------------------------------
def kill_storm(drill: Drill, kills: int = 12) -> None:
    total = len(drill.workload.invoices)
    while drill.workers.kills < kills and drill.progress < total * 0.95:
        time.sleep(drill.rng.uniform(1.0, 4.0))
        drill.workers.kill_one(drill.rng)


def outage(drill: Drill, seconds: float = 40.0) -> None:
    total = len(drill.workload.invoices)
    while drill.progress < total * 0.2:
        time.sleep(0.5)
    now = datetime.fromisoformat(drill.control.get("/__sandbox/clock").json()["now"])
    drill.control.put("/__sandbox/faults", json={
        "outage_until": (now + timedelta(seconds=seconds)).isoformat(),
        "timeout_until": (now + timedelta(seconds=seconds + 10)).isoformat(),
        "timeout_seconds": 3}).raise_for_status()
    drill.notes["outage"] = {"at_posted": drill.progress, "seconds": seconds,
                             "then_timeouts_seconds": 10}
    time.sleep(seconds + 12)
    drill.control.delete("/__sandbox/faults").raise_for_status()


def throttle(drill: Drill) -> None:
    drill.notes["throttle"] = {"sandbox_concurrency_limit": 5,
                               "accord_gate": "engine DbSlotGate, max_concurrency 5"}


def db_restart(drill: Drill) -> None:
    total = len(drill.workload.invoices)
    while drill.progress < total * 0.3:
        time.sleep(0.5)
    clusters = sorted(Path("/etc/postgresql").glob("*/main"))
    if not clusters or not shutil.which("pg_ctlcluster"):
        drill.notes["db_restart"] = "skipped: no local cluster to restart"
        return
    version = clusters[-1].parent.name
    began = time.monotonic()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                   check=True, capture_output=True)
    drill.notes["db_restart"] = {"at_posted": drill.progress,
                                 "restart_seconds": round(time.monotonic() - began, 1)}


DRILLS: dict[str, tuple[Trouble | None, bool]] = {
    "kill_storm": (kill_storm, False),
    "outage": (outage, False),
    "throttle": (throttle, False),
    "db_restart": (db_restart, True),
}


def report(result: dict[str, Any]) -> None:
    verdict_ = result["verdict"]
    table = Table(title=f"drill {result['drill']}", show_header=False)
    for key in ("events", "duplicate_deliveries", "workers", "worker_kills", "database",
                "seconds", "events_per_second"):
        table.add_row(key, str(result[key]))
    for key in ("expected", "found", "lost", "doubled", "wrong_amount", "stuck"):
        table.add_row(key, str(verdict_[key]))
    governance = result["netsuite_governance"]
    table.add_row("netsuite peak concurrency / limit",
                  f"{governance.get('peak')} / {governance.get('limit')}")
    table.add_row("netsuite 429s", str(governance.get("rejected")))
    table.add_row("open exceptions", str(len(result["open_exceptions"])))
    table.add_row("verdict", "[green]PASS[/]" if verdict_["ok"] else "[red]FAIL[/]")
    console.print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drill", nargs="?", default="all", choices=[*DRILLS, "all"])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    use_postgres = postgres_available()
    if not use_postgres:
        console.print("[yellow]PostgreSQL not reachable: one worker on SQLite[/]")
    names = list(DRILLS) if args.drill == "all" else [args.drill]
    RESULTS.mkdir(parents=True, exist_ok=True)
    failed = False
    for name in names:
        trouble, needs_postgres = DRILLS[name]
        if needs_postgres and not use_postgres:
            console.print(f"[yellow]{name}: skipped, needs PostgreSQL[/]")
            continue
        workers = args.workers if use_postgres else 1
        result = Drill(name, args.events, args.customers, workers, use_postgres).run(trouble)
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        report(result)
        failed |= not result["verdict"]["ok"]
        if name == "outage":
            transient = [e for e in result["open_exceptions"]
                         if e["kind"] in {"transient", "rate_limited", "retries_exhausted"}]
            failed |= bool(transient)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
