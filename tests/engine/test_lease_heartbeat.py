"""A worker's heartbeat against the database, with an injected clock: a zombie's new lease
is dated from when the database can hear it again, not from when its heartbeat began."""

from __future__ import annotations

from collections.abc import Callable

from accord.engine.leases import LeaseKeeper, LeaseOptions, claim_expired, list_workers, register
from accord.store import Database
from accord.store.migrate import upgrade

OPTIONS = LeaseOptions(seconds=6, heartbeat=2)


def clock_at(*readings: float, then: float) -> Callable[[], float]:
    found = iter(readings)
    return lambda: next(found, then)


def test_a_zombie_back_from_a_partition_is_not_taken_over_again(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    try:
        upgrade(database.engine)
        register(database, "worker-a", 100.0, OPTIONS.seconds)
        register(database, "worker-b", 100.0, OPTIONS.seconds)
        # worker-a is cut off from the database; its lease expires and worker-b claims it
        assert claim_expired(database, "worker-b", 107.0) == ["worker-a"]
        # worker-a's heartbeat began at 104, inside the partition; its statements reach the
        # database when the link comes back, at 130, and find its lease taken
        keeper = LeaseKeeper(database, "worker-a", OPTIONS, clock=clock_at(104.0, then=130.0))
        keeper.stop_adopting()
        keeper.beat()
        register(database, "worker-b", 130.0, OPTIONS.seconds)
        # its new lease runs from 130: a survivor's next heartbeat finds nothing to claim
        assert claim_expired(database, "worker-b", 131.0) == []
        views = {view.executor_id: view for view in list_workers(database)}
        assert views["worker-a"].state(131.0) == "live"
        assert views["worker-a"].expires_at == 130.0 + OPTIONS.seconds
    finally:
        database.dispose()
