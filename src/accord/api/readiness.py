"""What ``/readyz`` reports: the database and its schema, the engine, each system, and each
schedule's last and next run.

Readiness fails (503) only for what stops accord from taking work: the database away or
behind the newest schema, or an engine this process should run that is not running. A
system that does not answer is reported, not fatal: webhooks are still stored and wait
in the inbox until the system is back. A system is probed at most once a minute
(:class:`ProbeCache`), so a load balancer's checks do not spend the vendors' API limits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from pydantic import BaseModel
from pydantic_settings import BaseSettings

from accord.connectors.base import ProbeResult, ProbeStatus
from accord.connectors.registry import connector_for
from accord.engine.schedules import Schedule, last_runs
from accord.settings import SystemSettings
from accord.store import Database

PROBE_TTL_SECONDS = 60.0


class SystemReadiness(BaseModel):
    status: str
    """``ok``, ``warning``, ``failed``, ``disabled`` or ``not configured``."""
    detail: str
    fix: str = ""


class ScheduleReadiness(BaseModel):
    description: str
    last_run: datetime | None
    last_outcome: str | None
    last_detail: str | None
    last_worker: str | None
    next_run: datetime


class EngineReadiness(BaseModel):
    status: str
    """``running`` (in this process), ``stopped`` (it should run here and does not) or
    ``elsewhere`` (``accord serve --no-workers``: the workers run it)."""
    executor: str | None = None


class ProbeCache:
    """Each system's probe result, kept for :data:`PROBE_TTL_SECONDS`."""

    def __init__(self, ttl: float = PROBE_TTL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._results: dict[str, tuple[float, ProbeResult]] = {}
        self._lock = threading.Lock()

    def result(self, system: str, settings: BaseSettings) -> ProbeResult:
        with self._lock:
            cached = self._results.get(system)
        if cached is not None and self.clock() - cached[0] < self.ttl:
            return cached[1]
        definition = connector_for(system)
        if definition is None:
            return ProbeResult(ProbeStatus.FAILED, "no connector serves this system")
        try:
            found = definition.probe(settings)
        except Exception as exc:  # a probe's bug must not break readiness
            found = ProbeResult(ProbeStatus.FAILED, f"probe failed: {type(exc).__name__}")
        with self._lock:
            self._results[system] = (self.clock(), found)
        return found


def system_readiness(settings: Mapping[str, BaseSettings], probes: ProbeCache
                     ) -> dict[str, SystemReadiness]:
    found: dict[str, SystemReadiness] = {}
    for name, value in sorted(settings.items()):
        if isinstance(value, SystemSettings) and not value.enabled:
            found[name] = SystemReadiness(status="disabled", detail="enabled = false")
        elif isinstance(value, SystemSettings) and not value.configured:
            found[name] = SystemReadiness(status="not configured", detail=value.missing,
                                          fix="accord init writes a configuration")
        else:
            result = probes.result(name, value)
            found[name] = SystemReadiness(status=result.status.value, detail=result.detail,
                                          fix=result.fix)
    return found


def schedule_readiness(database: Database, schedules: tuple[Schedule, ...],
                       now: datetime | None = None) -> dict[str, ScheduleReadiness]:
    moment = now or datetime.now(UTC)
    found: dict[str, ScheduleReadiness] = {}
    for schedule in schedules:
        last = next(iter(last_runs(database, schedule.name, 1)), None)
        found[schedule.name] = ScheduleReadiness(
            description=schedule.description,
            last_run=last.scheduled_at if last else None,
            last_outcome=last.outcome if last else None,
            last_detail=last.detail if last else None,
            last_worker=last.executor if last else None,
            next_run=schedule.next_run(moment))
    return found


__all__ = ["PROBE_TTL_SECONDS", "EngineReadiness", "ProbeCache", "ScheduleReadiness",
           "SystemReadiness", "schedule_readiness", "system_readiness"]
