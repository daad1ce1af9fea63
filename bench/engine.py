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
from pathlib import Path
from typing import Any

from dbos import DBOS
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from accord.engine import EngineOptions, FlowInput, StepCall, flow, launch, shutdown, step
from accord.engine.flow import run_flow, start_flow

RESULTS = Path(__file__).parent / "results" / "engine.json"
STEPS = 3


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


def inputs(count: int, tag: str) -> list[FlowInput]:
    return [FlowInput(correlation_id=f"{tag}-{n}", keys={"customer": f"cus-{n % 50}"},
                      payload={"n": n}) for n in range(count)]


def measure(runs: list[FlowInput], start: Any) -> float:
    began = time.perf_counter()
    handles = [start(three_steps, run) for run in runs]
    for handle in handles:
        handle.get_result()
    return time.perf_counter() - began


def figures(count: int, seconds: float) -> dict[str, float]:
    return {"flows": count, "seconds": round(seconds, 3),
            "flows_per_s": round(count / seconds, 1),
            "steps_per_s": round(count * STEPS / seconds, 1)}


def bench_sqlite(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/bench.db"
        launch(EngineOptions(database_url=url, worker_concurrency=16, polling_interval=0.01))
        try:
            measure(inputs(50, "warm"), run_flow)
            direct = measure(inputs(count, "direct"), run_flow)
            queued = measure(inputs(count, "queued"), start_flow)
        finally:
            shutdown()
    return {"direct": figures(count, direct), "queued": figures(count, queued),
            "peak_rss_mb": peak_rss_mb()}


def serve(url: str, executor: str) -> None:
    """A worker process for the PostgreSQL runs."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    launch(EngineOptions(database_url=url, executor_id=executor, worker_concurrency=16,
                         polling_interval=0.01))
    print("ready", flush=True)
    stop.wait()
    shutdown()
    print(json.dumps({"peak_rss_mb": peak_rss_mb()}), flush=True)


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


def bench_postgres(admin_url: str, count: int, workers: int) -> dict[str, Any]:
    url, drop = scratch_database(admin_url)
    launch(EngineOptions(database_url=url, listen=False, executor_id="bench-enqueuer"))
    processes = [subprocess.Popen([sys.executable, __file__, "serve", url, f"w{i}"],
                                  stdout=subprocess.PIPE, text=True)
                 for i in range(workers)]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        measure(inputs(50, "warm"), start_flow)
        seconds = measure(inputs(count, "queued"), start_flow)
        by_executor: dict[str, int] = {}
        for status in DBOS.list_workflows(name="bench.three_steps", load_input=False,
                                          load_output=False):
            by_executor[status.executor_id or "?"] = by_executor.get(
                status.executor_id or "?", 0) + 1
    finally:
        shutdown()
        worker_rss = []
        for process in processes:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
            lines = [line for line in output.splitlines() if line.startswith("{")]
            if lines:
                worker_rss.append(json.loads(lines[-1])["peak_rss_mb"])
        drop()
    return {"queued": figures(count, seconds), "workers": workers,
            "flows_by_worker": by_executor, "worker_peak_rss_mb": worker_rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flows", type=int, default=2000)
    parser.add_argument("--pg-url", default=os.environ.get(
        "ACCORD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()

    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "flow": f"{STEPS} steps, each a DBOS step checkpoint plus a timeline row",
        "sqlite_1_worker": bench_sqlite(args.flows),
    }
    print(f"SQLite, 1 worker: {results['sqlite_1_worker']}")
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
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    else:
        main()
