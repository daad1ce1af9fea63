"""The parts every drill shares: a fresh database, the NetSuite sandbox (and Stripe's and
Salesforce's when the flow involves them: drills/systems.py), the API as a real
``accord serve`` process (which a drill may SIGKILL), worker processes (likewise), and a
webhook sender that signs and retries as Stripe does.

Used by drills/run.py (full size) and by tests/drills (short forms inside ``make test``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import queue
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from config import ENV as CONFIG_ENV
from config import DrillConfig
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from systems import (
    RefusalWatch,
    SystemsSetup,
    VendorSandboxes,
    netsuite_limits,
    salesforce_limits,
    stripe_limits,
)

from accord.api.tokens import Role, create_token
from accord.canonical import Customer
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.engine.inbox import correlation_id_for
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.netsuite import SANDBOX
from accord.sandboxes.server import RunningSandbox, start_in_thread
from accord.store import Database, upgrade
from accord.store.models import ExceptionRecord, InboxEntry
from accord.store.sealing import bind_keys
from accord.testing.databases import postgres_available as server_answers
from accord.testing.databases import scratch_database

HERE = Path(__file__).parent
PG_URL = os.environ.get("ACCORD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


# -- databases ----------------------------------------------------------------------------
def postgres_available(url: str = PG_URL) -> bool:
    return server_answers(url)


@contextmanager
def fresh_database(use_postgres: bool, url: str = PG_URL) -> Iterator[str]:
    with scratch_database(url if use_postgres else None, prefix="accord_drill") as database:
        yield database


def free_port() -> int:
    """A port the OS has just handed out (the API process is restarted on the same one, so
    the sender's URL stays valid across a kill)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- processes ----------------------------------------------------------------------------
def _log_file(name: str) -> Any:
    return open(Path(tempfile.gettempdir()) / f"accord-drill-{name}.log", "a")


class ApiProcess:
    """``accord serve --no-workers`` as a subprocess: the webhook intake under test."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.kills = 0
        self.log = _log_file("api")
        self.proc: subprocess.Popen[str] | None = None
        self.start()

    def start(self, ready_within: float = 60.0) -> None:
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "accord"), "serve", "--no-workers", "--port",
             str(self.port)], env=self.env, stdout=self.log, stderr=self.log, text=True)
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"accord serve exited with {self.proc.returncode}; see "
                                   f"{self.log.name}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"accord serve not ready after {ready_within:.0f} s")

    def kill(self, down_for: float = 1.0) -> None:
        """SIGKILL the API while deliveries are arriving, then start it again."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.kills += 1
        time.sleep(down_for)
        self.start()

    def alive(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def rejections(self) -> dict[str, float]:
        """``accord_webhook_rejections_total`` by reason, from the process's /metrics."""
        found: dict[str, float] = {}
        pattern = re.compile(r'^accord_webhook_rejections_total\{(?P<labels>[^}]*)\} '
                             r'(?P<value>\S+)$')
        for line in httpx.get(f"{self.url}/metrics", timeout=10).text.splitlines():
            match = pattern.match(line)
            if match:
                labels = dict(re.findall(r'(\w+)="([^"]*)"', match["labels"]))
                found[labels.get("reason", "")] = float(match["value"])
        return found

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Workers:
    """Worker processes that can be SIGKILLed and come back under their own executor ids.

    Each runs under a small supervisor (drills/worker.py with a pid file) that forks a fresh
    worker as soon as one dies, as a process manager restarts a crashed service."""

    def __init__(self, database_url: str, count: int, env: dict[str, str]) -> None:
        self.database_url = database_url
        self.env = env
        self.procs: dict[str, subprocess.Popen[str]] = {}
        self.kills = 0
        self.log = _log_file("workers")
        self._dir = tempfile.TemporaryDirectory(prefix="accord-drill-pids-")
        for n in range(count):
            self.start(f"drill-worker-{n}")

    def pid_file(self, executor: str) -> Path:
        return Path(self._dir.name) / f"{executor}.pid"

    def start(self, executor: str) -> None:
        self.procs[executor] = subprocess.Popen(
            [sys.executable, str(HERE / "worker.py"), self.database_url, executor,
             str(self.pid_file(executor))],
            env=self.env, stdout=self.log, stderr=self.log, text=True)

    def worker_pid(self, executor: str, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, ValueError):
                return int(self.pid_file(executor).read_text())
            time.sleep(0.05)
        raise RuntimeError(f"{executor}: no worker process after {timeout:.0f} s")

    def kill_one(self, executor: str) -> None:
        """SIGKILL the worker; its supervisor starts a new one at once."""
        pid = self.worker_pid(executor)
        os.kill(pid, signal.SIGKILL)
        self.kills += 1
        deadline = time.monotonic() + 60
        while self.worker_pid(executor) == pid and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for executor in self.procs:  # a worker whose supervisor had to be killed
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(self.pid_file(executor).read_text()), signal.SIGKILL)
        self.log.close()
        self._dir.cleanup()


# -- the webhook sender -------------------------------------------------------------------
def stripe_signature(body: bytes, secret: str, at: int) -> str:
    """A ``Stripe-Signature`` header: HMAC-SHA256 of ``"{t}.{body}"`` with the secret."""
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


@dataclass
class SenderStats:
    attempts: int = 0
    accepted: int = 0          # 202: a new event stored
    duplicates: int = 0        # 200: already stored, recorded as another delivery
    retried: int = 0
    connection_errors: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    gave_up: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"attempts": self.attempts, "accepted_new": self.accepted,
                "accepted_duplicate": self.duplicates, "retried": self.retried,
                "connection_errors": self.connection_errors,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "gave_up": self.gave_up[:20], "gave_up_count": len(self.gave_up)}


