"""The parts every drill shares: a deployment of accord as a company runs it, a workload of
real vendor data, and a webhook sender that signs and retries as Stripe does.

:class:`Stage` starts, as separate processes, the three sandboxes, ``accord serve
--no-workers`` and N ``accord worker`` processes (the demo's start-up,
:func:`accord.demo.environment.start`: ``accord init --sandboxes`` writes the configuration,
registers the webhook endpoint in the Stripe sandbox and keeps its signing secret), on a
fresh PostgreSQL database. The drill tunes ``accord.toml`` as an operator would before the
service starts (limits, retry budget, polls). It then sets up the customers through the
vendors' public APIs (:mod:`workload`) and creates the workload's invoices in Stripe. From
then on Stripe's webhook endpoint is the drill's sender: the sandbox's own endpoint is
removed and the drill delivers Stripe's recorded events itself, at its own pace and with its
own troubles (a process a drill SIGKILLs is started again under its name, as a process
manager would).

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
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import on_hosts
from hosts import Hosts
from limits import netsuite_limits, salesforce_limits, stripe_limits
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from workload import SKU, Expected, Workload, create_invoices, events_since, scenario

from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.demo.environment import WORKER_PREFIX, Environment, Layout, start
from accord.demo.month import PRODUCTS_SYNC, Outside, settle
from accord.demo.month import stripe_client as vendor_stripe
from accord.demo.processes import Started
from accord.demo.sales import Sales
from accord.demo.salesforce import SalesforceTeam
from accord.demo.seeding import seed_scenario, win_deals
from accord.engine.inbox import PENDING_STATUSES, correlation_id_for
from accord.engine.timeline import Milestone, StepOutcome
from accord.flows.identities import invoice_id_for
from accord.store import Database
from accord.store.models import ExceptionRecord, InboxEntry
from accord.store.sealing import bind_keys
from accord.testing.databases import postgres_available as server_answers
from accord.testing.databases import scratch_database

HERE = Path(__file__).parent
PG_URL = os.environ.get("ACCORD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FLOW = "invoice_posting"
"""The product flow that posts one invoice (src/accord/flows/invoice_posting.py): the
workload's events run in batches of ``BATCH_FLOW`` (src/accord/flows/invoice_batch.py), and
an invoice waiting for its customer, or retried, runs alone in this one."""
BATCH_FLOW = "invoice_posting_batch"


# -- databases ----------------------------------------------------------------------------
def postgres_available(url: str = PG_URL) -> bool:
    return server_answers(url)


@contextmanager
def fresh_database(use_postgres: bool, url: str = PG_URL) -> Iterator[str]:
    with scratch_database(url if use_postgres else None, prefix="accord_drill") as database:
        yield database


# -- accord.toml, as the operator tunes it ------------------------------------------------
def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))


def set_tables(path: Path, tables: Mapping[str, Mapping[str, Any]]) -> None:
    """Write each ``[table]`` of ``tables`` into the TOML file, replacing a table of that
    name ``accord init`` wrote."""
    lines = path.read_text().splitlines()
    kept: list[str] = []
    skipping = False
    headers = {f"[{name}]" for name in tables}
    for line in lines:
        if line.startswith("["):
            skipping = line.strip() in headers
        if not skipping:
            kept.append(line)
    for name, values in tables.items():
        kept += ["", f"[{name}]", *(f"{k} = {toml_value(v)}" for k, v in values.items())]
    path.write_text("\n".join(kept) + "\n")


def operator_tables(workers: int, extra: Mapping[str, Mapping[str, Any]] | None = None
                    ) -> dict[str, dict[str, Any]]:
    """What an operator running accord under these drills sets in ``accord.toml``: a
    standard NetSuite account's 5 concurrent requests; a step retry budget that outlasts a
    few minutes of outage (waits up to 8 s, 15 minutes in all); a webhook-only Stripe intake
    (the events poll, a fallback, is off so every Stripe event arrives as a delivery); the
    flows' waits for a record short (a posting looks for its customer every second, 20
    times: the drills' customers exist before their invoices)."""
    found: dict[str, dict[str, Any]] = {
        "engine": {"worker_concurrency": 10, "pump_interval": 0.2, "polling_interval": 0.2,
                   "retry": {"max_attempts": 200, "base_delay": 0.5, "max_delay": 8.0,
                             "max_total_wait": 900}},
        "engine.limits.netsuite": {"max_concurrency": 5},
        "flows": {"wait_interval": 1.0, "wait_attempts": 20},
        'schedules."poll.stripe.events"': {"enabled": False},
    }
    for name, values in (extra or {}).items():  # an empty table replaces the drill's own
        found[name] = {**found.get(name, {}), **values} if values else {}
    return found


