"""Latency: from webhook receipt to ERP posting, at a steady rate, through the product itself.

    .venv/bin/python bench/latency.py [--rate 50] [--seconds 30] [--customers 50]
                                      [--workers 1] [--concurrency 16] [--postgres]
                                      [--drain-timeout 300] [--profile DIR]

accord runs as a customer deploys it (``support/accord_service.py``): an ``accord.toml`` for
the run's sandboxes, ``accord db upgrade``, then ``accord serve --no-workers`` (the webhook
intake) and ``--workers`` ``accord worker`` processes, on SQLite by default or on a fresh
PostgreSQL database (``--postgres``, ``ACCORD_TEST_PG_URL``). The Stripe and NetSuite
sandboxes run in a process of their own. Before the timed part the bench seeds them as the
peers bench does (``support/world.py``): customers in Stripe and NetSuite linked in accord's
identity registry (as the closed-won flow leaves them), and one finalized Stripe invoice per
event.

Signed Stripe ``invoice.finalized`` webhooks are then POSTed to ``/hooks/stripe`` at a steady
``--rate`` per second for ``--seconds``, and each runs the product's invoice-posting flow
(:mod:`accord.flows.invoice_posting`: read the invoice from Stripe and map it, post it to
NetSuite and link it). The bench waits, at most ``--drain-timeout`` seconds after the last
webhook, until every event reached NetSuite, and says how many did not.

Latency is measured from accord's own records: the inbox row's ``received_at`` (the webhook
was verified and stored) to the timeline row of the flow's ``post_invoice`` step with outcome
``succeeded`` (NetSuite answered the upsert). The run ends with NetSuite read back (every
invoice there once, with its amount). Figures go to ``bench/results/latency.json``: the
offered rate, postings per second, latency percentiles, events not finished, CPU seconds of
the accord processes per event, and the parameters. Ctrl-C (or SIGTERM) stops sending,
writes what was measured so far and stops every process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
from typing import Any, NoReturn

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from support.accord_service import AccordService, Posting, netsuite_invoices_and_customers
from support.processes import ProcessSampler, stop_groups
from support.workload import Workload, generate, percentiles, verdict
from support.world import World

from accord.testing.databases import postgres_available, scratch_database

HERE = Path(__file__).parent
RESULTS = HERE / "results"
PG_URL = os.environ.get("ACCORD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SENDERS = 16
console = Console(width=max(Console().width, 120))


# -- sending ----------------------------------------------------------------------------------
class Sender:
    """POSTs one event per invoice at ``rate`` per second from ``SENDERS`` threads (several
    connections, as Stripe delivers concurrently, so one slow answer does not hold the
    schedule back); a refused delivery is sent again later, as Stripe would."""

    def __init__(self, service: AccordService, rate: float) -> None:
        self.service = service
        self.rate = rate
        self.statuses: dict[int, int] = {}
        self.accepted = 0
        self.submitted = 0
        self.lag = 0.0
        self.started = self.finished = 0.0
        self.halt = threading.Event()
        self._lock = threading.Lock()
        self._local = threading.local()

    def _client(self) -> httpx.Client:
        if not hasattr(self._local, "client"):
            self._local.client = httpx.Client(timeout=30)
        found: httpx.Client = self._local.client
        return found

    def _post(self, event: dict[str, Any]) -> None:
        for attempt in range(5):
            if self.halt.is_set():
                return
            code = self.service.post(event, self._client(), attempts=1)[-1]
            with self._lock:
                self.statuses[code] = self.statuses.get(code, 0) + 1
                if 200 <= code < 300:
                    self.accepted += 1
                    return
            self.halt.wait(1.0 * (attempt + 1))

    def send(self, events: list[dict[str, Any]]) -> None:
        self.started = time.time()
        pool = ThreadPoolExecutor(SENDERS, thread_name_prefix="webhook")
        try:
            for n, event in enumerate(events):
                delay = self.started + n / self.rate - time.time()
                if delay > 0:
                    time.sleep(delay)
                else:
                    self.lag = max(self.lag, -delay)
                pool.submit(self._post, event)
                self.submitted += 1
            self.finished = time.time()
            pool.shutdown(wait=True)
        except BaseException:
            self.halt.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            self.finished = self.finished or time.time()

    def summary(self) -> dict[str, Any]:
        seconds = max(self.finished - self.started, 1e-6)
        return {"statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "sent": self.submitted, "accepted": self.accepted,
                "seconds_sending": round(seconds, 2),
                "achieved_rate": round(self.submitted / seconds, 1),
                "max_schedule_lag_ms": round(self.lag * 1000, 1)}


# -- measuring --------------------------------------------------------------------------------
def latencies_of(postings: list[Posting]) -> list[float]:
    return [(p.posted_at - p.received_at).total_seconds() for p in postings if p.posted_at]


def posted_per_second(postings: list[Posting]) -> float | None:
    """Postings per second from the first receipt to the last posting."""
    posted = [p.posted_at for p in postings if p.posted_at]
    if not posted:
        return None
    span = (max(posted) - min(p.received_at for p in postings)).total_seconds()
    return round(len(posted) / span, 1) if span > 0 else None


def breakdown(service: AccordService) -> dict[str, dict[str, float]]:
    """Where the time goes, per flow: waiting before its first step (queue), and each step's
    own duration (its timeline latency) by action, plus the gaps between steps."""
    from accord.engine.timeline import StepOutcome
    from accord.store.models import InboxEntry, TimelineEntry

    with service.database.session() as session:
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


def drain(service: AccordService, expected: int, timeout: float) -> float:
    """Wait until ``expected`` events are posted, or ``timeout`` seconds pass; the seconds
    waited."""
    began = time.time()
    while time.time() - began < timeout:
        if len(service.posted_by_correlation()) >= expected:
            break
        time.sleep(1.0)
    return time.time() - began


# -- profiling --------------------------------------------------------------------------------
def start_profiles(service: AccordService, directory: Path,
                   seconds: float) -> list[subprocess.Popen[bytes]]:
    """py-spy (``--gil``: samples of the thread holding the interpreter lock, so CPU and not
    waiting) on the intake and the first worker while the webhooks are sent."""
    py_spy = Path(sys.executable).parent / "py-spy"
    directory.mkdir(parents=True, exist_ok=True)
    serving = service.serving.pid if service.serving else None
    targets = {"serve": serving, "worker": (service.worker_pids() or [None])[0]}
    return [subprocess.Popen([str(py_spy), "record", "--pid", str(pid), "--gil", "--rate", "100",
                              "--duration", str(max(1, int(seconds))), "--format", "raw",
                              "--output", str(directory / f"{role}.txt"), "--nonblocking"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
            for role, pid in targets.items() if pid is not None]


# -- the run ----------------------------------------------------------------------------------
def interrupt(*_: object) -> NoReturn:
    raise KeyboardInterrupt


def run(args: argparse.Namespace, root: Path, database_url: str) -> dict[str, Any]:
    events = int(args.rate * args.seconds)
    result: dict[str, Any] = {"events": events}
    world = World.start_process(root / "sandboxes")
    service: AccordService | None = None
    profiles: list[subprocess.Popen[bytes]] = []
    try:
        console.print(f"seeding {args.customers} customers and {events} finalized invoices ...")
        began = time.time()
        plan = generate(events, args.customers)
        seeded = world.seed(plan.customers, plan.invoices, threads=4)
        workload = Workload.of(plan, seeded.invoices, seeded.names)
        result["seeding_seconds"] = round(time.time() - began, 1)
        (root / "accord").mkdir()
        service = AccordService(root / "accord", database_url, world, workers=args.workers,
                                concurrency=args.concurrency, netsuite_slots=5)
        service.upgrade()
        service.link(seeded)
        service.start()
        service.wait_ready()
        sampler = ProcessSampler(service.pids)
        sampler.start()
        if args.profile:
            profiles = start_profiles(service, args.profile, args.seconds)
        sender = Sender(service, args.rate)
        result["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
        try:
            console.print(f"sending {events} webhooks at {args.rate:g}/s "
                          f"({args.workers} worker(s)) ...")
            sender.send(workload.events())
            console.print(f"draining (at most {args.drain_timeout:g} s) ...")
            result["drain_seconds"] = round(drain(service, events, args.drain_timeout), 1)
        except KeyboardInterrupt:
            result["interrupted"] = True
            console.print("[yellow]interrupted:[/] measuring what was done, then stopping")
        sampler.finish()
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        postings = service.postings()
        posted = sum(1 for p in postings if p.posted_at)
        roles = service.roles()
        cpu = sampler.cpu_seconds()
        invoices, customers = netsuite_invoices_and_customers(world)
        result |= {
            "sending": sender.summary(), "received": len(postings), "posted": posted,
            "not_finished": events - posted,
            "posted_per_second": posted_per_second(postings),
            "latency": percentiles(latencies_of(postings)), "breakdown": breakdown(service),
            "cpu_seconds": round(cpu, 2),
            "cpu_ms_per_event": round(cpu * 1000 / max(events, 1), 1),
            "cpu_ms_per_event_by_process": {
                role: round(sampler.cpu_seconds(pids) * 1000 / max(events, 1), 1)
                for role, pids in roles.items()},
            "peak_rss_mb": round(sampler.peak / 2**20, 1),
            "accord": service.diagnostics(),
            "netsuite": verdict(workload, invoices, customers).summary()}
        return result
    finally:
        # stop everything even on a second Ctrl-C
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_groups(profiles, timeout=10)
        if service is not None:
            service.stop()
        world.stop()


def report(result: dict[str, Any]) -> None:
    table = Table(title=f"latency at {result['rate']:g}/s for {result['seconds']:g} s, "
                        f"{result['workers']} worker(s), {result['database']}",
                  show_header=False)
    for key in ("events", "received", "posted", "not_finished", "posted_per_second",
                "cpu_ms_per_event", "cpu_ms_per_event_by_process"):
        table.add_row(key, str(result.get(key)))
    if "sending" in result:
        table.add_row("achieved send rate", f"{result['sending']['achieved_rate']}/s")
    for key, value in result.get("latency", {}).items():
        table.add_row(key, str(value))
    for name, values in result.get("breakdown", {}).items():
        table.add_row(f"  {name} p50 / p95 ms", f"{values.get('p50_ms')} / {values.get('p95_ms')}")
    if "netsuite" in result:
        found = result["netsuite"]
        table.add_row("in NetSuite (found / lost / doubled / wrong amount)",
                      f"{found['found']} / {found['lost']} / {found['doubled']} / "
                      f"{found['wrong_amount']}")
    console.print(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="webhooks per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to send")
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1, help="accord worker processes")
    parser.add_argument("--concurrency", type=int, default=16, help="flows at once per worker")
    parser.add_argument("--postgres", action="store_true",
                        help="accord on PostgreSQL (ACCORD_TEST_PG_URL) instead of SQLite")
    parser.add_argument("--drain-timeout", type=float, default=300.0,
                        help="seconds to wait after the last webhook for every posting")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="py-spy the intake and the first worker while sending "
                             "(raw samples in DIR)")
    parser.add_argument("--output", type=Path, default=RESULTS / "latency.json")
    args = parser.parse_args()
    if args.postgres and not postgres_available(PG_URL):
        console.print(f"[red]PostgreSQL at {PG_URL.split('@')[-1]} does not answer[/]")
        return 2
    signal.signal(signal.SIGTERM, interrupt)
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="accord-latency-") as tmp, \
            scratch_database(PG_URL if args.postgres else None, prefix="accord_latency",
                             directory=Path(tmp)) as database_url:
        try:
            measured = run(args, Path(tmp), database_url)
        except KeyboardInterrupt:
            console.print("[yellow]interrupted before the webhooks were sent; nothing measured[/]")
            return 130
    result = {
        "benchmark": "latency", "measured_at": started.isoformat(timespec="seconds"),
        "command": "bench/latency.py " + " ".join(sys.argv[1:]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "database": "postgresql" if args.postgres else "sqlite",
        "rate": args.rate, "offered_rate": args.rate, "seconds": args.seconds,
        "customers": args.customers, "workers": args.workers,
        "worker_concurrency": args.concurrency, "drain_timeout": args.drain_timeout,
        "setup": "accord serve --no-workers + accord worker processes (subprocesses), "
                 "accord.toml and ACCORD_* only; NetSuite gate 5 slots across workers, "
                 "Stripe paced at 100/s, pump 50 ms; sandboxes in their own process",
        "from": "inbox.received_at (webhook verified and stored)",
        "to": "timeline post_invoice succeeded (NetSuite answered the upsert)",
        **measured}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    report(result)
    if result.get("interrupted"):
        return 130
    return 0 if result["not_finished"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