class StripeSender:
    """Delivers event bodies to ``POST /hooks/stripe`` from ``threads`` threads, signing each
    attempt afresh and retrying any non-2xx answer or connection error with exponential backoff
    (Stripe's own schedule stretches over three days; a drill scales it to seconds)."""

    def __init__(self, url: str, secret: str, *, threads: int = 4, base_delay: float = 0.25,
                 max_delay: float = 4.0, give_up_after: float = 600.0) -> None:
        self.url = f"{url}/hooks/stripe"
        self.secret = secret
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.give_up_after = give_up_after
        self.stats = SenderStats()
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue(maxsize=threads * 4)
        self._threads = [threading.Thread(target=self._run, daemon=True, name=f"sender-{n}")
                         for n in range(threads)]
        for thread in self._threads:
            thread.start()

    def send(self, event: dict[str, Any]) -> None:
        self._queue.put((str(event["id"]), json.dumps(event).encode()))

    def close(self) -> None:
        """Wait until every queued event is delivered (or given up)."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while (item := self._queue.get()) is not None:
                self.deliver(client, *item)

    def deliver(self, client: httpx.Client, event_id: str, body: bytes) -> int | None:
        delay = self.base_delay
        started = time.monotonic()
        while True:
            header = stripe_signature(body, self.secret, int(time.time()))
            status: int | None = None
            with contextlib.suppress(httpx.HTTPError):
                status = client.post(self.url, content=body, headers={
                    "Stripe-Signature": header, "Content-Type": "application/json"}).status_code
            with self._lock:
                self.stats.attempts += 1
                if status is None:
                    self.stats.connection_errors += 1
                else:
                    self.stats.statuses[status] += 1
                if status == 202:
                    self.stats.accepted += 1
                elif status == 200:
                    self.stats.duplicates += 1
            if status is not None and 200 <= status < 300:
                return status
            if time.monotonic() - started > self.give_up_after:
                with self._lock:
                    self.stats.gave_up.append(event_id)
                return status
            with self._lock:
                self.stats.retried += 1
            time.sleep(delay * (0.5 + secrets.randbelow(1000) / 1000))
            delay = min(self.max_delay, delay * 2)


# -- the stage: sandbox + database + API + workers ----------------------------------------
def netsuite_env(sandbox: RunningSandbox) -> dict[str, str]:
    creds = sandbox.credentials()
    return {"ACCORD_NETSUITE_BASE_URL": creds["base_url"],
            "ACCORD_NETSUITE_ACCOUNT_ID": creds["account_id"],
            "ACCORD_NETSUITE_CONSUMER_KEY": creds["consumer_key"],
            "ACCORD_NETSUITE_CONSUMER_SECRET": creds["consumer_secret"],
            "ACCORD_NETSUITE_TOKEN_ID": creds["token_id"],
            "ACCORD_NETSUITE_TOKEN_SECRET": creds["token_secret"]}


class Stage:
    """Everything one drill runs against. Use as a context manager.

    ``setup`` names the systems the posting flow involves (NetSuite only by default) and the
    limits their sandboxes enforce; ``customers`` are seeded in Stripe and Salesforce when
    the flow involves them (drills/systems.py)."""

    def __init__(self, *, workers: int, use_postgres: bool,
                 setup: SystemsSetup | None = None,
                 customers: Mapping[str, Customer] | None = None) -> None:
        self.workers_wanted = workers
        self.use_postgres = use_postgres
        self.webhook_secret = "whsec_" + secrets.token_hex(16)
        self.setup = setup or SystemsSetup()
        self.customers = customers or {}

    def __enter__(self) -> Stage:
        self._tmp = tempfile.TemporaryDirectory(prefix="accord-drill-")
        self._db_cm = fresh_database(self.use_postgres)
        self.database_url = self._db_cm.__enter__()
        data_dir = Path(self._tmp.name)
        (data_dir / "netsuite").mkdir()
        self.sandbox = start_in_thread(SANDBOX, SandboxOptions(data_dir=data_dir / "netsuite"))
        self.control = httpx.Client(base_url=self.sandbox.base_url, timeout=30)
        self.vendors = VendorSandboxes(self.setup)
        self.vendors.start(data_dir, self.customers)
        drill_config = data_dir / "drill.json"
        DrillConfig(systems=self.setup.systems, accounts=self.vendors.accounts,
                    limiters=self.setup.limiters,
                    salesforce_concurrency=self.setup.salesforce_concurrency
                    if self.setup.involves("salesforce") else None,
                    stripe_rate=self.setup.stripe_accord_rate).save(drill_config)
        self.netsuite_watch = RefusalWatch(lambda: int(self.governance()["rejected"]))
        ns = netsuite_env(self.sandbox)
        self.settings = NetSuiteSettings.model_validate(
            {k.removeprefix("ACCORD_NETSUITE_").lower(): v for k, v in ns.items()})
        # one field-key file for the API, the workers and this process's own reads
        key_file = data_dir / "keys" / "field-keys.json"
        self.database = Database(self.database_url)
        bind_keys(self.database.engine, self.database_url, key_file)
        upgrade(self.database.engine)
        with self.database.session() as session:
            self.admin_token = create_token(session, "drills", Role.ADMIN)
        base = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
        base.update({"PYTHONUNBUFFERED": "1", "ACCORD_LOG_LEVEL": "WARNING",
                     "ACCORD_CONFIG": str(data_dir / "accord.toml"),
                     "ACCORD_DATA_DIR": str(data_dir / "accord"),
                     "ACCORD_KEY_FILE": str(key_file)})
        self.api = ApiProcess({**base, "ACCORD_DATABASE_URL": self.database_url,
                               "ACCORD_STRIPE_WEBHOOK_SECRET": self.webhook_secret})
        self.workers = Workers(self.database_url, self.workers_wanted, {
            **base, **ns, **self.vendors.env(), CONFIG_ENV: str(drill_config)})
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.workers.stop()
            self.api.stop()
        finally:
            self.netsuite_watch.stop()
            self.control.close()
            self.sandbox.stop()
            self.vendors.stop()
            self.database.dispose()
            self._db_cm.__exit__(None, None, None)
            self._tmp.cleanup()

    def sender(self, **options: Any) -> StripeSender:
        return StripeSender(self.api.url, self.webhook_secret, **options)

    # -- reading the outcome --------------------------------------------------------------
    def netsuite_invoices(self) -> list[dict[str, Any]]:
        with NetSuiteClient(self.settings) as client:
            return list(client.suiteql(
                "SELECT id, externalid, foreigntotal FROM transaction WHERE type = 'CustInvc'"))

    def pending(self) -> int:
        """Inbox rows not yet started plus workflows queued or running."""
        try:
            with self.database.session() as session:
                waiting = session.scalar(select(func.count()).select_from(InboxEntry).where(
                    InboxEntry.status == "received")) or 0
        except OperationalError:
            return 1  # the database is restarting
        dbos = "dbos.workflow_status" if self.use_postgres else "workflow_status"
        try:
            with self.database.engine.connect() as connection:
                running = connection.execute(text(
                    f"SELECT COUNT(*) FROM {dbos} WHERE status IN "
                    "('PENDING', 'ENQUEUED')")).scalar() or 0
        except (OperationalError, ProgrammingError):
            return int(waiting) + 1  # the workers have not created DBOS's tables yet
        return int(waiting) + int(running)

    def stuck_records(self) -> list[str]:
        """Event ids still waiting in the inbox or in a workflow that has not finished."""
        with self.database.session() as session:
            waiting = list(session.scalars(select(InboxEntry.external_event_id).where(
                InboxEntry.status == "received")))
        dbos = "dbos.workflow_status" if self.use_postgres else "workflow_status"
        with self.database.engine.connect() as connection:
            running = [str(r) for r in connection.execute(text(
                f"SELECT workflow_uuid FROM {dbos} WHERE status IN ('PENDING', 'ENQUEUED')"
            )).scalars()]
        return waiting + running

    def workflow_statuses(self) -> dict[str, int]:
        """Flows by DBOS status: anything but SUCCESS left after the drain is a lead."""
        dbos = "dbos.workflow_status" if self.use_postgres else "workflow_status"
        with self.database.engine.connect() as connection:
            return {str(status): int(count) for status, count in connection.execute(text(
                f"SELECT status, COUNT(*) FROM {dbos} GROUP BY status"))}

    def failed_flows(self, limit: int = 10) -> list[dict[str, str]]:
        """Flows DBOS ended in ERROR, with their error (the records a failed verdict names)."""
        schema = "dbos." if self.use_postgres else ""
        with self.database.engine.connect() as connection:
            return [{"workflow": str(row[0]), "error": str(row[1])[:500]}
                    for row in connection.execute(text(
                        f"SELECT s.workflow_uuid, o.error FROM {schema}workflow_status s "
                        f"LEFT JOIN {schema}workflow_output o USING (workflow_uuid) "
                        f"WHERE s.status = 'ERROR' "
                        f"ORDER BY s.workflow_uuid LIMIT {int(limit)}"))]

    def inbox_statuses(self) -> dict[str, int]:
        with self.database.session() as session:
            return {str(status): int(count) for status, count in session.execute(
                select(InboxEntry.status, func.count()).group_by(InboxEntry.status))}

    def inbox(self) -> dict[str, dict[str, Any]]:
        """Stored event id -> inbox status, deliveries and its workflow's DBOS status."""
        dbos = "dbos.workflow_status" if self.use_postgres else "workflow_status"
        with self.database.engine.connect() as connection:
            flows = {str(r[0]): str(r[1]) for r in connection.execute(text(
                f"SELECT workflow_uuid, status FROM {dbos}"))}
        with self.database.session() as session:
            return {str(r.external_event_id): {
                "status": str(r.status), "deliveries": int(r.delivery_count),
                "workflow": flows.get(str(r.workflow_id)) if r.workflow_id else None}
                for r in session.execute(select(
                    InboxEntry.external_event_id, InboxEntry.status, InboxEntry.delivery_count,
                    InboxEntry.workflow_id))}

    def open_exceptions(self) -> list[dict[str, Any]]:
        return [e for e in self.exceptions() if e["status"] == "open"]

    def exceptions(self) -> list[dict[str, Any]]:
        """Every exception record, whatever its status."""
        with self.database.session() as session:
            return [{"kind": e.kind, "owner": e.owner, "field": e.field, "reason": e.reason,
                     "correlation_id": e.correlation_id, "step": e.step, "status": e.status}
                    for e in session.scalars(select(ExceptionRecord))]

    def governance(self) -> dict[str, Any]:
        found: dict[str, Any] = self.control.get("/__sandbox/netsuite/governance").json()
        return found

    def limits(self, began: datetime) -> dict[str, dict[str, Any]]:
        """Each involved system's limit, its refusals (how many, the first one's moment in
        seconds after ``began``, how many after it) and its peak."""
        raw = self.vendors.figures()
        found = {"netsuite": netsuite_limits(self.governance(), began,
                                             self.netsuite_watch.first_at)}
        if "stripe" in raw:
            found["stripe"] = stripe_limits(raw["stripe"], began)
        if "salesforce" in raw:
            found["salesforce"] = salesforce_limits(raw["salesforce"], began)
        return found

    def netsuite_customers(self) -> dict[str, str]:
        """NetSuite customer internal id by external id (the canonical customer id)."""
        with NetSuiteClient(self.settings) as client:
            return {str(row["externalid"]): str(row["id"]) for row in client.suiteql(
                "SELECT id, externalid FROM customer")}

    def succeeded(self) -> int:
        """Flows finished successfully (a cheap progress figure; the verdict reads NetSuite)."""
        dbos = "dbos.workflow_status" if self.use_postgres else "workflow_status"
        try:
            with self.database.engine.connect() as connection:
                return int(connection.execute(text(
                    f"SELECT COUNT(*) FROM {dbos} WHERE status = 'SUCCESS'")).scalar() or 0)
        except (OperationalError, ProgrammingError):
            return 0

    def wait_for_drain(self, expected: int, deadline: float, on_progress: Any = None,
                       settle: float = 15.0) -> int:
        """Poll until nothing is pending and ``expected`` flows have succeeded (or nothing has
        moved for ``settle`` seconds with nothing pending); returns the flows succeeded."""
        idle_since: float | None = None
        done = 0
        while time.monotonic() < deadline:
            done = self.succeeded()
            if on_progress:
                on_progress(done)
            if self.pending() == 0:
                if done >= expected:
                    return done
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > settle:
                    return done
            else:
                idle_since = None
            time.sleep(1.0)
        return done


def correlation_of(event_id: str) -> str:
    return correlation_id_for("stripe", event_id)


__all__ = [
    "ApiProcess",
    "SenderStats",
    "Stage",
    "StripeSender",
    "Workers",
    "correlation_of",
    "free_port",
    "fresh_database",
    "postgres_available",
    "stripe_signature",
]
