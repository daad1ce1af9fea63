"""An accord worker process for the peers bench: pump the inbox and run the posting flow
until SIGTERM (or SIGKILL).

    python bench/peers/accord_worker.py <database_url> <executor id>

NetSuite's concurrency limit (5) is kept by the NetSuite client's in-process gate, which is
enough for one worker process. The engine's cross-process gate (by default the connector's
published limit; ``limits=`` with an empty profile opts out) is left out, as when this bench
was first measured: then a worker SIGKILLed while holding slots kept them until their lease
(300 s) ran out, which stalled every NetSuite call in a kill storm (see bench/README.md).
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import accord_flow  # noqa: F401 - registers the bench flow before launch

from accord.engine import EngineOptions, launch, shutdown
from accord.engine.retry import RetryBudget
from accord.resilience import LimitsProfile, RetryPolicy


def main() -> None:
    database_url, executor = sys.argv[1], sys.argv[2]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    launch(EngineOptions(
        database_url=database_url, executor_id=executor, worker_concurrency=12, pool_size=8,
        pump_interval=0.05, limits={"netsuite": LimitsProfile()},  # the client's gate only
        retry=RetryBudget(RetryPolicy(max_attempts=40, base_delay=0.5, max_delay=8.0),
                          max_total_wait=900.0)))
    print("ready", flush=True)
    try:
        stop.wait()
    finally:
        shutdown(drain_seconds=5)


if __name__ == "__main__":
    main()
