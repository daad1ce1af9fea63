"""The workers list (API and console) on leases a launched engine wrote and adopted."""

from __future__ import annotations

import time

from api_support import serve_api

from accord.api.tokens import Access
from accord.engine import EngineOptions, launch, shutdown
from accord.engine.leases import LeaseOptions, register
from accord.store import Database, upgrade


def test_workers_listed_with_their_leases_and_what_was_taken_over(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    upgrade(database.engine)
    # a worker gone long ago: its last lease, as it wrote it, ran out ten minutes ago
    register(database, "worker-gone", time.time() - 600, 30, host="old-host", pid=4242)
    database.dispose()
    # a live worker: its first heartbeat finds the expired lease and adopts it
    launch(EngineOptions(database_url=sqlite_url, executor_id="worker-a",
                         lease=LeaseOptions(seconds=30, heartbeat=0.05)))
    try:
        with serve_api(sqlite_url) as api, api.client(Access.VIEWER) as client:
            deadline = time.monotonic() + 30
            while True:
                listed = {w["executor_id"]: w for w in client.get("/v1/workers").json()}
                if listed.get("worker-gone", {}).get("adopted_by") or \
                        time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            anonymous = api.client(None).get("/v1/workers")
            with api.client(None) as browser:  # the console, signed in as a browser is
                signed_in = browser.post("/console/login",
                                         data={"token": api.tokens[Access.VIEWER]},
                                         headers={"Origin": api.url})
                page = browser.get("/console/workers")
    finally:
        shutdown()

    assert listed["worker-gone"]["state"] == "taken over"
    assert listed["worker-gone"]["adopted_by"] == "worker-a"
    assert (listed["worker-gone"]["host"], listed["worker-gone"]["pid"]) == ("old-host", 4242)
    assert listed["worker-a"]["state"] == "live"
    assert [(t["dead_executor"], t["flows"]) for t in listed["worker-a"]["took_over"]] == [
        ("worker-gone", 0)]
    assert signed_in.status_code == 303  # signed in: on to the overview
    assert page.status_code == 200
    assert 'data-worker="worker-gone" data-state="taken over"' in page.text
    assert 'data-took-over="worker-gone"' in page.text
    assert anonymous.status_code == 401
