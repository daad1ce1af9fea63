"""Latency: from webhook receipt to ERP posting, at a steady rate, through the real flow.

    .venv/bin/python bench/latency.py [--rate 50] [--seconds 30] [--customers 50] [--postgres]

Signed Stripe ``invoice.finalized`` webhooks are POSTed to the API's ``/hooks/stripe`` at a
steady ``--rate`` per second for ``--seconds``. The API and the engine run in this process
(the app served by uvicorn, as ``accord serve`` does), and each event runs the real
invoice-posting flow (:mod:`accord.flows.invoice_posting`): read the invoice from Stripe,
map it, link it, check the customer is in NetSuite, post the invoice to NetSuite. The three
sandboxes run in a separate process (so they do not share this process's interpreter lock).

Latency is measured from accord's own records: the inbox row's ``received_at`` (the webhook
was verified and stored) to the timeline row of the flow's ``post_invoice`` step with outcome
``succeeded`` (NetSuite answered the upsert, so the invoice is visible there). Before the
timed part the bench seeds the sandboxes: customers in Stripe and NetSuite linked in accord's
identity registry (as the closed-won flow leaves them), and one finalized Stripe invoice per
event. Figures go to ``bench/results/latency.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import logging
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

HERE = Path(__file__).parent
RESULTS = HERE / "results"
PG_URL = os.environ.get("ACCORD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WEBHOOK_SECRET = "whsec_bench_latency"
console = Console(width=max(Console().width, 120))


# -- the sandboxes' process -------------------------------------------------------------------
def serve_sandboxes(directory: Path) -> None:
    """Serve the three sandboxes on free ports; print their credentials as one JSON line;
    run until stdin closes or SIGTERM."""
    from accord.sandboxes.base import SandboxOptions
    from accord.sandboxes.netsuite import SANDBOX as NETSUITE
    from accord.sandboxes.salesforce import SANDBOX as SALESFORCE
    from accord.sandboxes.server import start_in_thread
    from accord.sandboxes.stripe import SANDBOX as STRIPE

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stripe = start_in_thread(STRIPE, SandboxOptions(data_dir=directory / "stripe",
                                                    settings={"rate_limit": 0}))
    salesforce = start_in_thread(SALESFORCE, SandboxOptions(data_dir=directory / "sf"))
    netsuite = start_in_thread(NETSUITE, SandboxOptions(data_dir=directory / "ns"))
    print(json.dumps({
        "stripe": {**stripe.credentials(), "base_url": stripe.base_url},
        "salesforce": salesforce.credentials(),
        "netsuite": {**netsuite.credentials(), "base_url": netsuite.base_url}}), flush=True)
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    # a server cancelled mid-lifespan at shutdown is logged by uvicorn as an error
    logging.getLogger("uvicorn.error").disabled = True
    salesforce.server.force_exit = True
    for running in (stripe, salesforce, netsuite):
        running.stop()


# -- seeding ----------------------------------------------------------------------------------
def seed(found: Any, database: Any, customers: int, invoices: int) -> list[dict[str, Any]]:
    """Customers known to accord in Stripe and NetSuite, and one finalized Stripe invoice per
    event (the invoice objects, as a webhook carries them)."""
    from accord.canonical.ids import EntityType, derived_id
    from accord.canonical.party import Customer
    from accord.registry.golden import GoldenRecords
    from accord.registry.xref import Xrefs

    stripe_ids: list[str] = []
    poster = found.erp("netsuite")
    stripe = found.billing("stripe").client  # the connector's client: the bench may name it
    for n in range(customers):
        customer = Customer(id=derived_id(EntityType.CUSTOMER, "bench", str(n)),
                            legal_name=f"Latency Customer {n:04d}", legal_entity="US01",
                            currency="USD")
        stripe_customer = stripe.create_customer(customer)
        internal = poster.post_customer(customer)
        with database.session() as session:
            xrefs = Xrefs(session)
            xrefs.link(customer.id, EntityType.CUSTOMER, "stripe", stripe_customer["id"])
            xrefs.link(customer.id, EntityType.CUSTOMER, "netsuite", internal)
            GoldenRecords(session, found.policy).merge(customer.id, EntityType.CUSTOMER, "bench",
                                                       customer.model_dump(mode="json"))
        stripe_ids.append(str(stripe_customer["id"]))
    v1 = stripe.v1

    # one customer's pending items must not be swept into another thread's invoice: seed
    # sequentially per customer by running one thread per disjoint customer shard
    count = max(1, min(4, len(stripe_ids)))
    shards = [stripe_ids[i::count] for i in range(count)]
    per_shard = [invoices // count + (1 if i < invoices % count else 0) for i in range(count)]

    def shard(i: int) -> list[dict[str, Any]]:
        local = random.Random(i)
        out = []
        for _ in range(per_shard[i]):
            customer = local.choice(shards[i])
            v1.invoice_items.create(params={"customer": customer, "currency": "usd",
                                            "amount": local.randint(1_000, 500_000),
                                            "description": "Latency bench subscription"})
            draft = v1.invoices.create(params={"customer": customer,
                                               "pending_invoice_items_behavior": "include"})
            out.append(v1.invoices.finalize_invoice(draft.id).to_dict())
        return out

    with ThreadPoolExecutor(count) as pool:
        made = [invoice for chunk in pool.map(shard, range(count)) for invoice in chunk]
    random.Random(9).shuffle(made)
    return made


# -- sending ----------------------------------------------------------------------------------
def signed(event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    stamp = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    return body, {"Stripe-Signature": f"t={stamp},v1={mac.hexdigest()}",
                  "Content-Type": "application/json"}


def send_steadily(url: str, invoices: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    """POST one event per invoice at ``rate`` per second (several connections, as Stripe
    delivers concurrently); retry a refused delivery as Stripe would (later)."""
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    local = threading.local()

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=30)
        found: httpx.Client = local.client
        return found

    def post(n: int, invoice: dict[str, Any]) -> None:
        event = {"id": f"evt_latency_{n:06d}", "object": "event", "type": "invoice.finalized",
                 "api_version": "2025-03-31.basil", "created": int(time.time()),
                 "livemode": False, "pending_webhooks": 1, "data": {"object": invoice}}
        for attempt in range(5):
            body, headers = signed(event)
            try:
                code = client().post(url, content=body, headers=headers).status_code
            except httpx.HTTPError:
                code = 0
            with lock:
                statuses[code] = statuses.get(code, 0) + 1
            if code in (200, 202):
                return
            time.sleep(1.0 * (attempt + 1))

    started = time.time()
    lag = 0.0
    with ThreadPoolExecutor(16) as pool:
        for n, invoice in enumerate(invoices):
            due = started + n / rate
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            else:
                lag = max(lag, -delay)
            pool.submit(post, n, invoice)
        sent = time.time()
    return {"statuses": {str(k): v for k, v in sorted(statuses.items())},
            "seconds_sending": round(sent - started, 2),
            "achieved_rate": round(len(invoices) / max(sent - started, 1e-6), 1),
            "max_schedule_lag_ms": round(lag * 1000, 1)}


# -- measuring --------------------------------------------------------------------------------
def posted_latencies(database: Any) -> tuple[list[float], int]:
    """Seconds from inbox receipt to the posting step's success, per flow; and the number of
    inbox rows."""
    latencies, received, _span = posted_span(database)
    return latencies, received


def posted_span(database: Any) -> tuple[list[float], int, float]:
    """As :func:`posted_latencies`, plus the seconds from the first receipt to the last
    posting."""
    from accord.engine.timeline import Milestone
    from accord.store.models import InboxEntry, TimelineEntry

    with database.session() as session:
        received = dict(session.execute(select(InboxEntry.workflow_id, InboxEntry.received_at)
                                        .where(InboxEntry.system == "stripe")).all())
        posted = session.execute(select(TimelineEntry.workflow_id, TimelineEntry.occurred_at)
                                 .where(TimelineEntry.milestone ==
                                        Milestone.INVOICE_POSTED.value)).all()
    latencies = [(at - received[wf]).total_seconds() for wf, at in posted if wf in received]
    span = ((max(at for _wf, at in posted) - min(received.values())).total_seconds()
            if posted and received else 0.0)
    return latencies, len(received), span


def breakdown(database: Any) -> dict[str, dict[str, float]]:
    """Where the time goes, per flow: waiting before its first step (queue), and each step's
    own duration (its timeline latency) by action, plus the gaps between steps."""
    from accord.engine.timeline import StepOutcome
    from accord.store.models import InboxEntry, TimelineEntry

    with database.session() as session:
        received = dict(session.execute(select(InboxEntry.workflow_id, InboxEntry.received_at)
                                        .where(InboxEntry.system == "stripe")).all())
        rows = session.execute(select(TimelineEntry.workflow_id, TimelineEntry.action,
                                      TimelineEntry.occurred_at, TimelineEntry.latency_ms)
                               .where(TimelineEntry.outcome == StepOutcome.SUCCEEDED.value)
                               .order_by(TimelineEntry.id)).all()
    by_flow: dict[str, list[Any]] = {}
    for row in rows:
        by_flow.setdefault(str(row.workflow_id), []).append(row)
    parts: dict[str, list[float]] = {"before_first_step": [], "between_steps": []}
    for workflow_id, steps in by_flow.items():
        if workflow_id not in received:
            continue
        steps.sort(key=lambda r: r.occurred_at)
        first_start = steps[0].occurred_at.timestamp() - (steps[0].latency_ms or 0) / 1000
        parts["before_first_step"].append(first_start - received[workflow_id].timestamp())
        gaps = 0.0
        for previous, current in pairwise(steps):
            start = current.occurred_at.timestamp() - (current.latency_ms or 0) / 1000
            gaps += max(0.0, start - previous.occurred_at.timestamp())
        parts["between_steps"].append(gaps)
        for step in steps:
            parts.setdefault(f"step {step.action}", []).append((step.latency_ms or 0) / 1000)
    return {name: percentiles(values) for name, values in parts.items()}


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {"p50_ms": round(at(0.50) * 1000, 1), "p95_ms": round(at(0.95) * 1000, 1),
            "p99_ms": round(at(0.99) * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1),
            "mean_ms": round(sum(ordered) / len(ordered) * 1000, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="webhooks per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to send")
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=16, help="flows at once")
    parser.add_argument("--postgres", action="store_true",
                        help="accord on PostgreSQL (ACCORD_TEST_PG_URL) instead of SQLite")
    parser.add_argument("--output", type=Path, default=RESULTS / "latency.json")
    parser.add_argument("--sandboxes", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sandboxes:
        serve_sandboxes(args.sandboxes)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="accord-latency-") as tmp:
        helper = subprocess.Popen([sys.executable, __file__, "--sandboxes", tmp],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert helper.stdout is not None
            creds = json.loads(helper.stdout.readline())
            return measure(args, Path(tmp), creds)
        finally:
            if helper.stdin:
                helper.stdin.close()
            try:
                helper.wait(timeout=30)
            except subprocess.TimeoutExpired:
                helper.kill()


def measure(args: argparse.Namespace, tmp: Path, creds: dict[str, Any]) -> int:
    from accord import bootstrap
    from accord.api import create_app
    from accord.connectors.stripe.client import LIVE_MODE_LIMITS
    from accord.connectors.stripe.settings import StripeSettings
    from accord.engine import EngineOptions
    from accord.flows.systems import FlowSettings
    from accord.resilience import LimitsProfile
    from accord.routing import load_routing
    from accord.sandboxes.server import serve_in_thread
    from accord.settings import AccordSettings, load_settings
    from accord.store import Database, upgrade

    url = f"sqlite:///{tmp}/accord.db"
    drop: Any = None
    if args.postgres:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        admin_url = make_url(PG_URL).set(drivername="postgresql+psycopg")
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        name = f"accord_latency_{os.getpid()}"
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin_url.set(database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with admin.connect() as connection:
                connection.execute(text("SELECT pg_terminate_backend(pid) FROM "
                                        "pg_stat_activity WHERE datname = :n"), {"n": name})
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()

    database = Database(url)
    upgrade(database.engine)
    deployment = bootstrap.prepare(
        AccordSettings(database_url=SecretStr(url)), config={},
        overrides=bootstrap.sandbox_tables(creds, load_routing()),
        flow_settings=FlowSettings(wait_interval=0.5, wait_attempts=120))
    found = deployment.systems
    # the Stripe sandbox runs without its test-mode limit (rate_limit 0): pace Stripe as a
    # live account (100 requests/s) rather than the engine's default for test mode (20/s)
    service = bootstrap.start(deployment, EngineOptions(
        database_url=url, worker_concurrency=args.concurrency,
        limits={"netsuite": LimitsProfile(max_concurrency=5), "stripe": LIVE_MODE_LIMITS}))
    try:
        events = int(args.rate * args.seconds)
        began = time.time()
        console.print(f"seeding {args.customers} customers and {events} finalized invoices ...")
        invoices = seed(found, database, args.customers, events)
        seeding = time.time() - began
        app = create_app(load_settings(), database, system_settings={
            "stripe": StripeSettings(webhook_secret=SecretStr(WEBHOOK_SECRET))})
        api = serve_in_thread(app, name="api")
        try:
            load_before = os.getloadavg()
            console.print(f"sending {events} webhooks at {args.rate}/s ...")
            sending = send_steadily(f"http://127.0.0.1:{api.port}/hooks/stripe", invoices,
                                    args.rate)
            deadline = time.time() + 600
            latencies, received = posted_latencies(database)
            while len(latencies) < events and time.time() < deadline:
                time.sleep(0.5)
                latencies, received = posted_latencies(database)
            drained = time.time()
            load_after = os.getloadavg()
            where = breakdown(database)
            span = posted_span(database)[2]
        finally:
            # the app's lifespan is cancelled at shutdown; uvicorn logs that as an error
            logging.getLogger("uvicorn.error").disabled = True
            api.stop()
    finally:
        bootstrap.stop(service)
        deployment.close()
        database.dispose()
        if drop:
            drop()
    result = {
        "benchmark": "latency", "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "bench/latency.py " + " ".join(a for a in sys.argv[1:]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in load_after]},
        "database": "postgresql" if args.postgres else "sqlite",
        "rate": args.rate, "seconds": args.seconds, "events": events,
        "customers": args.customers, "worker_concurrency": args.concurrency,
        "seeding_seconds": round(seeding, 1), "sending": sending,
        "received": received, "posted": len(latencies),
        "posted_per_second": round(len(latencies) / span, 1) if span else None,
        "drain_seconds_after_last_send": round(drained - began - seeding
                                               - sending["seconds_sending"], 1),
        "from": "inbox.received_at (webhook verified and stored)",
        "to": "timeline post_invoice succeeded (NetSuite answered the upsert)",
        "latency": percentiles(latencies), "breakdown": where}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    table = Table(title=f"latency at {args.rate}/s for {args.seconds:g} s", show_header=False)
    for key in ("events", "received", "posted", "database"):
        table.add_row(key, str(result[key]))
    table.add_row("achieved send rate", f"{sending['achieved_rate']}/s")
    table.add_row("posted per second (first receipt to last posting)",
                  str(result["posted_per_second"]))
    for key, value in result["latency"].items():
        table.add_row(key, str(value))
    for name, values in where.items():
        table.add_row(f"  {name} p50 / p95 ms", f"{values.get('p50_ms')} / {values.get('p95_ms')}")
    table.add_row("load average before / after", f"{load_before[0]:.1f} / {load_after[0]:.1f}")
    console.print(table)
    return 0 if len(latencies) == events else 1


if __name__ == "__main__":
    raise SystemExit(main())
