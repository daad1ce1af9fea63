"""``accord workers``: the workers sharing this database, their leases, what each runs and
what each took over from whom."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from rich.table import Table

from accord.cli.console import out
from accord.engine.leases import WorkerView, list_workers
from accord.settings import load_settings
from accord.store import Database, upgrade

_STATE_STYLE = {"live": "green", "expired": "yellow", "taken over": "red"}


def _when(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _lease(worker: WorkerView, now: float) -> str:
    left = worker.expires_at - now
    return f"{left:.0f} s left" if left >= 0 else f"expired {-left:.0f} s ago"


def _took_over(worker: WorkerView) -> str:
    return "\n".join(f"{t.dead_executor}: {len(t.workflow_ids)} flows at {_when(t.taken_at)}"
                     for t in worker.took_over)


def workers() -> None:
    """List workers: lease, heartbeat, flows running, what was taken over from whom."""
    database = Database(load_settings().effective_database_url)
    try:
        upgrade(database.engine)
        found = list_workers(database)
    finally:
        database.dispose()
    now = time.time()
    table = Table(title=f"workers ({len(found)})")
    for column in ("worker", "host", "pid", "state", "started", "heartbeat", "lease",
                   "running", "taken over by", "took over"):
        table.add_column(column)
    for w in found:
        state = w.state(now)
        table.add_row(w.executor_id, w.host, str(w.pid),
                      f"[{_STATE_STYLE[state]}]{state}[/]", _when(w.started_at),
                      _when(w.heartbeat_at), _lease(w, now) if w.adopted_by is None else "",
                      str(w.running), w.adopted_by or "", _took_over(w))
    out.print(table)


__all__ = ["workers"]
