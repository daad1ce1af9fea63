"""``accord sandbox``: run the local emulators of each system's API."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from accord.cli.console import err, out
from accord.sandboxes import registry
from accord.sandboxes.base import SandboxDefinition, SandboxOptions
from accord.sandboxes.server import endpoint_for, serve
from accord.sandboxes.tls import ensure_tls
from accord.settings import load_settings

app = typer.Typer(help="Local sandboxes that speak each vendor's real API.",
                  no_args_is_help=True)


def _definition(system: str) -> SandboxDefinition:
    try:
        return registry.get(system)
    except registry.UnknownSandboxError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc


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


@app.command("start")
def start(
    system: str = typer.Argument(..., help="which sandbox, e.g. stripe"),
    port: int | None = typer.Option(None, help="port to listen on (default: the sandbox's own)"),
    host: str = typer.Option("127.0.0.1", help="interface to bind"),
    state_file: Path | None = typer.Option(None, help="keep state in this SQLite file"),
) -> None:
    """Serve a sandbox in the foreground until interrupted."""
    definition = _definition(system)
    options = _options(state_file)
    chosen = port or definition.default_port
    endpoint = endpoint_for(definition, host, chosen, options)
    err.print(f"[bold]{system}[/] sandbox on {endpoint.base_url}")
    if definition.tls:
        ca = ensure_tls(options.data_dir).ca_cert
        err.print(f"HTTPS with a local CA: trust {ca} (e.g. REQUESTS_CA_BUNDLE={ca})")
    serve(definition, host=host, port=chosen, options=options)


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
