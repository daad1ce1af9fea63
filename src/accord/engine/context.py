"""The engine's context in this process: the launched :class:`Runtime` and its lookup.

Flows, steps and the engine's own modules ask :func:`current` for the database, the options
and the per-system limiters; :mod:`accord.engine.runtime` launches the engine and sets it.
Keeping the lookup apart from the launcher lets the launcher import everything the engine
runs (dispatch, schedules) without an import cycle.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from typing import TYPE_CHECKING

from dbos import Queue
from sqlalchemy import Engine

from accord.engine.failures import EngineNotRunning
from accord.engine.limits import SystemLimiter
from accord.engine.timeline import TimelineWriter
from accord.resilience import LimitsProfile
from accord.store import Database

if TYPE_CHECKING:
    from accord.engine.dispatch import InboxPump
    from accord.engine.leases import LeaseKeeper
    from accord.engine.runtime import EngineOptions
    from accord.engine.schedules import Schedule


class Runtime:
    """The launched engine of this process: options, the store database and limiters."""

    def __init__(self, options: EngineOptions, database: Database, system_engine: Engine) -> None:
        self.options = options
        self.database = database
        self.system_engine = system_engine
        self._limiters: dict[str, SystemLimiter | None] = {}
        self._lock = threading.Lock()
        self.rng = options.rng or random.Random()
        self.timeline = TimelineWriter(database, options.timeline_window)
        self.queues: dict[str, Queue] = {}
        self.schedules: dict[str, Schedule] = {s.name: s for s in options.schedules or ()}
        self.pump: InboxPump | None = None
        self.leases: LeaseKeeper | None = None

    def limiter(self, system: str | None) -> SystemLimiter | None:
        """The cross-process gate for calls to ``system``: its configured limits, else the
        published limits its connector declares (an instance such as ``netsuite-eu`` has
        its connector's), else none."""
        if system is None:
            return None
        with self._lock:
            if system not in self._limiters:
                profile = self.options.limits.get(system) or published_limits(system)
                self._limiters[system] = (
                    SystemLimiter.for_profile(self.database.engine, system, profile,
                                              clock=self.options.clock,
                                              sleep=self.options.gate_sleep)
                    if profile and (profile.max_concurrency or profile.requests_per_second)
                    else None)
            return self._limiters[system]


RATE_HEADROOM = 0.8
"""Share of a published request rate the engine paces a system at by default. Call starts
spaced exactly at the limit (40 ms for 25/s) reach the system with varying delays, and a
system counting a strict sliding second then sees 26 in some second and refuses one: the
throttle drill measured 83 refusals at 25/s, 5 at 22/s on a loaded machine, none at 20/s."""


def published_limits(system: str) -> LimitsProfile | None:
    """The limits the connector of ``system`` (or of the system an instance belongs to)
    declares - Stripe's requests per second, NetSuite's account concurrency, Salesforce's
    concurrent requests - with a request rate taken at :data:`RATE_HEADROOM` of the
    published one."""
    from accord.connectors.registry import connector_for

    found = connector_for(system)
    if found is None:
        return None
    rate = found.limits.requests_per_second
    if not rate:
        return found.limits
    return dataclasses.replace(found.limits, requests_per_second=rate * RATE_HEADROOM)


_current: Runtime | None = None
_lock = threading.Lock()


def current() -> Runtime:
    if _current is None:
        raise EngineNotRunning("the engine is not running: call accord.engine.launch() first")
    return _current


def is_running() -> bool:
    return _current is not None




def set_current(runtime: Runtime | None) -> None:
    """Make ``runtime`` this process's engine (None: stopped); only the launcher calls it."""
    global _current
    with _lock:
        if runtime is not None and _current is not None:
            raise RuntimeError("the engine is already running in this process")
        _current = runtime


__all__ = ["RATE_HEADROOM", "Runtime", "current", "is_running", "published_limits",
           "set_current"]
