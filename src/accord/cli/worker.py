"""``accord worker``: run flows, the inbox pump and the schedules until stopped.

Several workers against one PostgreSQL share the queues; each schedule fires once per
interval across all of them. Each worker holds a lease; when a worker is lost, a survivor
adopts its unfinished flows once its lease expires (:mod:`accord.engine.leases`). A worker
started without ``--id`` (or ``ACCORD_WORKER_ID``) gets a generated, unique id, as
containers do; a worker restarted under the same id recovers its own flows at once.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import uuid
from typing import Any

import typer

from accord import bootstrap
from accord.api import sla as _sla  # noqa: F401 - registers the business SLA probe
from accord.cli.console import err, out
from accord.cli.failures import CommandFailed, ExitCode
from accord.cli.store import opened
from accord.observability.logs import configure_logging
from accord.settings import load_settings


def worker_overrides(worker_id: str | None, concurrency: int | None,
                     flow_modules: tuple[str, ...] = ()) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if flow_modules:
        overrides["flow_modules"] = flow_modules
    if worker_id:
        overrides["executor_id"] = worker_id
    if concurrency:
        overrides["worker_concurrency"] = concurrency
    return overrides


def generated_id() -> str:
    """A unique executor id for a worker started without one: host name plus a random
    suffix (``worker-<host>-<8 hex>``)."""
    host = socket.gethostname().split(".")[0] or "host"
    return f"worker-{host}-{uuid.uuid4().hex[:8]}"


def warn_missing(deployment: bootstrap.Deployment) -> None:
    """One line per enabled system without credentials: flows needing it will stop on an
    exception saying the same."""
    for missing in deployment.missing():
        err.print(f"[yellow]warning:[/] {missing.system} is not configured: {missing.fix}",
                  highlight=False)


def worker(
    flows: list[str] = typer.Option([], "--flows", "-m",
                                    help="also import this module of flows (repeatable)"),
    worker_id: str | None = typer.Option(
        None, "--id", help="executor id of this worker (default: ACCORD_WORKER_ID, else a "
                           "generated unique id)"),
    concurrency: int | None = typer.Option(None, "--concurrency", min=1,
                                           help="flows run at once by this worker"),
    drain: int = typer.Option(10, "--drain", min=0,
                              help="seconds to let running flows finish when stopping"),
) -> None:
    """Run a worker: recover its unfinished flows, pump the inbox, run flows and schedules."""
    settings = load_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    with opened(settings):
        pass
    worker_id = worker_id or os.environ.get("ACCORD_WORKER_ID") or generated_id()
    deployment = bootstrap.prepare(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        warn_missing(deployment)
        options = bootstrap.engine_options(deployment)
        options = bootstrap.engine_options(deployment, **worker_overrides(
            worker_id, concurrency, (*options.flow_modules, *flows)))
        try:
            service = bootstrap.start(deployment, options)
        except ModuleNotFoundError as exc:
            raise CommandFailed(f"--flows: cannot import {exc.name!r}: {exc}",
                                ExitCode.CONFIGURATION) from None
        out.print(f"[green]worker[/] {options.executor_id} on {settings.display_database_url}: "
                  f"{options.worker_concurrency} flows at once, "
                  f"{len(deployment.schedules)} schedules", highlight=False)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            bootstrap.stop(service, drain_seconds=drain)
    finally:
        deployment.close()
    out.print(f"worker {options.executor_id} stopped", highlight=False)


__all__ = ["generated_id", "warn_missing", "worker", "worker_overrides"]
