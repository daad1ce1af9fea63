"""Hub overhead: business events per second end to end, with zero-latency sandboxes.

Each business event is an "invoice ready" event stored in the inbox as the webhook endpoint
stores it; worker processes pump the inbox and run real accord flows that post the invoice to
a NetSuite sandbox (in its own process, over real HTTP, TBA-signed) and record the xref. Two
ways of running the same work:

* ``batched``: a batch flow per up to ``--batch`` events (default 100): one NetSuite REST batch
  upsert (per-invoice results) and one xref step per batch;
* ``single``: one flow per event (a NetSuite upsert step, then an xref step).

Runs: SQLite with one worker; PostgreSQL with one and two workers. Every run starts from a
fresh database and a fresh sandbox, stores the events first (intake, timed on its own), then
starts the workers; the throughput window runs from the first flow's start to the last
completion (DBOS's own millisecond timestamps). Afterwards NetSuite is read back: every
invoice must be there once with its amount (lost / doubled / wrong are reported).

    .venv/bin/python bench/hub.py [--events N] [--single-events N] [--batch N]
                                  [--skip-pg] [--skip-single] [--pg-url URL]

Writes bench/results/hub.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "hub.json"
WORKER_CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", "16"))
FLOWS = ("hub_invoice_posting", "hub_invoice_posting_batch")


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- the workload -----------------------------------------------------------------------------
def workload(events: int, customers: int, tag: str) -> tuple[list[Any], list[Any]]:
    """Seeded customers and invoices (amounts differ, so a wrong posting shows)."""
    import random

    from accord.canonical import Customer, Invoice, InvoiceLine, InvoiceStatus, Money

    rng = random.Random(11)
    people = [Customer(legal_name=f"Hub Customer {tag}-{n:05d}", legal_entity="US01",
                       currency="USD") for n in range(customers)]
    today = datetime.now(UTC).date()
    invoices = []
    for n in range(events):
        amount = Money.from_minor_units(rng.randint(1_000, 500_000), "USD")
        invoices.append(Invoice(
            number=f"HUB-{tag}-{n:07d}", customer_id=people[n % customers].id,
            legal_entity="US01", currency="USD", status=InvoiceStatus.OPEN, issue_date=today,
            lines=(InvoiceLine(description="Hub subscription", product_sku="SUBSCRIPTION",
                               quantity=Decimal(1), unit_amount=amount, amount=amount,
                               tax_amount=Money.zero("USD")),),
            subtotal=amount, tax_total=Money.zero("USD"), total=amount))
    return people, invoices


# -- databases ----------------------------------------------------------------------------------
@contextmanager
def database_url(kind: str, pg_url: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="accord-bench-hub-") as directory:
            yield f"sqlite:///{directory}/hub.db"
        return
    from engine import scratch_database

    url, drop = scratch_database(pg_url)
    try:
        yield url
    finally:
        drop()


def dbos_table(url: str) -> str:
    return "dbos.workflow_status" if url.startswith("postgresql") else "workflow_status"


def progress(engine: Any, url: str) -> tuple[int, int]:
    """(inbox rows not yet started, flows queued or running)."""
    names = ", ".join(f"'{name}'" for name in FLOWS)
    with engine.connect() as connection:
        waiting = connection.execute(text(
            "SELECT count(*) FROM inbox WHERE status IN ('received', 'claimed')")).scalar_one()
        running = connection.execute(text(
            f"SELECT count(*) FROM {dbos_table(url)} WHERE name IN ({names}) "
            "AND status IN ('ENQUEUED', 'PENDING')")).scalar_one()
    return int(waiting), int(running)


def window(engine: Any, url: str, began: float) -> dict[str, Any]:
    """Flow counts and the seconds from ``began`` (epoch seconds: the workers were ready)
    to the last timeline row (a flow's last step; microsecond timestamps - DBOS stamps
    SQLite rows in whole seconds only)."""
    from accord.store.models import TimelineEntry

    names = ", ".join(f"'{name}'" for name in FLOWS)
    with engine.connect() as connection:
        row = connection.execute(text(
            "SELECT count(*), sum(CASE WHEN status = 'SUCCESS' THEN 1 ELSE 0 END) "
            f"FROM {dbos_table(url)} WHERE name IN ({names})")).one()
        exceptions = connection.execute(text("SELECT count(*) FROM exception")).scalar_one()
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        last = session.scalar(select(func.max(TimelineEntry.occurred_at)))
    return {"flows": int(row[0]), "succeeded": int(row[1] or 0),
            "seconds": (last.timestamp() - began) if last is not None else 0.0,
            "exceptions": int(exceptions)}


# -- worker processes ---------------------------------------------------------------------------
def serve(url: str, executor: str) -> None:
    """A worker: pump the inbox and run the hub flows until SIGTERM."""
    import resource

    sys.path.insert(0, str(HERE))
    from support import hub_flow  # noqa: F401 - registers the flows before launch
    from support.netsuite_process import peak_rss_mb_of

    from accord.engine import EngineOptions, launch, shutdown
    from accord.resilience import LimitsProfile

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Several workers share NetSuite's limit through the engine's cross-process gate; a single
    # worker relies on its NetSuite client's own gate (5 per process), which is held for one
    # HTTP exchange only, not for the CPU work a batch step does between its calls.
    shared = int(os.environ.get("BENCH_SHARED_LIMIT", "0"))
    # (an empty profile opts out of the engine's default, the connector's published limit)
    limits = {"netsuite": LimitsProfile(max_concurrency=shared or None)}
    launch(EngineOptions(database_url=url, executor_id=executor,
                         worker_concurrency=WORKER_CONCURRENCY, polling_interval=0.05,
                         pump_interval=0.1, limits=limits))
    print("ready", flush=True)
    trace = os.environ.get("BENCH_MEMORY_TRACE")
    if trace:
        threading.Thread(target=_trace_memory, args=(Path(f"{trace}.{executor}"), stop),
                         daemon=True).start()

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def peak() -> float:
        # VmHWM, not getrusage's ru_maxrss: on Linux the latter starts from the RSS of the
        # process that forked this one (the bench, holding the whole workload) at exec time
        return peak_rss_mb_of(os.getpid())

    ready_cpu = cpu()
    stop.wait()
    busy = cpu() - ready_cpu
    working_peak = peak()
    shutdown()
    print(json.dumps({"cpu_seconds": busy, "peak_rss_mb": working_peak,
                      "peak_rss_mb_with_shutdown": peak()}), flush=True)


def _trace_memory(path: Path, stop: threading.Event) -> None:
    """Every 0.1 s: seconds, RSS in MB, rows waiting in the timeline writer, threads."""
    from accord.engine.context import current

    page = os.sysconf("SC_PAGE_SIZE")
    began = time.time()
    with path.open("w", encoding="utf-8") as out:
        while not stop.wait(0.1):
            rss = int(Path("/proc/self/statm").read_text().split()[1]) * page / 2**20
            waiting = current().timeline._queue.qsize()
            out.write(f"{time.time() - began:.1f} {rss:.1f} {waiting} "
                      f"{threading.active_count()}\n")
            out.flush()


class Workers:
    """Worker processes; ``ready_at`` is when the first said ready (epoch seconds): its pump
    waits one interval before its first pass, so no work precedes it."""

    def __init__(self, url: str, count: int, env: dict[str, str]) -> None:
        self.ready_at = 0.0
        self.procs = [subprocess.Popen([sys.executable, __file__, "serve", url, f"hub-w{n}"],
                                       stdout=subprocess.PIPE, text=True,
                                       env={**os.environ, **env})
                      for n in range(count)]
        for proc in self.procs:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"worker did not start: {line!r}")
            self.ready_at = self.ready_at or time.time()

    def profile(self, directory: Path) -> None:
        """Sample every worker with py-spy (collapsed stacks, GIL-holding threads only)."""
        directory.mkdir(parents=True, exist_ok=True)
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
        self.spies = [subprocess.Popen(
            [spy, "record", "--format", "raw", "--gil", "--nonblocking", "--rate", "200",
             "-o", str(directory / f"worker-{n}.txt"), "--pid", str(proc.pid)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for n, proc in enumerate(self.procs)]

    def stop(self) -> list[dict[str, Any]]:
        for spy in getattr(self, "spies", []):
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        reports = []
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            output, _ = proc.communicate(timeout=120)
            lines = [line for line in output.splitlines() if line.startswith("{")]
            reports.append(json.loads(lines[-1]) if lines else {})
        return reports


# -- one run --------------------------------------------------------------------------------------
def run(*, kind: str, workers: int, events: int, customers: int, batched: bool,
        batch: int, pg_url: str, tag: str, profile: Path | None = None,
        latency_ms: int = 0, concurrency: int = 5,
        on_progress: Callable[[int, float], None] | None = None) -> dict[str, Any]:
    """Store ``events`` invoice events, let ``workers`` drain them, verify NetSuite."""
    sys.path.insert(0, str(HERE))
    os.environ["BENCH_HUB_BATCH"] = str(batch)
    from support import hub_flow
    from support.netsuite_process import NetSuiteProcess, cpu_seconds_of, peak_rss_mb_of

    from accord.connectors.base import InboundEvent
    from accord.connectors.netsuite.client import NetSuiteClient
    from accord.connectors.netsuite.posting import NetSuitePoster
    from accord.connectors.netsuite.refdata import load_refdata
    from accord.engine.dispatch import store
    from accord.store import Database, upgrade
    from engine import postgres_cpu_seconds

    people, invoices = workload(events, customers, tag)
    system = hub_flow.BATCHED if batched else hub_flow.SINGLE
    started_load = load()
    with NetSuiteProcess(latency_ms=0, concurrency=concurrency) as sandbox, \
            database_url(kind, pg_url) as url:
        settings = sandbox.settings()
        with NetSuiteClient(settings) as client:
            poster = NetSuitePoster(client, load_refdata())
            for person in people:
                poster.post_customer(person)
        sandbox.set_latency(latency_ms)  # customers were set up without it
        database = Database(url)
        upgrade(database.engine)
        began = time.perf_counter()
        for n, invoice in enumerate(invoices):
            store(database, InboundEvent(
                system=system, event_id=f"{tag}-{n:07d}", event_type=hub_flow.EVENT_TYPE,
                occurred_at=datetime.now(UTC),
                payload={"invoice": invoice.model_dump(mode="json")}))
        intake_seconds = time.perf_counter() - began
        watcher = create_engine(make_url(url))
        sandbox_cpu = cpu_seconds_of(sandbox.pid)
        pg_cpu = postgres_cpu_seconds() if kind == "postgresql" else 0.0
        shared = {"BENCH_SHARED_LIMIT": str(concurrency)} if workers > 1 else {}
        pool = Workers(url, workers, {**sandbox.env(), **shared})
        if profile is not None:
            pool.profile(profile)
        try:
            deadline = time.monotonic() + 3600
            drain_began = time.monotonic()
            while time.monotonic() < deadline:
                waiting, running = progress(watcher, url)
                if on_progress is not None:
                    on_progress(events - waiting, time.monotonic() - drain_began)
                if waiting == 0 and running == 0:
                    break
                time.sleep(0.25)
            time.sleep(0.1)  # the timeline writer's last batch (20 ms window)
            figures = window(watcher, url, pool.ready_at)
            governance = sandbox.governance()
            sandbox_cpu = cpu_seconds_of(sandbox.pid) - sandbox_cpu
            pg_cpu = (postgres_cpu_seconds() - pg_cpu) if kind == "postgresql" else 0.0
        finally:
            reports = pool.stop()
        sandbox_rss = peak_rss_mb_of(sandbox.pid)
        with NetSuiteClient(settings) as client:
            rows = list(client.suiteql(
                "SELECT externalid, foreigntotal FROM transaction WHERE type = 'CustInvc'"))
        watcher.dispose()
        database.dispose()
    verdict = judge(invoices, rows)
    worker_cpu = sum(r.get("cpu_seconds", 0.0) for r in reports)
    seconds = figures["seconds"] or 1e-9
    return {
        "database": kind, "workers": workers, "mode": "batched" if batched else "single",
        "batch": batch if batched else 1, "events": events, "customers": customers,
        "intake_events_per_s": round(events / intake_seconds, 1),
        "flows": figures["flows"], "flows_succeeded": figures["succeeded"],
        "seconds": round(seconds, 3), "events_per_s": round(events / seconds, 1),
        "worker_cpu_ms_per_event": round(worker_cpu * 1000 / events, 3),
        "sandbox_cpu_ms_per_event": round(sandbox_cpu * 1000 / events, 3),
        "postgres_cpu_ms_per_event": round(pg_cpu * 1000 / events, 3),
        "worker_peak_rss_mb": [r.get("peak_rss_mb") for r in reports],
        "worker_peak_rss_mb_with_shutdown": [r.get("peak_rss_mb_with_shutdown")
                                             for r in reports],
        "sandbox_peak_rss_mb": sandbox_rss, "exceptions": figures["exceptions"],
        "netsuite": {"latency_ms": latency_ms, "concurrency_limit": concurrency,
                     "calls": governance["admitted"], "refused_for_limit": governance["rejected"],
                     "peak_concurrent": governance["peak_admitted"]},
        "verdict": verdict, "load_average": {"start": started_load, "end": load()},
    }


def judge(invoices: list[Any], rows: list[dict[str, str]]) -> dict[str, int]:
    expected = {inv.id: inv.total.amount for inv in invoices}
    seen: dict[str, int] = {}
    wrong = 0
    for row in rows:
        key = row.get("externalid", "")
        if key not in expected:
            continue
        seen[key] = seen.get(key, 0) + 1
        if Decimal(row["foreigntotal"]) != expected[key]:
            wrong += 1
    return {"expected": len(expected), "lost": len(set(expected) - set(seen)),
            "doubled": sum(1 for n in seen.values() if n > 1), "wrong_amount": wrong}


def line(result: dict[str, Any]) -> str:
    return (f"{result['database']:<10} {result['workers']} worker(s) {result['mode']:<7} "
            f"{result['events']:>7} events: {result['events_per_s']:>7.1f} events/s "
            f"({result['seconds']:.1f} s), worker CPU {result['worker_cpu_ms_per_event']:.2f} "
            f"ms/event, sandbox CPU {result['sandbox_cpu_ms_per_event']:.2f} ms/event, "
            f"PostgreSQL CPU {result['postgres_cpu_ms_per_event']:.2f} ms/event, worker RSS "
            f"{result['worker_peak_rss_mb']} MB; intake {result['intake_events_per_s']} "
            f"events/s; verdict {result['verdict']}; load {result['load_average']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--single-events", type=int, default=1000,
                        help="events for the one-flow-per-event runs")
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--pg-url", default=os.environ.get(
        "ACCORD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-single", action="store_true")
    parser.add_argument("--profile", type=Path, default=None,
                        help="sample the workers with py-spy into this directory")
    args = parser.parse_args()

    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "load_average_at_start": load()},
        "command": " ".join(["bench/hub.py", *sys.argv[1:]]), "runs": []}
    plan = [("sqlite", 1)]
    if not args.skip_pg:
        plan += [("postgresql", 1), ("postgresql", 2)]
    for kind, workers in plan:
        for batched in (True, False):
            if not batched and args.skip_single:
                continue
            events = args.events if batched else args.single_events
            tag = f"{kind[:2]}{workers}{'b' if batched else 's'}"
            result = run(kind=kind, workers=workers, events=events, customers=args.customers,
                         batched=batched, batch=args.batch, pg_url=args.pg_url, tag=tag,
                         profile=args.profile / tag if args.profile else None)
            print(line(result), flush=True)
            results["runs"].append(result)
    by = {(r["database"], r["workers"], r["mode"]): r for r in results["runs"]}
    for mode in ("batched", "single"):
        one, two = by.get(("postgresql", 1, mode)), by.get(("postgresql", 2, mode))
        if one and two:
            results[f"postgres_2_over_1_{mode}"] = round(
                two["events_per_s"] / one["events_per_s"], 2)
            print(f"PostgreSQL two workers / one ({mode}): "
                  f"{results[f'postgres_2_over_1_{mode}']}x")
    results["machine"]["load_average_at_end"] = load()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    else:
        main()
