"""Worker leases and takeover: a lost worker's pending flows are adopted by a survivor.

Every worker (``accord worker``, ``accord serve`` with the engine) holds a row in
``worker_lease`` keyed by its executor id, renewed by a heartbeat thread
(:class:`LeaseKeeper`). A worker that stops cleanly lets its lease expire at once; one that
dies, or is cut off from the database, stops renewing and its lease runs out.

On each heartbeat a worker also looks for expired leases and **claims** them in one
statement (``UPDATE ... WHERE expires_at < now AND adopted_by IS NULL RETURNING``): when
several survivors notice together, the database gives each expired lease to exactly one.
The claimant then hands the dead executor's pending flows to DBOS's own recovery
(``DBOS._recover_pending_workflows``), which moves each ``PENDING`` workflow of that
executor back to its queue; the queue's atomic ``ENQUEUED -> PENDING`` dequeue admits one
runner, and the re-enqueue matches only rows still owned by the dead executor, so even a
duplicate recovery is a no-op. What was taken over from whom is written to
``worker_takeover``.

A *zombie* (a worker whose lease was claimed while it still ran, e.g. after a network
partition or a long pause) is fenced by DBOS: its late step results are refused because the
workflow's ownership token changed when the adopter dequeued it, and the adopter's
checkpoint of that step is already written. Its vendor calls carry the same idempotency
keys as the adopter's (:func:`accord.engine.flow.idempotency_key`), so the vendor applies
one effect. When its heartbeat comes back and finds the lease taken, it logs it and starts
a new lease for the work it runs from then on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dbos import DBOS
from sqlalchemy import Engine, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from accord.engine.tables import worker_lease, worker_takeover
from accord.store import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeaseOptions:
    """Lease length and heartbeat interval, from ``[workers]`` in ``accord.toml``. A lease
    must outlast a few heartbeats (and the clock difference between hosts)."""

    seconds: float = 30.0
    heartbeat: float = 10.0

    def __post_init__(self) -> None:
        if self.heartbeat <= 0 or self.seconds < 2 * self.heartbeat:
            raise ValueError("[workers] lease_seconds must be at least twice "
                             "heartbeat_seconds, and both positive")


@dataclass(frozen=True)
class Takeover:
    """One adopted lease: the dead worker, its adopter and the flows re-enqueued."""

    dead_executor: str
    adopter: str
    taken_at: float
    workflow_ids: tuple[str, ...]


@dataclass(frozen=True)
class WorkerView:
    """A worker as ``accord workers`` and the console show it."""

    executor_id: str
    host: str
    pid: int
    started_at: float
    heartbeat_at: float
    expires_at: float
    adopted_by: str | None
    adopted_at: float | None
    running: int
    took_over: tuple[Takeover, ...]

    def state(self, now: float) -> str:
        if self.adopted_by is not None:
            return "taken over"
        return "live" if self.expires_at >= now else "expired"


# -- the lease row ---------------------------------------------------------------------------
def register(database: Database, executor_id: str, now: float, seconds: float,
             host: str | None = None, pid: int | None = None) -> None:
    """Start this life of ``executor_id``'s lease (a restart under the same id starts a new
    life: any earlier adoption is history in ``worker_takeover``)."""
    values: dict[str, Any] = {"host": host or socket.gethostname(), "pid": pid or os.getpid(),
                              "started_at": now, "heartbeat_at": now,
                              "expires_at": now + seconds, "adopted_by": None,
                              "adopted_at": None}
    with database.engine.begin() as connection:
        found = connection.execute(update(worker_lease).where(
            worker_lease.c.executor_id == executor_id).values(**values)).rowcount
        if not found:
            connection.execute(insert(worker_lease).values(executor_id=executor_id, **values))


def renew(database: Database, executor_id: str, now: float, seconds: float) -> bool:
    """Extend the lease; False when it was taken over (this worker is a zombie)."""
    with database.engine.begin() as connection:
        return bool(connection.execute(update(worker_lease).where(
            worker_lease.c.executor_id == executor_id,
            worker_lease.c.adopted_by.is_(None),
        ).values(heartbeat_at=now, expires_at=now + seconds)).rowcount)


def release(database: Database, executor_id: str, now: float) -> None:
    """A clean stop: the lease expires now, so a survivor adopts whatever is left pending."""
    with database.engine.begin() as connection:
        connection.execute(update(worker_lease).where(
            worker_lease.c.executor_id == executor_id,
            worker_lease.c.adopted_by.is_(None),
        ).values(expires_at=now))


def claim_expired(database: Database, adopter: str, now: float) -> list[str]:
    """Claim every expired, unclaimed lease but ``adopter``'s own, atomically: a lease goes
    to exactly one claimant however many survivors ask at once."""
    with database.engine.begin() as connection:
        return [str(row) for row in connection.execute(update(worker_lease).where(
            worker_lease.c.expires_at < now,
            worker_lease.c.adopted_by.is_(None),
            worker_lease.c.executor_id != adopter,
        ).values(adopted_by=adopter, adopted_at=now).returning(
            worker_lease.c.executor_id)).scalars()]


# -- takeover --------------------------------------------------------------------------------
def _executors_behind(database: Database, dead: str) -> list[str]:
    """``dead`` and the executors whose leases it had claimed: if it died between claiming
    and recovering, their flows are still pending under their own ids. Re-recovering one
    already handed on matches nothing."""
    with database.engine.connect() as connection:
        claimed = connection.execute(select(worker_lease.c.executor_id).where(
            worker_lease.c.adopted_by == dead)).scalars().all()
    return [dead, *(str(e) for e in claimed if e != dead)]


def adopt(database: Database, adopter: str, dead: str, now: float) -> Takeover:
    """Hand ``dead``'s pending flows to DBOS recovery (this process's DBOS must be
    launched) and record the takeover. Call only after :func:`claim_expired` gave ``dead``
    to ``adopter``."""
    handles = DBOS._recover_pending_workflows(_executors_behind(database, dead))
    ids = tuple(sorted(handle.get_workflow_id() for handle in handles))
    with database.engine.begin() as connection:
        connection.execute(insert(worker_takeover).values(
            dead_executor=dead, adopter=adopter, taken_at=now, flows=len(ids),
            workflow_ids=list(ids)))
    if ids:
        log.warning("worker %s took over %d pending flows of %s, whose lease expired",
                    adopter, len(ids), dead)
    return Takeover(dead, adopter, now, ids)


def take_over(database: Database, adopter: str, now: float) -> list[Takeover]:
    """Claim the expired leases and adopt each one's pending flows."""
    return [adopt(database, adopter, dead, now)
            for dead in claim_expired(database, adopter, now)]


