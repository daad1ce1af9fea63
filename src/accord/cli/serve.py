"""``accord serve`` and ``accord tokens``."""

from __future__ import annotations

import typer
import uvicorn

from accord.api.app import create_app
from accord.api.tokens import Role, create_token, revoke
from accord.cli.console import err, out
from accord.engine.runtime import options_from_settings
from accord.settings import load_settings
from accord.store import Database

tokens_app = typer.Typer(help="API tokens (stored hashed; shown once).", no_args_is_help=True)


def serve(port: int = typer.Option(8080, help="port to listen on"),
          host: str = typer.Option("127.0.0.1", help="interface to bind"),
          workers: bool = typer.Option(True, "--workers/--no-workers",
                                       help="also run the engine (flows, retries) here")) -> None:
    """Serve the operations API and console (and, by default, the engine's workers)."""
    settings = load_settings()
    engine = options_from_settings(settings) if workers else None
    uvicorn.run(create_app(settings, engine=engine), host=host, port=port, log_level="info")


@tokens_app.command("create")
def create(role: Role = typer.Option(Role.VIEWER, help="viewer, operator or admin"),
           name: str = typer.Option("cli", help="who or what the token is for")) -> None:
    """Create a token and print it once; only its SHA-256 digest is stored."""
    database = Database(load_settings().effective_database_url)
    try:
        with database.session() as session:
            token = create_token(session, name, role)
    finally:
        database.dispose()
    err.print(f"created a {role.value} token for {name!r}; store it now, it is not shown again")
    out.print(token, soft_wrap=True)


@tokens_app.command("revoke")
def revoke_command(token_id: int = typer.Argument(..., help="the token's numeric id")) -> None:
    """Revoke a token by id."""
    database = Database(load_settings().effective_database_url)
    try:
        with database.session() as session:
            done = revoke(session, token_id)
    finally:
        database.dispose()
    if not done:
        err.print(f"token_id: no active token {token_id}")
        raise typer.Exit(1)
    out.print(f"revoked token {token_id}")
