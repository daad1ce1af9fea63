"""Workers for the lease tests (run as a script).

    python lease_worker.py race <database_url> <executor> <go_file>
        launch (no heartbeat of its own), print "ready", wait for <go_file>, then two
        threads call the takeover at the same moment; print the takeovers as JSON, wait
        until every test.quote_to_cash flow succeeded, stop.
    python lease_worker.py hold <database_url> <executor> <email>
        launch with a lease (``ACCORD_TEST_LEASE``), start one test.vendor_customer flow,
        print its workflow id, run until SIGTERM.
    python lease_worker.py adopt <database_url> <executor> <workflow_id>
        launch with a lease, wait for the flow's result (after this worker's heartbeat
        took over the flow's dead worker), print it as JSON, stop.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import engine_support_flows  # noqa: F401 - registers test.quote_to_cash
import lease_support
from dbos import DBOS
from engine_worker import options
from sqlalchemy import text

from accord.engine import FlowInput, current, launch, shutdown, start_flow
from accord.engine.leases import register, take_over


def _unfinished(name: str) -> int:
    with current().database.engine.connect() as connection:
        return int(connection.execute(text(
            "SELECT count(*) FROM dbos.workflow_status WHERE name = :n "
            "AND status <> 'SUCCESS'"), {"n": name}).scalar_one())


def race(url: str, executor: str, go_file: str) -> None:
    os.environ.pop("ACCORD_TEST_LEASE", None)  # the takeover below is the one under test
    launch(options(url, executor))
    try:
        register(current().database, executor, time.time(), 600)
        print("ready", flush=True)
        while not Path(go_file).exists():
            time.sleep(0.002)
        barrier = threading.Barrier(2)
        found: list[Any] = []

        def claim() -> None:
            barrier.wait()
            found.extend(take_over(current().database, executor, time.time()))

        threads = [threading.Thread(target=claim) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(json.dumps([{"dead": t.dead_executor, "adopter": t.adopter,
                           "workflows": list(t.workflow_ids)} for t in found]), flush=True)
        while _unfinished("test.quote_to_cash"):
            time.sleep(0.05)
    finally:
        shutdown()


def hold(url: str, executor: str, email: str) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    launch(options(url, executor))
    try:
        handle = start_flow(lease_support.vendor_customer, FlowInput(
            correlation_id=f"crm:{email}", payload={"email": email, "name": "Zed Corp"}))
        print(handle.get_workflow_id(), flush=True)
        stop.wait()
    finally:
        shutdown()


def adopt(url: str, executor: str, workflow_id: str) -> None:
    launch(options(url, executor))
    try:
        result = DBOS.retrieve_workflow(workflow_id).get_result(polling_interval_sec=0.05)
        print(json.dumps(result), flush=True)
    finally:
        shutdown()


if __name__ == "__main__":
    command, database_url, name, arg = sys.argv[1:5]
    {"race": race, "hold": hold, "adopt": adopt}[command](database_url, name, arg)
