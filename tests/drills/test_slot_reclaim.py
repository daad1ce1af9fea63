"""A worker SIGKILLed while holding a NetSuite concurrency slot does not shrink the gate for
the lease: a waiter on the same machine frees slots whose holder process is gone."""

from __future__ import annotations

import signal
import subprocess
import sys

from accord.engine.limits import DbSlotGate
from accord.store import Database, upgrade

HOLD = """
import sys, time
from accord.engine.limits import DbSlotGate, _holder_id
from accord.store import Database
gate = DbSlotGate(Database(sys.argv[1]).engine, "netsuite", 1)
assert gate.try_acquire(_holder_id()) is not None
print("holding", flush=True)
time.sleep(600)
"""


def test_slot_of_a_killed_holder_is_reclaimed(database_url: str) -> None:
    database = Database(database_url)
    upgrade(database.engine)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, database_url],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        gate = DbSlotGate(database.engine, "netsuite", 1)
        assert gate.try_acquire("someone-else") is None  # the live holder keeps its slot
        assert gate.reclaim_dead() == 0
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        assert gate.try_acquire("someone-else") is None  # the lease has not run out
        assert gate.reclaim_dead() == 1
        assert gate.acquire("someone-else") == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        database.dispose()
