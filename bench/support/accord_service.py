"""accord as a customer deploys it, for the benchmarks: an ``accord.toml`` for the run's
sandboxes, ``accord db upgrade``, then ``accord serve --no-workers`` taking the signed Stripe
webhooks (``POST /hooks/stripe``) and ``accord worker`` processes running the product's own
flows, configured by the ``accord.toml`` and ``ACCORD_*`` variables only.

What the benchmarks read back comes from accord's own records: the inbox (when a webhook was
verified and stored) and the timeline (when the invoice-posting flow's ``post_invoice`` step
reached ``invoice_posted``: NetSuite answered the upsert).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from accord.demo.processes import free_port
from accord.store import Database
from accord.store.sealing import bind_keys
from support.processes import kill_group, spawn, stop_groups, tree
from support.world import World, link_in_registry


def accord_config(world: World, *, netsuite_slots: int | None = None) -> str:
    """The ``accord.toml`` an operator writes for this deployment: the two sandboxes, the
    engine tuned as the benchmarks say, and no polls (every event arrives as a webhook).

    NetSuite's 5 concurrent requests are kept by the engine's cross-process gate when
    ``netsuite_slots`` is given (slots leased in the database: what several workers need),
    otherwise by the NetSuite client's own gate in each worker process: the engine's gate
    holds a SIGKILLed worker's slots until their lease ends (bench/README.md)."""
    from accord.bootstrap.sandboxes import sandbox_tables
    from accord.bootstrap.schedules import PRODUCTS_SYNC, RECONCILE, possible_names
    from accord.routing import load_routing

    tables = sandbox_tables({"stripe": world.stripe_credentials,
                             "netsuite": world.netsuite_credentials}, load_routing())
    lines: list[str] = []
    for system, table in sorted(tables.items()):
        lines.append(f"[systems.{json.dumps(system)}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    lines += ["[engine]", "pump_interval = 0.05",
              # a live Stripe account's 100 requests/s (the sandbox runs without test mode's
              # 25/s)
              "[engine.limits.stripe]", "requests_per_second = 100",
              "[engine.limits.netsuite]"]
    if netsuite_slots is not None:
        lines.append(f"max_concurrency = {netsuite_slots}")
    for name in sorted(possible_names(tables)):
        if name.startswith("poll.") or name in (PRODUCTS_SYNC, RECONCILE):
            lines += [f"[schedules.{json.dumps(name)}]", "enabled = false"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Posting:
    """One event's way through accord: received (inbox) and posted (timeline), if it was."""

    workflow_id: str
    received_at: datetime
    posted_at: datetime | None


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class AccordService:
    """One deployment in ``state``: ``accord serve --no-workers`` on a free port and
    ``workers`` ``accord worker`` processes (``concurrency`` flows at once each), all
    writing to ``state / log_name``."""

    secret = "whsec_bench_accord"

    def __init__(self, state: Path, database_url: str, world: World, *, workers: int = 1,
                 concurrency: int = 12, netsuite_slots: int | None = None,
                 log_name: str = "accord.log") -> None:
        self.state = state
        self.workers = workers
        self.concurrency = concurrency
        self.database_url = database_url
        self.postgres = database_url.startswith("postgresql")
        config = state / "accord.toml"
        config.write_text(accord_config(world, netsuite_slots=netsuite_slots))
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", "ACCORD_CONFIG": str(config),
                    "ACCORD_DATA_DIR": str(state / ".accord"),
                    "ACCORD_DATABASE_URL": database_url, "ACCORD_LOG_LEVEL": "WARNING",
                    "ACCORD_STRIPE_WEBHOOK_SECRET": self.secret}
        self.log_path = state / log_name
        self.log = self.log_path.open("a")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.http = httpx.Client(base_url=self.url, timeout=30)
        self.database = Database(database_url)
        # this process reads and writes sealed values (golden records, exceptions) with the
        # deployment's key file: beside a SQLite file, else under its ACCORD_DATA_DIR
        bind_keys(self.database.engine, database_url,
                  None if not self.postgres else state / ".accord" / "keys" / "field-keys.json")
        self.serving: subprocess.Popen[bytes] | None = None
        self.running: list[subprocess.Popen[bytes]] = []
        self.started_workers: list[int] = []
        self.procs: list[subprocess.Popen[bytes]] = []

    # -- set-up -----------------------------------------------------------------------------
    def upgrade(self) -> None:
        """``accord db upgrade``, as an operator runs it before the first start."""
        subprocess.run([sys.executable, "-m", "accord", "db", "upgrade"], env=self.env,
                       cwd=self.state, stdout=self.log, stderr=self.log, check=True)

    def link(self, seeded: Any) -> None:
        """What closed-won leaves in accord's store for the seeded customers."""
        link_in_registry(self.database, seeded)

    # -- processes --------------------------------------------------------------------------
    def _spawn(self, args: list[str]) -> subprocess.Popen[bytes]:
        proc = spawn([sys.executable, "-m", "accord", *args], env=self.env, cwd=self.state,
                     log=self.log)
        self.procs.append(proc)
        return proc

    def start(self) -> None:
        """The intake (once) and the workers (again after :meth:`kill_workers`)."""
        if self.serving is None:
            self.serving = self._spawn(["serve", "--no-workers", "--port", str(self.port)])
        self.running = [self._spawn(["worker", "--id", f"bench-worker-{n}",
                                     "--concurrency", str(self.concurrency)])
                        for n in range(1, self.workers + 1)]
        self.started_workers += [proc.pid for proc in self.running]

    def ready(self) -> bool:
        """Every worker said it runs, and the intake answers ``/readyz``."""
        log = self.log_path.read_text()
        if not all(f"worker bench-worker-{n} on" in log for n in range(1, self.workers + 1)):
            return False
        try:
            return self.http.get("/readyz").status_code == 200
        except httpx.TransportError:
            return False

    def wait_ready(self, seconds: float = 120) -> None:
        until = time.time() + seconds
        while not self.ready():
            ended = [proc for proc in self.procs if proc.poll() is not None]
            if ended or time.time() > until:
                raise RuntimeError(
                    f"accord did not start ({len(ended)} process(es) ended); its log, "
                    f"{self.log_path}, ends with:\n" + self.log_path.read_text()[-2000:])
            time.sleep(0.2)

    def kill_workers(self) -> None:
        """SIGKILL the workers' process groups (not the intake)."""
        for proc in self.running:
            kill_group(proc)
        self.procs = [proc for proc in self.procs if proc not in self.running]

    def pids(self) -> list[int]:
        return tree(self.procs)

    def roles(self) -> dict[str, set[int]]:
        """The processes by what they do (every one started, killed ones too)."""
        serving = {self.serving.pid} if self.serving is not None else set()
        return {"serve (webhook intake)": serving, "workers": set(self.started_workers)}

    def worker_pids(self) -> list[int]:
        return [proc.pid for proc in self.running if proc.poll() is None]

    def stop(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL), and let go of the database."""
        try:
            stop_groups(self.procs)
        finally:
            self.http.close()
            self.database.dispose()
            self.log.close()

    # -- delivering -------------------------------------------------------------------------
    def signed(self, body: bytes) -> dict[str, str]:
        stamp = int(time.time())
        mac = hmac.new(self.secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
        return {"Stripe-Signature": f"t={stamp},v1={mac.hexdigest()}",
                "Content-Type": "application/json"}

    def post(self, event: dict[str, Any], client: httpx.Client | None = None,
             attempts: int = 10) -> list[int]:
        """Deliver ``event`` signed, as Stripe does; a refused delivery is sent again later.
        Returns the status of each attempt (0: no answer)."""
        body = json.dumps(event).encode()
        statuses: list[int] = []
        for attempt in range(attempts):
            try:
                code = (client or self.http).post(f"{self.url}/hooks/stripe", content=body,
                                                  headers=self.signed(body)).status_code
            except httpx.TransportError:
                code = 0
            statuses.append(code)
            if 200 <= code < 300:
                return statuses
            time.sleep(0.5 * (attempt + 1))
        return statuses

    # -- reading accord's records -----------------------------------------------------------
    def posted_by_correlation(self) -> dict[str, datetime]:
        """When each event's invoice was first posted, by correlation id
        (``stripe:<event id>``), from the timeline."""
        from accord.engine.timeline import Milestone, StepOutcome
        from accord.store.models import TimelineEntry

        with self.database.session() as session:
            rows = session.execute(
                select(TimelineEntry.correlation_id, func.min(TimelineEntry.occurred_at))
                .where(TimelineEntry.milestone == Milestone.INVOICE_POSTED.value,
                       TimelineEntry.outcome == StepOutcome.SUCCEEDED.value)
                .group_by(TimelineEntry.correlation_id)).all()
        return {str(correlation): _utc(at) for correlation, at in rows}

    def postings(self) -> list[Posting]:
        """Every Stripe inbox row, with when its flow's ``post_invoice`` step succeeded."""
        from accord.engine.timeline import Milestone, StepOutcome
        from accord.store.models import InboxEntry, TimelineEntry

        with self.database.session() as session:
            received = session.execute(select(InboxEntry.workflow_id, InboxEntry.received_at)
                                       .where(InboxEntry.system == "stripe")).all()
            posted = dict(session.execute(
                select(TimelineEntry.workflow_id, func.min(TimelineEntry.occurred_at))
                .where(TimelineEntry.milestone == Milestone.INVOICE_POSTED.value,
                       TimelineEntry.outcome == StepOutcome.SUCCEEDED.value)
                .group_by(TimelineEntry.workflow_id)).all())
        return [Posting(str(workflow), _utc(at),
                        _utc(posted[workflow]) if workflow in posted else None)
                for workflow, at in received]

    def _dbos(self, table: str) -> str:
        return f"dbos.{table}" if self.postgres else table

    def idle(self) -> bool:
        """No inbox row waiting and no flow pending or enqueued."""
        from accord.store.models import InboxEntry

        with self.database.session() as session:
            waiting = session.scalar(select(func.count()).select_from(InboxEntry).where(
                InboxEntry.status.in_(("received", "claimed")))) or 0
        try:
            with self.database.engine.connect() as connection:
                running = connection.execute(text(
                    f"SELECT COUNT(*) FROM {self._dbos('workflow_status')} WHERE status IN "
                    "('PENDING', 'ENQUEUED')")).scalar() or 0
        except (OperationalError, ProgrammingError):
            return False
        return waiting + running == 0

    def diagnostics(self) -> dict[str, Any]:
        """Open exceptions, inbox rows and flows by status, invoices posted (the flows
        summary counts a batch's invoices one each) and DBOS checkpoints per posting."""
        from accord.engine.control import EngineClient
        from accord.store.models import ExceptionRecord, InboxEntry

        with self.database.session() as session:
            exceptions = [f"{e.kind}: {e.reason}"[:200] for e in session.scalars(
                select(ExceptionRecord).where(ExceptionRecord.status == "open"))]
            inbox = dict(session.execute(select(InboxEntry.status, func.count())
                                         .group_by(InboxEntry.status)).all())
        status, outputs = self._dbos("workflow_status"), self._dbos("operation_outputs")
        with self.database.engine.connect() as connection:
            flows = dict(connection.execute(text(
                f"SELECT status, COUNT(*) FROM {status} GROUP BY status")).all())
            names = dict(connection.execute(text(
                f"SELECT name, COUNT(*) FROM {status} GROUP BY name")).all())
            checkpoints = connection.execute(text(
                f"SELECT COUNT(*) FROM {outputs} o JOIN {status} w ON w.workflow_uuid = "
                "o.workflow_uuid WHERE w.name IN ('invoice_posting', "
                "'invoice_posting_batch')")).scalar() or 0
        # invoices are posted in batches: the flows summary counts each batch's invoices
        engine = EngineClient(self.database)
        try:
            postings = sum(engine.flow_summary().flows.get("invoice_posting", {}).values())
        finally:
            engine.close()
        return {"open_exceptions": len(exceptions), "exception_examples": exceptions[:5],
                "inbox": {str(k): int(v) for k, v in inbox.items()},
                "flows": {str(k): int(v) for k, v in flows.items()},
                "flows_by_name": {str(k): int(v) for k, v in names.items()},
                "invoice_postings": postings,
                "checkpoints_per_posting": round(int(checkpoints) / max(postings, 1), 2)}


def netsuite_invoices_and_customers(world: World) -> tuple[list[dict[str, Any]],
                                                            list[dict[str, Any]]]:
    """What NetSuite holds, over SuiteQL: invoices (id, tranid, foreigntotal) and customers
    (id, companyname), for :func:`support.workload.verdict`."""
    from accord.connectors.netsuite.client import NetSuiteClient

    with NetSuiteClient(world.netsuite_settings()) as client:
        invoices = list(client.suiteql("SELECT id, tranid, foreigntotal FROM transaction "
                                       "WHERE type = 'CustInvc'"))
        customers = list(client.suiteql("SELECT id, companyname FROM customer"))
    return invoices, customers


__all__ = ["AccordService", "Posting", "accord_config", "netsuite_invoices_and_customers"]
