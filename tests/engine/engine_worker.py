"""A worker process for the crash and multi-worker tests (run as a script).

    python engine_worker.py deliver <database_url> <count> [executor]
        launch, deliver <count> inbound events (duplicates of earlier runs are no-ops),
        wait for every flow, print a JSON summary.
    python engine_worker.py serve <database_url> <executor>
        launch and run queued flows until SIGTERM.

``ACCORD_TEST_EFFECTS_URL`` points at the effects server; ``ACCORD_TEST_CRASH_AT`` names
the step after whose HTTP call the process SIGKILLs itself; ``ACCORD_TEST_LIMIT`` sets the
erp system's global concurrency limit; ``ACCORD_TEST_CONCURRENCY`` the flows run at once;
``ACCORD_TEST_LEASE`` (``seconds,heartbeat``) gives the worker a lease.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading

import engine_support_flows
from dbos import DBOS

from accord.engine import EngineOptions, launch, shutdown
from accord.engine.inbox import Delivery, deliver
from accord.engine.leases import LeaseOptions
from accord.resilience import LimitsProfile


def options(database_url: str, executor: str) -> EngineOptions:
    limit = os.environ.get("ACCORD_TEST_LIMIT")
    limits = {"erp": LimitsProfile(max_concurrency=int(limit))} if limit else {}
    concurrency = int(os.environ.get("ACCORD_TEST_CONCURRENCY", "8"))
    lease = os.environ.get("ACCORD_TEST_LEASE")
    return EngineOptions(database_url=database_url, executor_id=executor, limits=limits,
                         worker_concurrency=concurrency,
                         lease=LeaseOptions(*map(float, lease.split(","))) if lease else None)


def deliver_all(database_url: str, count: int, executor: str) -> None:
    launch(options(database_url, executor))
    try:
        intakes = [deliver(engine_support_flows.quote_to_cash, Delivery(
            system="crm", external_event_id=f"evt-{n}", event_type="opportunity.won",
            keys={"opportunity": f"opp-{n}", "customer": f"cus-{n}"}))
            for n in range(count)]
        results = {i.workflow_id: DBOS.retrieve_workflow(i.workflow_id).get_result()
                   for i in intakes}
        print(json.dumps({"workflows": sorted(results), "duplicates":
                          sum(i.duplicate for i in intakes)}), flush=True)
    finally:
        shutdown()


def serve(database_url: str, executor: str) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    launch(options(database_url, executor))
    print("ready", flush=True)
    try:
        stop.wait()
    finally:
        shutdown()


if __name__ == "__main__":
    command, url = sys.argv[1], sys.argv[2]
    if command == "deliver":
        deliver_all(url, int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "local")
    else:
        serve(url, sys.argv[3])