# -- processes ----------------------------------------------------------------------------
class ApiProcess:
    """``accord serve --no-workers`` of the stage: the webhook intake under test; a kill
    SIGKILLs it and starts it again on the same port."""

    def __init__(self, env: Environment, entry: Started) -> None:
        self.env = env
        self.entry = entry
        self.url = env.api_url
        self.port = int(self.url.rsplit(":", 1)[1])
        self.kills = 0

    def kill(self, down_for: float = 1.0) -> None:
        os.kill(self.entry.process.pid, signal.SIGKILL)
        self.entry.process.wait()
        self.kills += 1
        time.sleep(down_for)
        self.entry = self.env.stack.start("serve", ["serve", "--no-workers", "--port",
                                                    str(self.port)])
        self.env.stack.wait_ready(self.entry, f"{self.url}/healthz")

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


class Workers:
    """The stage's ``accord worker`` processes by name; a kill SIGKILLs one and starts a new
    ``accord worker --id <name>`` at once, as a process manager restarts a crashed service:
    the new process recovers the flows its name left unfinished."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.procs: dict[str, Started] = {e.name: e for e in env.stack.started
                                          if e.name.startswith(WORKER_PREFIX)}
        self.kills = 0

    def kill_one(self, name: str) -> None:
        entry = self.procs[name]
        os.kill(entry.process.pid, signal.SIGKILL)
        entry.process.wait()
        self.kills += 1
        self.procs[name] = self.env.stack.start(name, ["worker", "--id", name])

    def kill_for_good(self, name: str) -> None:
        """SIGKILL ``name`` and start nothing in its place (a machine lost for good)."""
        entry = self.procs.pop(name)
        os.kill(entry.process.pid, signal.SIGKILL)
        entry.process.wait()
        self.kills += 1

    def start_new(self, name: str, like: str | None = None, timeout: float = 120.0) -> None:
        """Start ``accord worker --id name`` (on the host of ``like`` when deployed on
        hosts) and wait until it runs."""
        stack = self.env.stack
        if like is not None and isinstance(stack, on_hosts.HostStack):
            host = stack.host_of(like)
            if host is not None:
                stack.place(name, host)
        entry = stack.start(name, ["worker", "--id", name])
        self.procs[name] = entry
        deadline = time.monotonic() + timeout
        while f"worker {name} on " not in entry.log.read_text(errors="replace"):
            if entry.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {name} did not start; see {entry.log}")
            time.sleep(0.2)

    def stop(self, name: str, timeout: float = 60.0) -> float:
        """SIGTERM ``name`` (a clean stop: it drains, then releases its lease) and wait;
        SIGKILL after ``timeout``. Returns the seconds it took."""
        entry = self.procs.pop(name)
        began = time.monotonic()
        entry.process.send_signal(signal.SIGTERM)
        try:
            entry.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(entry.process.pid, signal.SIGKILL)
            entry.process.wait()
        return time.monotonic() - began


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

    def send(self, event: Mapping[str, Any]) -> None:
        self._queue.put((str(event["id"]), json.dumps(event).encode()))

    def send_body(self, event_id: str, body: bytes) -> None:
        self._queue.put((event_id, body))

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


# -- the stage: sandboxes + database + accord + the customers -------------------------------
@dataclass(frozen=True)
class SandboxLimits:
    """The limits the sandboxes enforce during the drill (the throttle drill's; otherwise
    each sandbox's defaults: Stripe 25 requests/s, NetSuite 5 concurrent)."""

    salesforce_concurrency: int | None = None
    salesforce_daily: int = 100_000
    salesforce_latency_ms: int = 0


@dataclass(frozen=True)
class HostsPlan:
    """Run PostgreSQL, the API and each worker on hosts of their own (drills/hosts.py);
    ``impair_workers``: every worker host's database link can be delayed and made lossy."""

    impair_workers: bool = False


class SetupFailed(RuntimeError):
    """The customers or the workload could not be set up: the drill did not start."""


class Stage:
    """Everything one drill runs against. Use as a context manager.

    ``tables`` add to (or replace) what :func:`operator_tables` writes into accord.toml."""

    def __init__(self, *, workers: int, use_postgres: bool, customers: int, events: int,
                 tables: Mapping[str, Mapping[str, Any]] | None = None,
                 limits: SandboxLimits | None = None,
                 log: Callable[[str], None] | None = None,
                 hosts: HostsPlan | None = None) -> None:
        self.workers_wanted = workers if use_postgres or hosts else 0
        self.hosts_plan = hosts
        self.hosts: Hosts | None = None
        self.use_postgres = use_postgres
        self.customers = customers
        self.events = events
        self.tables = operator_tables(self.workers_wanted, tables)
        self.sandbox_limits = limits or SandboxLimits()
        self.log = log or (lambda _line: None)

    # -- set-up ---------------------------------------------------------------------------
    def __enter__(self) -> Stage:
        self._exit = ExitStack()
        try:
            self._enter()
        except BaseException:
            self._exit.close()
            raise
        return self

    def _enter(self) -> None:
        tmp = Path(self._exit.enter_context(tempfile.TemporaryDirectory(prefix="accord-drill-")))
        self.directory = tmp
        if self.hosts_plan is not None:  # PostgreSQL, the API and each worker on a host
            self.use_postgres = True
            self.hosts = self._exit.enter_context(Hosts(
                workers=self.workers_wanted, impairable=tuple(
                    f"w{k}" for k in range(1, self.workers_wanted + 1)
                    if self.hosts_plan.impair_workers),
                log=self.log))
            self.database_url = self._exit.enter_context(fresh_database(
                True, self.hosts.pg_url))
        else:
            self.database_url = self._exit.enter_context(fresh_database(self.use_postgres))
        layout = Layout(default_sandbox_ports=False, api_port=0, workers=self.workers_wanted,
                        database_url=self.database_url if self.use_postgres else None,
                        poll_every=2)
        began = time.monotonic()
        configure = lambda path: set_tables(path, self.tables)  # noqa: E731
        self.env = self._exit.enter_context(
            start(tmp, layout, configure) if self.hosts is None
            else on_hosts.start(tmp, layout, configure, self.hosts))
        self.log(f"accord up in {time.monotonic() - began:.0f} s")
        serve = next(e for e in self.env.stack.started if e.name == "serve")
        self.api = ApiProcess(self.env, serve)
        self.workers = Workers(self.env)
        self.webhook_secret = (tmp / ".accord" / "secrets" / "ACCORD_STRIPE_WEBHOOK_SECRET"
                               ).read_text().strip()
        creds = self.env.credentials
        self.netsuite_settings = NetSuiteSettings.model_validate(
            {k: v for k, v in creds["netsuite"].items() if k != "api_version"})
        self.stripe = vendor_stripe(creds["stripe"])
        team = SalesforceTeam(creds["salesforce"])
        self.crm = team.crm
        self._exit.callback(team.close)
        self.http = self._exit.enter_context(httpx.Client(timeout=30))
        self.admin = self._exit.enter_context(self.env.api())
        self.outside = Outside(api=self.admin, stripe=self.stripe, controls=self.env.sandboxes,
                               sales=Sales({team.system: team}, lambda _account: team.system))
        self.database = Database(self.database_url)
        # the services' field-key file, for this process's own reads of what they sealed
        bind_keys(self.database.engine, self.database_url,
                  tmp / ".accord" / "keys" / "field-keys.json")
        self._exit.callback(self.database.dispose)
        self.workload = self._set_up()

    def control(self, sandbox: str, method: str, path: str, body: Any = None) -> Any:
        verify: str | bool = self.env.credentials["salesforce"]["ca_cert"] \
            if sandbox == "salesforce" else True
        answer = httpx.request(method, f"{self.env.sandboxes[sandbox]}/__sandbox{path}",
                               json=body, verify=verify, timeout=30)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def _set_up(self) -> Workload:
        """Customers through closed-won deals, then the workload's invoices in Stripe."""
        began = time.monotonic()
        self.control("stripe", "PUT", "/faults", {"rate_limit_per_second": 0})
        quiet = lambda *_: None  # noqa: E731
        settle(self.outside, quiet, "product sync", since=self._run_schedule(PRODUCTS_SYNC),
               polls=(PRODUCTS_SYNC,), timeout=300)
        plan = scenario(self.customers)
        seeded = seed_scenario(self.crm, plan)
        since = datetime.now(UTC)
        win_deals(self.crm, seeded, [d.ref for d in plan.deals])
        settle(self.outside, quiet, "deals won", since=since, polls=(SalesforceTeam.deal_poll,),
               timeout=900)
        self.customer_ids = sorted(str(row["Stripe_Customer_Id__c"]) for row in self.crm.query(
            "SELECT Id, Stripe_Customer_Id__c FROM Account WHERE Stripe_Customer_Id__c != null"))
        if len(self.customer_ids) < self.customers:
            raise SetupFailed(f"{len(self.customer_ids)} of {self.customers} won deals became "
                              f"Stripe customers; open exceptions: "
                              f"{self.open_exceptions()[:3]}")
        self.known = self._setup_invoices_posted()
        self.log(f"{len(self.customer_ids)} customers set up through won deals in "
                 f"{time.monotonic() - began:.0f} s")
        # from here on the drill's sender is Stripe's webhook delivery
        endpoints = list(self.stripe.v1.webhook_endpoints.list().data)
        self.event_types = {t for e in endpoints for t in (e.enabled_events or [])} or {"*"}
        for endpoint in endpoints:
            self.stripe.v1.webhook_endpoints.delete(str(endpoint.id))
        self.price, self.unit_amount = self._price(SKU)
        if not self.events:
            self._apply_limits(self.sandbox_limits)
            return Workload(invoices=[], events=[], known=set(self.known))
        return self.next_workload(self.events, self.sandbox_limits)

    def next_workload(self, events: int, limits: SandboxLimits | None = None) -> Workload:
        """``events`` new invoices in Stripe (Stripe's rate limit lifted while the drill
        creates them) and their events; then the sandboxes' limits for the drill. Invoices
        of earlier workloads on this stage count as known, not expected."""
        self.control("stripe", "PUT", "/faults", {"rate_limit_per_second": 0})
        since_s = int(time.time()) - 1
        began = time.monotonic()
        invoices = create_invoices(self.stripe, self.customer_ids, self.price,
                                   self.unit_amount, events, seed=len(self.known) + 7)
        found = events_since(self.env.credentials["stripe"], since_s, self.event_types)
        finalized = {e["data"]["object"]["id"] for e in found
                     if e["type"] == "invoice.finalized"}
        if not finalized >= {i.stripe_id for i in invoices}:
            raise SetupFailed(f"{len(finalized)} invoice.finalized events for "
                              f"{len(invoices)} invoices")
        mine = {i.stripe_id for i in invoices}
        found = [e for e in found if e["type"] != "invoice.finalized"
                 or e["data"]["object"]["id"] in mine]
        self.log(f"{len(invoices)} invoices in Stripe ({len(found)} events) in "
                 f"{time.monotonic() - began:.0f} s")
        self._apply_limits(limits or SandboxLimits())
        self.inbox_mark = self._last_inbox_id()
        workload = Workload(invoices=invoices, events=found, known=set(self.known))
        self.known |= {i.canonical_id for i in invoices}
        self.workload = workload
        return workload

    def _run_schedule(self, name: str) -> datetime:
        asked = datetime.now(UTC)
        self.admin.post(f"/v1/schedules/{name}/run").raise_for_status()
        return asked

    def _price(self, sku: str) -> tuple[str, Decimal]:
        """The one-time USD Stripe price accord's product sync published for ``sku``."""
        skus: dict[str, str] = {}
        for price in self.stripe.v1.prices.list(params={"limit": 100}).auto_paging_iter():
            product = str(price.product)
            if product not in skus:
                metadata = self.stripe.v1.products.retrieve(product).metadata
                skus[product] = str(metadata.to_dict().get("sku") if metadata else None)
            if skus[product] == sku and price.currency == "usd" and price.recurring is None \
                    and price.unit_amount is not None:
                return str(price.id), Decimal(price.unit_amount) / 100
        raise SetupFailed(f"no one-time USD Stripe price for {sku} after the product sync")

    def _setup_invoices_posted(self) -> set[str]:
        """Every invoice Stripe holds (the subscriptions' first) is in NetSuite: the stage
        starts from a settled company. Returns their canonical ids."""
        ids = {invoice_id_for("stripe", str(i.id)) for i in self.stripe.v1.invoices.list(
            params={"limit": 100}).auto_paging_iter() if i.status != "draft"}
        posted = {str(r["externalid"]) for r in self.netsuite_invoices()}
        if ids - posted:
            raise SetupFailed(f"{len(ids - posted)} of the subscriptions' first invoices were "
                              f"not posted to NetSuite while setting up")
        return ids

    def _apply_limits(self, limits: SandboxLimits) -> None:
        """Stripe's limit back in force (and its figures forgotten); Salesforce's org limits
        and latency as the drill sets them (a production org's otherwise)."""
        self.control("stripe", "DELETE", "/faults")
        time.sleep(1.0)
        self.control("stripe", "POST", "/stripe/limits/reset")
        self.control("salesforce", "PUT", "/salesforce/limits", {
            "daily_api_requests": limits.salesforce_daily, "used": 0,
            "concurrent_long_running": limits.salesforce_concurrency or 25})
        if limits.salesforce_latency_ms:
            self.control("salesforce", "PUT", "/faults",
                         {"latency_ms": limits.salesforce_latency_ms})
        else:
            self.control("salesforce", "DELETE", "/faults")
        self.control("salesforce", "POST", "/salesforce/limits/reset")
        self.netsuite_rejected_before = int(self.governance()["rejected"])

    def __exit__(self, *exc: object) -> None:
        self._exit.close()

    def sender(self, **options: Any) -> StripeSender:
        return StripeSender(self.api.url, self.webhook_secret, **options)

    # -- reading the outcome --------------------------------------------------------------
    def netsuite_invoices(self) -> list[dict[str, Any]]:
        with NetSuiteClient(self.netsuite_settings) as client:
            return list(client.suiteql(
                "SELECT id, externalid, foreigntotal FROM transaction WHERE type = 'CustInvc'"))

    def _dbos(self) -> str:
        return "dbos.workflow_status" if self.use_postgres else "workflow_status"

    def pending(self) -> int:
        """Inbox rows not yet started plus the flows they started still queued or running."""
        try:
            with self.database.engine.connect() as connection:
                waiting = connection.execute(select(func.count()).select_from(
                    InboxEntry).where(InboxEntry.status.in_(PENDING_STATUSES))).scalar() or 0
                running = connection.execute(text(
                    f"SELECT COUNT(*) FROM {self._dbos()} w WHERE w.status IN "
                    "('PENDING', 'ENQUEUED') AND w.workflow_uuid IN "
                    "(SELECT workflow_id FROM inbox WHERE workflow_id IS NOT NULL)"
                )).scalar() or 0
        except (OperationalError, ProgrammingError):
            return 1  # the database is restarting
        return int(waiting) + int(running)

    def stuck_records(self) -> list[str]:
        """Event ids still waiting in the inbox or whose flow has not finished."""
        with self.database.engine.connect() as connection:
            return [str(r) for r in connection.execute(text(
                f"SELECT i.external_event_id FROM inbox i LEFT JOIN {self._dbos()} w "
                "ON w.workflow_uuid = i.workflow_id WHERE i.status IN ('received', 'claimed') "
                "OR w.status IN ('PENDING', 'ENQUEUED')")).scalars()]

    def workflow_statuses(self) -> dict[str, int]:
        """The workload's flows by DBOS status: anything but SUCCESS after the drain is a
        lead."""
        with self.database.engine.connect() as connection:
            return {str(status): int(count) for status, count in connection.execute(text(
                f"SELECT status, COUNT(*) FROM {self._dbos()} WHERE name IN (:flow, :batch) "
                "GROUP BY status"), {"flow": FLOW, "batch": BATCH_FLOW})}

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
        with self.database.engine.connect() as connection:
            flows = {str(r[0]): str(r[1]) for r in connection.execute(text(
                f"SELECT workflow_uuid, status FROM {self._dbos()}"))}
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
        found: dict[str, Any] = self.control("netsuite", "GET", "/netsuite/governance")
        return found

    def limits(self, began: datetime, netsuite_first: datetime | None
               ) -> dict[str, dict[str, Any]]:
        """Each system's limit, its refusals (how many, the first one's moment in seconds
        after ``began``, how many after it) and its peak."""
        return {"stripe": stripe_limits(self.control("stripe", "GET", "/stripe/limits"), began),
                "salesforce": salesforce_limits(
                    self.control("salesforce", "GET", "/salesforce/limits"), began),
                "netsuite": netsuite_limits(self.governance(), began, netsuite_first,
                                            self.netsuite_rejected_before)}

    inbox_mark = 0
    """The last inbox row before the workload's deliveries."""
    netsuite_rejected_before = 0

    def _last_inbox_id(self) -> int:
        with self.database.engine.connect() as connection:
            return int(connection.execute(select(func.max(InboxEntry.id))).scalar() or 0)

    def posted(self) -> int:
        """The workload's events whose invoice is posted: accord's timeline holds a
        succeeded ``invoice_posted`` milestone under the event's correlation id, whichever
        flow posted it (a batch, or the invoice alone). A cheap progress figure; the verdict
        reads NetSuite."""
        try:
            with self.database.engine.connect() as connection:
                return int(connection.execute(text(
                    "SELECT COUNT(DISTINCT t.correlation_id) FROM inbox i JOIN timeline t "
                    "ON t.correlation_id = i.system || ':' || i.external_event_id "
                    "WHERE i.id > :mark AND t.milestone = :milestone "
                    "AND t.outcome = :succeeded"),
                    {"mark": self.inbox_mark, "milestone": Milestone.INVOICE_POSTED.value,
                     "succeeded": StepOutcome.SUCCEEDED.value}).scalar() or 0)
        except (OperationalError, ProgrammingError):
            return 0

    def wait_for_drain(self, expected: int, deadline: float, on_progress: Any = None,
                       settle_seconds: float = 15.0) -> int:
        """Poll until nothing is pending and ``expected`` workload invoices are posted (or
        nothing has moved for ``settle_seconds`` with nothing pending); returns the invoices
        posted."""
        idle_since: float | None = None
        done = 0
        while time.monotonic() < deadline:
            done = self.posted()
            if on_progress:
                on_progress(done)
            if self.pending() == 0:
                if done >= expected:
                    return done
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > settle_seconds:
                    return done
            else:
                idle_since = None
            time.sleep(1.0)
        return done


def correlation_of(event_id: str) -> str:
    return correlation_id_for("stripe", event_id)


__all__ = ["ApiProcess", "Expected", "HostsPlan", "SandboxLimits", "SenderStats", "SetupFailed",
           "Stage", "StripeSender", "Workers", "correlation_of", "fresh_database",
           "operator_tables", "postgres_available", "set_tables", "stripe_signature"]
