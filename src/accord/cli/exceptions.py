"""``accord exceptions``: the exception queue (list, show, retry, resolve, ignore)."""

from __future__ import annotations

import getpass
import json

import typer
from rich.table import Table

from accord.cli.console import err, out
from accord.engine.exception_queue import (
    ExceptionStatus,
    ExceptionView,
    get_exception,
    ignore_exception,
    list_exceptions,
    resolve_exception,
    retry_exception,
)
from accord.engine.failures import AlreadyClosed, EngineError
from accord.engine.runtime import control_options, running
from accord.errors import Team
from accord.settings import load_settings
from accord.store import Database, upgrade

app = typer.Typer(help="Records that need a person: list, show, retry, resolve, ignore.",
                  no_args_is_help=True)

def default_actor() -> str:
    """Who is acting, for the audit log: the login name, or ``cli`` when there is none."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


_STATUS_STYLE = {ExceptionStatus.OPEN: "red", ExceptionStatus.RETRYING: "yellow",
                 ExceptionStatus.RESOLVED: "green", ExceptionStatus.IGNORED: "dim"}


PRODUCT_FLOWS = ("accord.flows",)
"""Imported by the command: a batch flow's event runs alone through its single-event flow,
which the process starts by function."""


def _database() -> Database:
    database = Database(load_settings().effective_database_url)
    upgrade(database.engine)
    return database


def _record(database: Database, exception_id: int) -> ExceptionView:
    try:
        return get_exception(database, exception_id)
    except EngineError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc


@app.command("list")
def list_command(
    status: ExceptionStatus | None = typer.Option(None, "--status", help="only this status"),
    owner: Team | None = typer.Option(None, "--owner", help="only this owner team"),
    show_all: bool = typer.Option(False, "--all", help="include resolved and ignored"),
) -> None:
    """List exceptions (open and retrying ones unless --status or --all)."""
    database = _database()
    try:
        records = list_exceptions(database, status=status, owner=owner)
    finally:
        database.dispose()
    if status is None and not show_all:
        records = [r for r in records
                   if r.status in {ExceptionStatus.OPEN, ExceptionStatus.RETRYING}]
    table = Table(title=f"exceptions ({len(records)})")
    for column in ("id", "status", "owner", "kind", "system", "record", "field", "reason",
                   "seen", "correlation"):
        table.add_column(column)
    for r in records:
        style = _STATUS_STYLE[r.status]
        table.add_row(str(r.id), f"[{style}]{r.status.value}[/]", r.owner.value, r.kind,
                      r.system or "", f"{r.entity_type or ''} {r.record_ref or ''}".strip(),
                      r.field or "", r.reason, str(r.occurrences), r.correlation_id or "")
    out.print(table)


@app.command("show")
def show_command(exception_id: int = typer.Argument(...)) -> None:
    """Everything about one exception."""
    database = _database()
    try:
        record = _record(database, exception_id)
    finally:
        database.dispose()
    table = Table(title=f"exception {record.id}", show_header=False)
    rows = [
        ("status", record.status.value), ("owner", record.owner.value), ("kind", record.kind),
        ("system", record.system), ("entity", record.entity_type),
        ("record", record.record_ref), ("field", record.field), ("reason", record.reason),
        ("system said", record.system_said), ("correlation id", record.correlation_id),
        ("workflow", record.workflow_id), ("step", record.step),
        ("occurrences", str(record.occurrences)), ("first seen", str(record.created_at)),
        ("last change", str(record.updated_at)), ("by", record.resolved_by),
        ("note", record.note),
        ("error", json.dumps(record.error, sort_keys=True) if record.error else None),
    ]
    for name, value in rows:
        table.add_row(name, value or "")
    out.print(table)


@app.command("retry")
def retry_command(
    exception_id: int = typer.Argument(...),
    note: str | None = typer.Option(None, "--note", help="what was fixed"),
    actor: str = typer.Option(default_actor, "--actor", help="who acts (audited)"),
) -> None:
    """Re-run the flow from its failed step (after fixing the data); workers pick it up.
    One event of a batch flow re-runs alone, through its single-event flow."""
    with running(control_options(flow_modules=PRODUCT_FLOWS)) as runtime:
        _record(runtime.database, exception_id)
        try:
            new_id = retry_exception(runtime.database, exception_id, actor=actor, note=note)
        except EngineError as exc:
            err.print(f"[red]cannot retry:[/] {exc}")
            raise typer.Exit(1) from exc
    out.print(f"[yellow]retrying[/] exception {exception_id} as workflow {new_id}")


def _close(exception_id: int, note: str, actor: str, status: ExceptionStatus) -> None:
    database = _database()
    try:
        _record(database, exception_id)
        action = resolve_exception if status is ExceptionStatus.RESOLVED else ignore_exception
        try:
            record = action(database, exception_id, actor=actor, note=note)
        except (ValueError, AlreadyClosed) as exc:
            err.print(f"[red]{exc}[/]")
            raise typer.Exit(1) from exc
    finally:
        database.dispose()
    out.print(f"exception {record.id} [{_STATUS_STYLE[record.status]}]{record.status.value}[/]"
              f" by {actor}: {note}")


@app.command("resolve")
def resolve_command(
    exception_id: int = typer.Argument(...),
    note: str = typer.Option(..., "--note", help="how it was resolved"),
    actor: str = typer.Option(default_actor, "--actor", help="who acts (audited)"),
) -> None:
    """Close an exception as resolved, with a note."""
    _close(exception_id, note, actor, ExceptionStatus.RESOLVED)


@app.command("ignore")
def ignore_command(
    exception_id: int = typer.Argument(...),
    note: str = typer.Option(..., "--note", help="why it can be ignored"),
    actor: str = typer.Option(default_actor, "--actor", help="who acts (audited)"),
) -> None:
    """Close an exception as ignored, with a note."""
    _close(exception_id, note, actor, ExceptionStatus.IGNORED)


__all__ = ["app"]
