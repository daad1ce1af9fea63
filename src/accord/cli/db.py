"""``accord db``: database migrations."""

from __future__ import annotations

import typer

from accord.cli.console import out
from accord.settings import load_settings
from accord.store import Database, current_revision, head_revision, upgrade
from accord.store.environment import claim

app = typer.Typer(help="Database schema management.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command() -> None:
    """Create or migrate accord's tables to the newest schema (a new database is marked
    with the settings' environment; one of another environment is refused)."""
    settings = load_settings()
    database = Database(settings.effective_database_url)
    try:
        before = current_revision(database.engine)
        upgrade(database.engine)
        after = current_revision(database.engine)
        claim(database, settings.environment)
    finally:
        database.dispose()
    state = "already current" if before == after else f"{before or 'empty'} -> {after}"
    out.print(f"[green]database[/] {settings.display_database_url}: {state}")


@app.command("status")
def status_command() -> None:
    """Show the schema revision of the database and the newest one available."""
    settings = load_settings()
    database = Database(settings.effective_database_url)
    try:
        current = current_revision(database.engine)
    finally:
        database.dispose()
    out.print(f"database {settings.display_database_url}: revision {current or 'none'}, "
              f"newest {head_revision()}")
