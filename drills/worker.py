"""A drill worker process: pump the inbox and run posting flows until SIGTERM (or SIGKILL).

    python drills/worker.py <database_url> <executor id>
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import posting_flow  # noqa: F401 - registers the drill flow before launch

from accord.engine import EngineOptions, launch, shutdown
from accord.engine.retry import RetryBudget
from accord.resilience import LimitsProfile, RetryPolicy


def main() -> None:
    database_url, executor = sys.argv[1], sys.argv[2]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    launch(EngineOptions(
        database_url=database_url, executor_id=executor, worker_concurrency=10, pool_size=5,
        pump_interval=0.2, limits={"netsuite": LimitsProfile(max_concurrency=5)},
        retry=RetryBudget(RetryPolicy(max_attempts=40, base_delay=0.5, max_delay=8.0),
                          max_total_wait=900.0)))
    print("ready", flush=True)
    try:
        stop.wait()
    finally:
        shutdown(drain_seconds=5)


if __name__ == "__main__":
    main()
