"""``accord worker``: run queued flows until stopped (Ctrl-C or SIGTERM).

Several workers against one PostgreSQL share the queues; give each its own ``--id`` (or
``ACCORD_WORKER_ID``) and restart a worker with the same id so it recovers its own
unfinished flows.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import typer

from accord.cli.console import err, out
from accord.engine.runtime import launch, options_from_settings, shutdown
from accord.settings import load_settings


def worker(
    flows: list[str] = typer.Option([], "--flows", "-m",
                                    help="module that defines flows (repeatable)"),
    worker_id: str | None = typer.Option(None, "--id", help="executor id of this worker"),
    concurrency: int | None = typer.Option(None, "--concurrency", min=1,
                                           help="flows run at once by this worker"),
    drain: int = typer.Option(10, "--drain", min=0,
                              help="seconds to let running flows finish when stopping"),
) -> None:
    """Run a worker process: recover this worker's unfinished flows, then run queued ones."""
    settings = load_settings()
    overrides: dict[str, Any] = {}
    if worker_id:
        overrides["executor_id"] = worker_id
    if concurrency:
        overrides["worker_concurrency"] = concurrency
    options = options_from_settings(settings, **overrides)
    if flows:
        options = options_from_settings(
            settings, flow_modules=(*options.flow_modules, *flows), **overrides)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        launch(options)
    except ModuleNotFoundError as exc:
        err.print(f"[red]cannot import flows:[/] {exc}")
        raise typer.Exit(2) from exc
    out.print(f"[green]worker[/] {options.executor_id} on {settings.display_database_url}: "
              f"{options.worker_concurrency} flows at once, "
              f"flow modules: {', '.join(options.flow_modules) or 'none'}")
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        shutdown(drain_seconds=drain)
    out.print(f"worker {options.executor_id} stopped")


__all__ = ["worker"]