class LeaseKeeper:
    """The heartbeat thread of one worker: renews its lease, adopts expired ones."""

    def __init__(self, database: Database, executor_id: str, options: LeaseOptions,
                 clock: Callable[[], float] = time.time) -> None:
        self.database = database
        self.executor_id = executor_id
        self.options = options
        self.clock = clock
        self._stop = threading.Event()
        self._adopting = threading.Event()
        self._adopting.set()
        self._thread = threading.Thread(target=self._run, name="accord-lease", daemon=True)

    def start(self) -> LeaseKeeper:
        register(self.database, self.executor_id, self.clock(), self.options.seconds)
        self._thread.start()
        return self

    def beat(self) -> None:
        """One heartbeat: renew (or start a new lease if this one was taken over), then
        adopt what expired."""
        now = self.clock()
        if not renew(self.database, self.executor_id, now, self.options.seconds):
            log.error("the lease of worker %s was taken over while it still ran (it lost "
                      "the database or paused longer than %.0f s): its flows in flight "
                      "belong to the adopter now; starting a new lease",
                      self.executor_id, self.options.seconds)
            # from now, not from when this beat began: the renewal may have waited out the
            # partition, and a lease dated from before it would expire at once and be taken
            # over again while this worker runs its new flows (seen in drills/scale.py)
            register(self.database, self.executor_id, self.clock(), self.options.seconds)
        if self._adopting.is_set():
            take_over(self.database, self.executor_id, now)

    def _run(self) -> None:
        while True:
            try:
                self.beat()
            except SQLAlchemyError as exc:  # the database is unreachable: the lease runs out
                log.warning("worker %s could not renew its lease: %s", self.executor_id,
                            type(exc).__name__)
            except Exception:
                log.exception("worker %s: lease heartbeat failed", self.executor_id)
            if self._stop.wait(self.options.heartbeat):
                return

    def stop_adopting(self) -> None:
        """Keep renewing (running flows are draining) but adopt nothing more."""
        self._adopting.clear()

    def stop(self) -> None:
        """Stop the heartbeat and release the lease (a clean stop)."""
        self._adopting.clear()
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.options.heartbeat + 5)
        with contextlib.suppress(SQLAlchemyError):  # else it expires on its own
            release(self.database, self.executor_id, self.clock())


# -- reading ---------------------------------------------------------------------------------
def _running_by_executor(engine: Engine) -> dict[str, int]:
    table = "dbos.workflow_status" if engine.dialect.name == "postgresql" else \
        "workflow_status"
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                f"SELECT executor_id, COUNT(*) FROM {table} "  # noqa: S608
                "WHERE status = 'PENDING' GROUP BY executor_id")).all()
    except SQLAlchemyError:
        return {}  # no engine has run on this database yet
    return {str(executor): int(count) for executor, count in rows}


def list_workers(database: Database) -> list[WorkerView]:
    """Every worker with a lease row, what it runs now (pending flows under its executor
    id) and what it took over from whom, most recent first."""
    running = _running_by_executor(database.engine)
    with database.engine.connect() as connection:
        leases = connection.execute(select(worker_lease).order_by(
            worker_lease.c.heartbeat_at.desc())).all()
        takeovers = connection.execute(select(worker_takeover).order_by(
            worker_takeover.c.id)).all()
    by_adopter: dict[str, list[Takeover]] = {}
    for row in takeovers:
        by_adopter.setdefault(row.adopter, []).append(Takeover(
            row.dead_executor, row.adopter, row.taken_at, tuple(row.workflow_ids or ())))
    return [WorkerView(row.executor_id, row.host, row.pid, row.started_at, row.heartbeat_at,
                       row.expires_at, row.adopted_by, row.adopted_at,
                       running.get(row.executor_id, 0),
                       tuple(by_adopter.get(row.executor_id, ())))
            for row in leases]


__all__ = ["LeaseKeeper", "LeaseOptions", "Takeover", "WorkerView", "adopt", "claim_expired",
           "list_workers", "register", "release", "renew", "take_over"]
