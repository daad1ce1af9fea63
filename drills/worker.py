"""A drill worker: pump the inbox and run posting flows until SIGTERM (or SIGKILL).

    python drills/worker.py <database_url> <executor id> [<pid file>]

With a pid file, the process is a small supervisor, as systemd or Kubernetes would be: it
imports accord once, then forks the worker and writes the worker's pid to the file; when the
worker dies (a drill SIGKILLs it) it forks a fresh one under the same executor id at once.
Each forked worker starts with no engine, no connections and no threads, launches DBOS and
recovers its unfinished flows exactly as a freshly started process does; what it skips is
re-importing Python modules, which on a loaded 2-core machine took most of a restart's time.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import posting_flow  # registers the drill flow before launch

from accord.engine import EngineOptions, launch, shutdown
from accord.engine.retry import RetryBudget
from accord.resilience import RetryPolicy


def work(database_url: str, executor: str) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    launch(EngineOptions(
        database_url=database_url, executor_id=executor, worker_concurrency=10, pool_size=5,
        pump_interval=0.2, limits=posting_flow.CONFIG.engine_limits(),
        retry=RetryBudget(RetryPolicy(max_attempts=200, base_delay=0.5, max_delay=8.0),
                          max_total_wait=900.0)))
    print(f"ready {executor} pid {os.getpid()}", flush=True)
    try:
        stop.wait()
    finally:
        shutdown(drain_seconds=5)


def supervise(database_url: str, executor: str, pid_file: Path) -> None:
    stopping = False
    child = 0

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True
        if child:
            os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        child = os.fork()
        if child == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            try:
                work(database_url, executor)
            finally:
                os._exit(0)
        tmp = pid_file.with_suffix(".tmp")
        tmp.write_text(str(child))
        tmp.replace(pid_file)
        while True:
            try:
                os.waitpid(child, 0)
                break
            except ChildProcessError:
                break
            except InterruptedError:
                continue


def main() -> None:
    database_url, executor = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 3:
        supervise(database_url, executor, Path(sys.argv[3]))
    else:
        work(database_url, executor)


if __name__ == "__main__":
    main()
