"""accord's DBOS queues.

* ``accord-flows``: flows with no customer to order by; ``worker_concurrency`` per process.
* ``accord-schedules``: firings of the recurring jobs (:mod:`accord.engine.schedules`).
* ``accord-customer``: partitioned by canonical customer id with ``partition_concurrency=1``,
  so one customer's events run one at a time, in arrival order, while different customers
  run in parallel. DBOS dequeues a partition oldest first; on SQLite it stamps creation
  times in whole seconds and breaks ties by workflow id, which is why intake gives
  workflows ids that sort in arrival order (see :mod:`accord.engine.inbox`).
"""

from __future__ import annotations

from dbos import DBOS, Queue

FLOWS_QUEUE = "accord-flows"
CUSTOMER_QUEUE = "accord-customer"
SCHEDULES_QUEUE = "accord-schedules"
SCHEDULE_CONCURRENCY = 4
"""Scheduled jobs a worker runs at once (polls, reconciliation, sweeps)."""


def register_queues(worker_concurrency: int, polling_interval: float) -> dict[str, Queue]:
    """Register (or update) the queues; call after DBOS is launched."""
    return {
        FLOWS_QUEUE: DBOS.register_queue(
            FLOWS_QUEUE, worker_concurrency=worker_concurrency,
            polling_interval_sec=polling_interval, on_conflict="always_update"),
        CUSTOMER_QUEUE: DBOS.register_queue(
            CUSTOMER_QUEUE, worker_concurrency=worker_concurrency, partition_concurrency=1,
            polling_interval_sec=polling_interval, on_conflict="always_update"),
        SCHEDULES_QUEUE: DBOS.register_queue(
            SCHEDULES_QUEUE, worker_concurrency=SCHEDULE_CONCURRENCY,
            polling_interval_sec=max(polling_interval, 0.5), on_conflict="always_update"),
    }


def queue_for(partition_key: str | None) -> str:
    return CUSTOMER_QUEUE if partition_key else FLOWS_QUEUE


__all__ = ["CUSTOMER_QUEUE", "FLOWS_QUEUE", "SCHEDULES_QUEUE", "queue_for", "register_queues"]
