"""DBOS wiring: one runtime per process, on the same database as the store.

SQLite (the default) gets an engine in WAL mode with ``synchronous=NORMAL`` (the store's
:func:`~accord.store.make_engine`), handed to DBOS as its ``system_database_engine``; DBOS's
own SQLite default (rollback journal, full sync) is about half as fast. A ``postgresql://``
URL puts DBOS's tables in the ``dbos`` schema of the store's database, so several worker
processes share queues and recovery.

:func:`launch` migrates accord's tables, starts DBOS (which recovers this executor's
unfinished workflows) and registers the queues; :func:`shutdown` tears everything down so
that tests can launch again on a fresh database.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from dbos import DBOS, DBOSConfig
from sqlalchemy import Engine

from accord import __version__
from accord.engine import schedules as schedules_module
from accord.engine.context import Runtime, current, is_running, set_current
from accord.engine.dispatch import InboxPump
from accord.engine.leases import LeaseKeeper, LeaseOptions
from accord.engine.owners import OwnerRules, load_owner_rules
from accord.engine.queues import register_queues
from accord.engine.retry import STEP_RETRY, RetryBudget
from accord.engine.schedules import Schedule
from accord.engine.sealing import SealedSerializer
from accord.resilience import LimitsProfile
from accord.settings import AccordSettings, load_settings, read_config_file
from accord.store import Database, make_engine, upgrade
from accord.store.db import normalize_url
from accord.store.migrate import migration_lock
from accord.store.sealing import key_file_for


@dataclass(frozen=True)
class EngineOptions:
    """Everything :func:`launch` needs. ``sleep`` (retry waits), ``gate_sleep`` (waits for a
    limit slot or rate), ``clock`` and ``rng`` are injectable for tests."""

    database_url: str
    app_name: str = "accord"
    app_version: str = f"accord-{__version__}"
    executor_id: str = "local"
    worker_concurrency: int = 16
    polling_interval: float = 0.05
    listen: bool = True
    limits: Mapping[str, LimitsProfile] = field(default_factory=dict)
    retry: RetryBudget = field(default_factory=RetryBudget)
    routing: OwnerRules = field(default_factory=OwnerRules)
    sleep: Callable[[float], None] = time.sleep
    gate_sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    rng: random.Random | None = None
    pool_size: int = 24
    log_level: str = "WARNING"
    flow_modules: tuple[str, ...] = ()
    timeline_window: float = 0.02
    pump_interval: float | None = None
    """When set (and the engine listens to queues), a thread starts the flows of stored
    inbound events every ``pump_interval`` seconds (see :mod:`accord.engine.dispatch`)."""
    sweep_interval: float = 60.0
    """How often that thread looks for failed flows without an exception record
    (:mod:`accord.engine.sweep`)."""
    schedules: tuple[Schedule, ...] | None = None
    """The recurring jobs this worker runs (:mod:`accord.engine.schedules`), written to the
    database at launch; None leaves the stored schedules as they are (tests, control
    processes)."""
    lease: LeaseOptions | None = None
    """When set (and the engine listens to queues), this worker holds a lease renewed on a
    heartbeat and adopts the pending flows of workers whose leases expired
    (:mod:`accord.engine.leases`); None: no lease (tests, control processes)."""


def _dbos_config(options: EngineOptions, engine: Engine) -> DBOSConfig:
    url = normalize_url(options.database_url)
    sys_url = url.set(drivername="postgresql") if url.get_backend_name() == "postgresql" else url
    return {
        "name": options.app_name,
        "system_database_url": sys_url.render_as_string(hide_password=False),
        "system_database_engine": engine,
        "application_version": options.app_version,
        "executor_id": options.executor_id,
        "log_level": options.log_level,
        "notification_listener_polling_interval_sec": 0.05,
        "scheduler_polling_interval_sec": 30.0,
        # checkpoints hold vendor payloads: sealed at rest with the field key
        "serializer": SealedSerializer(key_file_for(options.database_url)),
    }


def launch(options: EngineOptions) -> Runtime:
    """Migrate, start DBOS, recover unfinished workflows and register queues."""
    if is_running():
        raise RuntimeError("the engine is already running in this process")
    for module in options.flow_modules:  # flows must be registered before DBOS recovers
        importlib.import_module(module)
    database = Database(options.database_url, pool_size=options.pool_size,
                        max_overflow=options.pool_size)
    system_engine = make_engine(options.database_url, pool_size=options.pool_size,
                                max_overflow=options.pool_size)
    runtime = Runtime(options, database, system_engine)
    set_current(runtime)
    try:
        with migration_lock(database.engine):
            upgrade(database.engine)
            if options.schedules is not None:
                # before DBOS recovers this executor's firings: its previous life is gone
                schedules_module.release_leases_of(database, options.executor_id)
            DBOS(config=_dbos_config(options, system_engine))
            if not options.listen:
                DBOS.listen_queues([])
            DBOS.launch()
            runtime.queues = register_queues(options.worker_concurrency,
                                             options.polling_interval)
            if options.schedules is not None:
                schedules_module.apply(options.schedules)
        if options.pump_interval and options.listen:
            runtime.pump = InboxPump(database, options.pump_interval,
                                     routing=options.routing,
                                     sweep_interval=options.sweep_interval).start()
        if options.lease is not None and options.listen:
            runtime.leases = LeaseKeeper(database, options.executor_id, options.lease,
                                         clock=options.clock).start()
    except BaseException:
        _teardown()
        raise
    return runtime


def _teardown(drain_seconds: int = 0) -> None:
    runtime = current() if is_running() else None
    if runtime is not None and runtime.leases is not None:
        runtime.leases.stop_adopting()  # still renewed while running flows drain
    if runtime is not None and runtime.pump is not None:
        runtime.pump.stop()  # before the runtime goes: its last pass still needs it
    # the flows draining still need the runtime (timeline, limits, database): it goes only
    # once DBOS has let them finish; cleared first, every step of a running flow failed on
    # EngineNotRunning during a clean stop (found by the rolling-restart drill)
    DBOS.destroy(workflow_completion_timeout_sec=drain_seconds)
    set_current(None)
    if runtime is not None and runtime.leases is not None:
        runtime.leases.stop()  # released: a survivor adopts what is still pending at once
    if runtime is not None:
        runtime.timeline.close()
        runtime.system_engine.dispose()
        runtime.database.dispose()


def shutdown(drain_seconds: int = 0) -> None:
    """Stop DBOS and close connections; safe to call when not running. ``drain_seconds``
    lets running flows finish first; flows still running after it are left pending: a
    survivor adopts them (this worker's lease is released), or this worker recovers them
    when it starts again under the same executor id."""
    _teardown(drain_seconds)


@contextmanager
def running(options: EngineOptions) -> Iterator[Runtime]:
    runtime = launch(options)
    try:
        yield runtime
    finally:
        shutdown()


def options_from_settings(settings: AccordSettings | None = None,
                          config: dict[str, Any] | None = None, **overrides: Any) -> EngineOptions:
    """Engine options from ``accord.toml`` (``[engine]``) and ``ACCORD_*`` settings::

        [engine]
        flow_modules = ["accord.flows.quote_to_cash"]
        worker_concurrency = 16
        polling_interval = 0.05
        retry = {max_attempts = 200, base_delay = 0.5, max_delay = 30, max_total_wait = 900}

        [engine.limits.netsuite]
        max_concurrency = 5
        requests_per_second = 10

        [workers]
        lease_seconds = 30       # a worker silent this long is taken over
        heartbeat_seconds = 10   # how often each worker renews its lease
    """
    settings = settings or load_settings()
    data = read_config_file() if config is None else config
    engine_table: dict[str, Any] = data.get("engine", {}) if isinstance(data, dict) else {}
    limits = {name: LimitsProfile(**values)
              for name, values in engine_table.get("limits", {}).items()}
    retry_table = dict(engine_table.get("retry", {}))
    max_total_wait = retry_table.pop("max_total_wait", RetryBudget.max_total_wait)
    values: dict[str, Any] = {
        "database_url": settings.effective_database_url,
        "executor_id": os.environ.get("ACCORD_WORKER_ID", "local"),
        "limits": limits,
        "retry": RetryBudget(dataclasses.replace(STEP_RETRY, **retry_table), max_total_wait),
        "routing": load_owner_rules(data),
    }
    workers_table: dict[str, Any] = data.get("workers", {}) if isinstance(data, dict) else {}
    values["lease"] = LeaseOptions(
        seconds=float(workers_table.get("lease_seconds", LeaseOptions.seconds)),
        heartbeat=float(workers_table.get("heartbeat_seconds", LeaseOptions.heartbeat)))
    values["pump_interval"] = engine_table.get("pump_interval", 1.0)
    for key in ("worker_concurrency", "polling_interval"):
        if key in engine_table:
            values[key] = engine_table[key]
    if "flow_modules" in engine_table:
        values["flow_modules"] = tuple(engine_table["flow_modules"])
    values.update(overrides)
    return EngineOptions(**values)


def control_options(**overrides: Any) -> EngineOptions:
    """Options for a short-lived control process (the CLI): it runs no queued flows and has
    its own executor id, so it never recovers (and runs) a worker's unfinished flows."""
    values: dict[str, Any] = {"listen": False, "executor_id": f"control-{uuid.uuid4().hex[:8]}"}
    values.update(overrides)
    return options_from_settings(**values)


__all__ = [
    "EngineOptions",
    "control_options",
    "launch",
    "options_from_settings",
    "running",
    "shutdown",
]
