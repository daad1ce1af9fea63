"""Cross-process limits backed by the shared database.

:class:`DbSlotGate` implements the :class:`~accord.resilience.SlotGate` protocol: at most
``limit`` holders of a named gate at once, across every process that shares the database.
A slot is a row in ``limit_slot`` claimed with one conditional ``UPDATE`` (free, or its lease
expired), so a process killed while holding a slot loses it when the lease runs out - or
sooner on its own machine: a waiter frees slots whose holder is a process of this host that
no longer runs (a SIGKILLed worker), so a crash does not shrink the gate for the lease.

:class:`DbRateLimiter` paces calls across processes: each call atomically reserves the next
start time in ``limit_rate`` and sleeps until then.

:class:`SystemLimiter` puts both in front of calls to one system, as configured by a
:class:`~accord.resilience.LimitsProfile`.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, case, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from accord.engine.tables import limit_rate, limit_slot
from accord.resilience import LimitsProfile
from accord.store.transient import is_disconnect, retry_on_disconnect

log = logging.getLogger(__name__)


def _holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _dead_here(holder: str) -> bool:
    """Whether ``holder`` names a process of this host that no longer exists."""
    host, _, rest = holder.partition(":")
    pid = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists, owned by someone else
    return False


class DbSlotGate:
    """At most ``limit`` concurrent holders of gate ``name`` across processes."""

    def __init__(self, engine: Engine, name: str, limit: int, *, lease_seconds: float = 300.0,
                 poll_interval: float = 0.005, max_poll_interval: float = 0.1,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if limit < 1:
            raise ValueError("limit: must be at least 1")
        self.engine = engine
        self.name = name
        self.limit = limit
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self._clock = clock
        self._sleep = sleep
        self._rows_ready = False
        self._reclaimed_at = 0.0

    def _ensure_rows(self) -> None:
        if self._rows_ready:
            return
        with self.engine.connect() as connection:
            existing = set(connection.execute(
                select(limit_slot.c.slot).where(limit_slot.c.gate == self.name)).scalars())
        for slot in range(self.limit):
            if slot in existing:
                continue
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(limit_slot).values(gate=self.name, slot=slot))
            except IntegrityError:
                pass  # another process created it first
        self._rows_ready = True

    def try_acquire(self, holder: str) -> int | None:
        """Claim a free (or expired) slot for ``holder``; None when all are taken.

        One read finds the free slots, then one conditional ``UPDATE`` per candidate claims
        it (in random order, so that processes spread over the slots); when the gate is full
        that is a single read instead of one write per slot."""
        self._ensure_rows()
        now = self._clock()
        free = or_(limit_slot.c.holder.is_(None), limit_slot.c.expires_at < now)
        with self.engine.connect() as connection:
            slots: list[int] = list(connection.execute(select(limit_slot.c.slot).where(
                limit_slot.c.gate == self.name, limit_slot.c.slot < self.limit,
                free)).scalars())
        random.shuffle(slots)
        for slot in slots:
            with self.engine.begin() as connection:
                result = connection.execute(
                    update(limit_slot)
                    .where(limit_slot.c.gate == self.name, limit_slot.c.slot == slot, free)
                    .values(holder=holder, expires_at=now + self.lease_seconds))
                if result.rowcount == 1:
                    return slot
        return None

    @retry_on_disconnect
    def release(self, slot: int, holder: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(limit_slot)
                .where(limit_slot.c.gate == self.name, limit_slot.c.slot == slot,
                       limit_slot.c.holder == holder)
                .values(holder=None, expires_at=None))

    def reclaim_dead(self) -> int:
        """Free the slots held by processes of this host that no longer run; returns how many."""
        with self.engine.connect() as connection:
            held = connection.execute(select(limit_slot.c.slot, limit_slot.c.holder).where(
                limit_slot.c.gate == self.name, limit_slot.c.holder.is_not(None))).all()
        freed = 0
        for slot, holder in held:
            if not _dead_here(str(holder)):
                continue
            with self.engine.begin() as connection:
                freed += connection.execute(
                    update(limit_slot)
                    .where(limit_slot.c.gate == self.name, limit_slot.c.slot == slot,
                           limit_slot.c.holder == holder)
                    .values(holder=None, expires_at=None)).rowcount
        return freed

    def acquire(self, holder: str) -> int:
        """Block until a slot is claimed; returns its number."""
        wait = self.poll_interval
        while True:
            slot = self.try_acquire(holder)
            if slot is not None:
                return slot
            if self._clock() - self._reclaimed_at >= 1.0:
                self._reclaimed_at = self._clock()
                if self.reclaim_dead():
                    continue
            self._sleep(random.uniform(0, wait))
            wait = min(self.max_poll_interval, wait * 2)

    @contextmanager
    def slot(self) -> Iterator[None]:
        holder = _holder_id()
        number = self.acquire(holder)
        try:
            yield
        finally:
            try:
                self.release(number, holder)
            except Exception as error:  # the call itself is done: never undo it for this
                if not is_disconnect(error):
                    raise
                log.warning("gate %s: slot %d not released (database unavailable); its "
                            "lease frees it in %.0f s", self.name, number, self.lease_seconds)

    def holders(self) -> list[str]:
        """Current unexpired holders (for diagnostics)."""
        now = self._clock()
        with self.engine.connect() as connection:
            return [str(h) for h in connection.execute(
                select(limit_slot.c.holder).where(
                    limit_slot.c.gate == self.name, limit_slot.c.holder.is_not(None),
                    limit_slot.c.expires_at >= now)).scalars()]


class DbRateLimiter:
    """At most ``rate`` call starts per second for gate ``name`` across processes."""

    def __init__(self, engine: Engine, name: str, rate: float, *,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate: must be positive")
        self.engine = engine
        self.name = name
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._row_ready = False

    def _ensure_row(self) -> None:
        if self._row_ready:
            return
        try:
            with self.engine.begin() as connection:
                exists = connection.execute(
                    select(limit_rate.c.gate).where(limit_rate.c.gate == self.name)).first()
                if exists is None:
                    connection.execute(insert(limit_rate).values(gate=self.name, next_at=0.0))
        except IntegrityError:
            pass
        self._row_ready = True

    def reserve(self) -> float:
        """Reserve the next start time; return the seconds to wait for it (not slept)."""
        self._ensure_row()
        now = self._clock()
        with self.engine.begin() as connection:
            next_at = connection.execute(
                update(limit_rate)
                .where(limit_rate.c.gate == self.name)
                .values(next_at=case((limit_rate.c.next_at > now, limit_rate.c.next_at),
                                     else_=now) + self.interval)
                .returning(limit_rate.c.next_at)).scalar_one()
        start = float(next_at) - self.interval
        return max(0.0, start - now)

    def acquire(self) -> float:
        """Take the next start time, sleeping until it; return the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    def hold_off(self, seconds: float) -> None:
        """The system refused a call for its rate: no process starts another call to it for
        ``seconds`` (the refusal's ``Retry-After``), so that a window the system counts in
        empties before the next call instead of each caller finding out with its own 429."""
        self._ensure_row()
        until = self._clock() + max(seconds, self.interval)
        with self.engine.begin() as connection:
            connection.execute(
                update(limit_rate)
                .where(limit_rate.c.gate == self.name, limit_rate.c.next_at < until)
                .values(next_at=until))


