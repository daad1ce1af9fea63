"""``accord sandbox``: run the local emulators of each system's API."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import threading
from pathlib import Path

import typer
from rich.table import Table

from accord.cli.console import err, out
from accord.cli.failures import CommandFailed, ExitCode
from accord.sandboxes import registry
from accord.sandboxes.base import SandboxDefinition, SandboxOptions
from accord.sandboxes.server import RunningSandbox, endpoint_for, serve, start_in_thread
from accord.sandboxes.tls import ensure_tls
from accord.settings import load_settings

app = typer.Typer(help="Local sandboxes that speak each vendor's real API.",
                  no_args_is_help=True)


@app.callback()
def _not_in_production() -> None:
    """Local sandboxes that speak each vendor's real API (never in production)."""
    from accord.cli.store import refuse_production  # the store only for this check

    refuse_production("sandbox")


def _definition(system: str) -> SandboxDefinition:
    try:
        return registry.get(system)
    except registry.UnknownSandboxError as exc:
        raise CommandFailed(str(exc), ExitCode.CONFIGURATION) from None


def _options(state_file: Path | None) -> SandboxOptions:
    return SandboxOptions(data_dir=load_settings().data_dir / "sandboxes", state_file=state_file)


@app.command("list")
def list_sandboxes() -> None:
    """List the sandboxes accord ships."""
    table = Table("system", "default port", "scheme", "emulates")
    for name, definition in registry.available().items():
        table.add_row(name, str(definition.default_port), "https" if definition.tls else "http",
                      definition.description)
    out.print(table)


ALL = "all"


def _check_free(host: str, port: int, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandFailed(f"port {port} ({what}) is not free ({exc.strerror}): pass "
                                "--port N, or stop what listens there",
                                ExitCode.UNAVAILABLE) from None


def _announce(definition: SandboxDefinition, base_url: str, options: SandboxOptions) -> None:
    err.print(f"[bold]{definition.name}[/] sandbox on {base_url}", highlight=False)
    if definition.tls:
        ca = ensure_tls(options.data_dir).ca_cert
        err.print(f"  HTTPS with a local CA: trust {ca} (e.g. REQUESTS_CA_BUNDLE={ca})",
                  highlight=False)


@app.command("start")
def start(
    system: str = typer.Argument(..., help="which sandbox, e.g. stripe, or all"),
    port: int | None = typer.Option(None, help="port to listen on (default: the sandbox's own; "
                                               "not with all)"),
    host: str = typer.Option("127.0.0.1", help="interface to bind"),
    state_file: Path | None = typer.Option(None, help="keep state in this SQLite file "
                                                      "(not with all)"),
    keep_state: bool = typer.Option(False, "--keep-state",
                                    help="keep each sandbox's state in the data directory "
                                         "across restarts"),
) -> None:
    """Serve a sandbox (or all of them, on their default ports) until interrupted."""
    if system == ALL:
        if port is not None or state_file is not None:
            raise CommandFailed("--port and --state-file name one sandbox; with all, each "
                                "runs on its default port", ExitCode.CONFIGURATION)
        start_all(host, keep_state)
        return
    definition = _definition(system)
    options = _options(state_file or (_state_path(system) if keep_state else None))
    chosen = port or definition.default_port
    _check_free(host, chosen, f"the {system} sandbox")
    _announce(definition, endpoint_for(definition, host, chosen, options).base_url, options)
    serve(definition, host=host, port=chosen, options=options)


def _state_path(system: str) -> Path:
    return load_settings().data_dir / "sandboxes" / f"{system}.state.db"


def start_all(host: str, keep_state: bool) -> None:
    """Every sandbox on its default port in this process, until Ctrl-C or SIGTERM."""
    definitions = registry.available()
    for definition in definitions.values():
        _check_free(host, definition.default_port, f"the {definition.name} sandbox")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    started: list[RunningSandbox] = []
    try:
        for name, definition in definitions.items():
            options = _options(_state_path(name) if keep_state else None)
            started.append(start_in_thread(definition, options, host=host,
                                           port=definition.default_port))
            _announce(definition, started[-1].base_url, options)
        err.print("press Ctrl-C to stop", highlight=False)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        for running in reversed(started):
            running.stop()


@app.command("credentials")
def credentials(
    system: str = typer.Argument(..., help="which sandbox"),
    port: int | None = typer.Option(None, help="port the sandbox listens on"),
    host: str = typer.Option("127.0.0.1"),
) -> None:
    """Print JSON with the base URL and the default development credentials."""
    definition = _definition(system)
    options = _options(None)
    if definition.tls:
        ensure_tls(options.data_dir)
    endpoint = endpoint_for(definition, host, port or definition.default_port, options)
    typer.echo(json.dumps(definition.credentials(endpoint), indent=2, sort_keys=True))
