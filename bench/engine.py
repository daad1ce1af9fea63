"""Engine throughput: a 3-step flow on SQLite (one worker) and PostgreSQL (one and two
worker processes). Prints flows/s, steps/s and peak memory; writes bench/results/engine.json.

Each step is a real accord step (DBOS step checkpoint + timeline row) whose call does no
network I/O, so the figures measure the engine, not a remote system.

    .venv/bin/python bench/engine.py [--flows N] [--pg-url URL] [--skip-pg]

PostgreSQL comes from --pg-url, ACCORD_TEST_PG_URL or postgresql://postgres@127.0.0.1/test;
a scratch database is created and dropped for each run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from accord.engine import EngineOptions, FlowInput, StepCall, flow, launch, shutdown, step
from accord.engine.flow import start_flow

RESULTS = Path(__file__).parent / "results" / "engine.json"
STEPS = 3
DIRECT_THREADS = 2
WORKER_CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", "16"))
POLLING = float(os.environ.get("BENCH_POLLING", "0.05"))


@step("crm", "read")
def read(call: StepCall, n: int) -> int:
    return n + 1


@step("billing", "write")
def write(call: StepCall, n: int) -> int:
    return n * 2


@step("erp", "post")
def post(call: StepCall, n: int) -> int:
    return n - 1


@flow("bench.three_steps")
def three_steps(run: FlowInput) -> int:
    n = int(run.payload["n"])
    return post(write(read(n)))


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def postgres_cpu_seconds() -> float:
    """CPU time used so far by the local PostgreSQL server's processes (Linux /proc)."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            if not fields[0].endswith("(postgres"):
                continue
            values = fields[1].split()
            total += int(values[11]) + int(values[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / tick


def inputs(count: int, tag: str) -> list[FlowInput]:
    return [FlowInput(correlation_id=f"{tag}-{n}", keys={"customer": f"cus-{n % 50}"},
                      payload={"n": n}) for n in range(count)]


def measure_direct(runs: list[FlowInput], threads: int) -> float:
    """Run flows in this process, ``threads`` at a time; wall-clock seconds."""
    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(three_steps, runs))
    return time.perf_counter() - began


def measure_queued(runs: list[FlowInput]) -> float:
    """Enqueue flows for the workers and wait for all; wall-clock seconds from the first
    enqueue to the last result."""
    began = time.perf_counter()
    handles = [start_flow(three_steps, run) for run in runs]
    for handle in handles:
        handle.get_result(polling_interval_sec=0.01)
    return time.perf_counter() - began


def figures(count: int, seconds: float, cpu: float | None = None) -> dict[str, float]:
    result = {"flows": count, "seconds": round(seconds, 3),
              "flows_per_s": round(count / seconds, 1),
              "steps_per_s": round(count * STEPS / seconds, 1)}
    if cpu is not None:
        result["cpu_ms_per_flow"] = round(cpu * 1000 / count, 2)
    return result


def bench_sqlite(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/bench.db"
        launch(EngineOptions(database_url=url, worker_concurrency=WORKER_CONCURRENCY,
                             polling_interval=POLLING))
        try:
            measure_direct(inputs(50, "warm"), DIRECT_THREADS)
            cpu = cpu_seconds()
            direct = measure_direct(inputs(count, "direct"), DIRECT_THREADS)
            direct_cpu = cpu_seconds() - cpu
            cpu = cpu_seconds()
            queued = measure_queued(inputs(count, "queued"))
            queued_cpu = cpu_seconds() - cpu
        finally:
            shutdown()
    return {"direct": {**figures(count, direct, direct_cpu), "threads": DIRECT_THREADS},
            "queued": {**figures(count, queued, queued_cpu),
                       "worker_concurrency": WORKER_CONCURRENCY, "polling_interval": POLLING},
            "peak_rss_mb": peak_rss_mb()}


def serve(url: str, executor: str) -> None:
    """A worker process for the PostgreSQL runs."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    launch(EngineOptions(database_url=url, executor_id=executor,
                         worker_concurrency=WORKER_CONCURRENCY, polling_interval=POLLING))
    print("ready", flush=True)
    ready_cpu = cpu_seconds()
    stop.wait()
    busy_cpu = cpu_seconds() - ready_cpu
    shutdown()
    print(json.dumps({"peak_rss_mb": peak_rss_mb(), "cpu_seconds": busy_cpu}), flush=True)


def scratch_database(admin_url: str) -> tuple[str, Any]:
    admin = create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT")
    name = f"accord_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def finished_window(engine: Any, prefix: str) -> tuple[int, float]:
    """(flows finished, seconds from the first dequeue to the last completion) for the
    workflows whose ids start with ``prefix``, from DBOS's own millisecond timestamps."""
    with engine.connect() as connection:
        row = connection.execute(text(
            "SELECT count(*), min(started_at_epoch_ms), max(updated_at) "
            "FROM dbos.workflow_status WHERE workflow_uuid LIKE :p AND status = 'SUCCESS'"),
            {"p": f"{prefix}%"}).one()
    count, first, last = int(row[0]), row[1], row[2]
    return count, ((last - first) / 1000 if count else 0.0)


def bench_postgres(admin_url: str, count: int, workers: int) -> dict[str, Any]:
    """Enqueue every flow first, then start the workers: the figure is the workers'
    throughput, from the first dequeue to the last completion."""
    url, drop = scratch_database(admin_url)
    prefix = f"bench-{workers}w-"
    launch(EngineOptions(database_url=url, listen=False, executor_id="bench-enqueuer"))
    try:
        for n, run in enumerate(inputs(count, "queued")):
            start_flow(three_steps, run, workflow_id=f"{prefix}{n:06d}")
    finally:
        shutdown()
    watcher = create_engine(make_url(url))
    processes = [subprocess.Popen([sys.executable, __file__, "serve", url, f"w{i}"],
                                  stdout=subprocess.PIPE, text=True)
                 for i in range(workers)]
    worker_rss: list[float] = []
    worker_cpu = 0.0
    pg_cpu = 0.0
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        pg_before = postgres_cpu_seconds()
        deadline = time.monotonic() + 600
        while finished_window(watcher, prefix)[0] < count and time.monotonic() < deadline:
            time.sleep(0.2)
        finished, seconds = finished_window(watcher, prefix)
        pg_cpu = postgres_cpu_seconds() - pg_before
        with watcher.connect() as connection:
            by_executor = {str(e): int(n) for e, n in connection.execute(text(
                "SELECT executor_id, count(*) FROM dbos.workflow_status "
                "WHERE workflow_uuid LIKE :p GROUP BY executor_id"), {"p": f"{prefix}%"})}
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
            lines = [line for line in output.splitlines() if line.startswith("{")]
            if lines:
                report = json.loads(lines[-1])
                worker_rss.append(report["peak_rss_mb"])
                worker_cpu += report["cpu_seconds"]
        watcher.dispose()
        drop()
    return {"queued": {**figures(finished, seconds, worker_cpu),
                       "postgres_cpu_ms_per_flow": round(pg_cpu * 1000 / max(finished, 1), 2)},
            "workers": workers,
            "worker_concurrency": WORKER_CONCURRENCY, "polling_interval": POLLING,
            "flows_by_worker": by_executor, "worker_peak_rss_mb": worker_rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flows", type=int, default=2000)
    parser.add_argument("--pg-url", default=os.environ.get(
        "ACCORD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()

    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
        "flow": f"{STEPS} steps, each a DBOS step checkpoint plus a timeline row",
    }
    if not args.skip_sqlite:
        results["sqlite_1_worker"] = bench_sqlite(args.flows)
        print(f"SQLite, 1 worker: {results['sqlite_1_worker']}", flush=True)
    if not args.skip_pg:
        one = bench_postgres(args.pg_url, args.flows, 1)
        print(f"PostgreSQL, 1 worker: {one}")
        two = bench_postgres(args.pg_url, args.flows, 2)
        print(f"PostgreSQL, 2 workers: {two}")
        results["postgres_1_worker"] = one
        results["postgres_2_workers"] = two
        results["postgres_2_over_1"] = round(
            two["queued"]["flows_per_s"] / one["queued"]["flows_per_s"], 2)
        print(f"PostgreSQL 2 workers / 1 worker: {results['postgres_2_over_1']}x")
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    else:
        main()
