"""``accord serve``."""

from __future__ import annotations

import signal
import socket

import typer
import uvicorn

from accord import bootstrap
from accord.api.app import create_app
from accord.api.http_limits import read_timeout_protocol
from accord.cli.console import err
from accord.cli.failures import CommandFailed, ExitCode
from accord.cli.store import opened
from accord.cli.worker import warn_missing, worker_overrides
from accord.observability.logs import configure_logging
from accord.settings import load_settings


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything starts: a taken port is one clear line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CommandFailed(f"port {port} on {host} is not free ({exc.strerror}): pass "
                            "--port N, or stop what listens there", ExitCode.UNAVAILABLE) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(port: int = typer.Option(8080, help="port to listen on"),
          host: str = typer.Option("127.0.0.1", help="interface to bind"),
          workers: bool = typer.Option(True, "--workers/--no-workers",
                                       help="also run the engine here: flows, the inbox pump, "
                                            "schedules (off: run `accord worker` processes)"),
          worker_id: str | None = typer.Option(None, "--id",
                                               help="executor id of this process's engine"),
          concurrency: int | None = typer.Option(None, "--concurrency", min=1,
                                                 help="flows run at once by this process"),
          drain: int = typer.Option(10, "--drain", min=0,
                                    help="seconds to let running flows finish when stopping")
          ) -> None:
    """Serve the operations API and console, and (by default) run the engine in-process."""
    settings = load_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    with opened(settings):
        pass  # migrated before anything listens
    deployment = bootstrap.prepare(settings)
    try:
        warn_missing(deployment)
        sock = bind(host, port)
        options = (bootstrap.engine_options(deployment, **worker_overrides(worker_id,
                                                                         concurrency))
                   if workers else None)
        app = create_app(settings, deployment=deployment, run_engine=workers, engine=options,
                         drain_seconds=drain)
        where = "with the engine" if workers else "without workers (run `accord worker`)"
        err.print(f"accord serving on http://{host}:{port} {where}; database "
                  f"{settings.display_database_url}", highlight=False)
        # uvicorn's loggers go through accord's JSON lines (log_config=None); no access log:
        # request lines carry query strings, which can name a customer
        # a read deadline on each request and a cap on concurrent connections
        # (accord.api.http_limits): a slow or lying client cannot hold the server
        config = uvicorn.Config(app, log_level="warning", log_config=None, access_log=False,
                                timeout_graceful_shutdown=drain + 5,
                                http=read_timeout_protocol(settings.http_read_timeout_seconds),
                                timeout_keep_alive=settings.http_keep_alive_seconds,
                                limit_concurrency=settings.http_max_connections)
        # uvicorn stops gracefully on SIGTERM or Ctrl-C, then raises the signal again to the
        # handlers it found: these, so that a requested stop ends with exit code 0
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop_signal, lambda *_: None)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        deployment.close()
    err.print("accord stopped", highlight=False)
