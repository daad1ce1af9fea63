"""A worker process for the crash test (run as a script).

    python month_worker.py <database_url> <config.json>

Starts the service through the product's start-up path on the sandboxes the config names,
then drains:
flows recovered from a previous (killed) run, the Salesforce opportunity poll and the Stripe
events poll, until nothing is left. ``ACCORD_TEST_CRASH_AFTER_POSTS=N`` makes the process
SIGKILL itself right after its N-th NetSuite invoice upsert returns, before the engine has
recorded the step.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from dbos import DBOS
from pydantic import SecretStr

from accord import bootstrap
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.engine import EngineOptions
from accord.flows.systems import FlowSettings
from accord.settings import AccordSettings
from accord.store import Database
from tests.flows.vendors import Vendors, opportunity_poller, poll, stripe_events_poller


def crash_after(posts: int) -> None:
    original = NetSuitePoster.post_invoice
    done = 0

    def post_then_die(self: NetSuitePoster, invoice: Any, **options: Any) -> str:
        nonlocal done
        result = original(self, invoice, **options)
        done += 1
        if done >= posts:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    NetSuitePoster.post_invoice = post_then_die  # type: ignore[method-assign]


def wait_for_running() -> int:
    running = DBOS.list_workflows(status=["PENDING", "ENQUEUED"], load_input=False,
                                  load_output=False)
    for status in running:
        with contextlib.suppress(Exception):  # a failed flow is in the exception queue
            DBOS.retrieve_workflow(status.workflow_id).get_result()
    return len(running)


def drain(database: Database, found: Vendors) -> None:
    while True:
        busy = wait_for_running()
        started = poll(database, "salesforce", "opportunity",
                       opportunity_poller(found.salesforce)).started
        started += poll(database, "stripe", "events", stripe_events_poller(found.stripe)).started
        if not started and not busy:
            return


def main(database_url: str, config_path: str) -> None:
    config = json.loads(Path(config_path).read_text())
    crash = os.environ.get("ACCORD_TEST_CRASH_AFTER_POSTS")
    if crash:
        crash_after(int(crash))
    deployment = bootstrap.prepare(
        AccordSettings(database_url=SecretStr(database_url)), config={},
        overrides=config["systems"],
        flow_settings=FlowSettings(wait_interval=0.2, wait_attempts=50))
    found = Vendors(deployment.systems)
    found.payment_method_for = dict(config["cards"]).get
    # the systems are installed before the launch: the engine resumes the killed run's
    # flows at once
    options = EngineOptions(database_url=database_url, executor_id="local",
                            worker_concurrency=8, log_level="CRITICAL")
    try:
        with bootstrap.running(deployment, options) as service:
            drain(service.runtime.database, found)
            print(json.dumps({"done": True}), flush=True)
    finally:
        deployment.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