class SystemLimiter:
    """The concurrency gate and rate limiter in front of one system (either may be absent)."""

    def __init__(self, gate: DbSlotGate | None, rate: DbRateLimiter | None) -> None:
        self.gate = gate
        self.rate = rate

    @classmethod
    def for_profile(cls, engine: Engine, system: str, profile: LimitsProfile, *,
                    clock: Callable[[], float] = time.time,
                    sleep: Callable[[float], None] = time.sleep) -> SystemLimiter:
        gate = (DbSlotGate(engine, system, profile.max_concurrency, clock=clock, sleep=sleep)
                if profile.max_concurrency else None)
        rate = (DbRateLimiter(engine, system, profile.requests_per_second, clock=clock,
                              sleep=sleep) if profile.requests_per_second else None)
        return cls(gate, rate)

    def refused(self, retry_after: float | None) -> None:
        """A call through this limiter was refused for the system's rate or concurrency."""
        if self.rate is not None:
            self.rate.hold_off(retry_after if retry_after is not None else 1.0)

    def pace(self) -> None:
        """One more request inside a slot already held (a batch step's next call to the
        system): waits for the system's rate, never takes a second concurrency slot."""
        if self.rate is not None:
            self.rate.acquire()

    @contextmanager
    def slot(self) -> Iterator[None]:
        if self.gate is None:
            if self.rate is not None:
                self.rate.acquire()
            yield
            return
        with self.gate.slot():
            if self.rate is not None:
                self.rate.acquire()
            yield


__all__ = ["DbRateLimiter", "DbSlotGate", "SystemLimiter"]
