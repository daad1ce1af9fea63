"""``accord revenue``: revenue schedules and their recognition into the ERP
(``docs/revenue.md``).

``accord revenue recognize --period YYYY-MM`` posts one balanced recognition journal per
legal entity and currency for what is due in the period (and any earlier period not run);
a re-run posts nothing new. ``accord revenue waterfall [--csv]`` shows per period what was
recognized and what is still scheduled.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from accord import bootstrap
from accord.canonical.period import Period
from accord.cli.console import out
from accord.cli.failures import CommandFailed, ExitCode
from accord.cli.store import opened
from accord.revenue import RecognitionError, RecognitionRun, recognize
from accord.revenue.waterfall import waterfall, waterfall_csv
from accord.settings import load_settings

app = typer.Typer(help="Revenue schedules and their recognition into the ERP.",
                  no_args_is_help=True)


def run_json(run: RecognitionRun) -> dict[str, Any]:
    return {"period": run.period, "journals": [
        {"legal_entity": result.legal_entity, "currency": result.currency,
         "journal_id": result.journal_id, "amount": str(result.amount.amount),
         "posted": result.posted, "erp": result.erp, "erp_id": result.erp_id}
        for result in run.results]}


def _as_of(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)",
                                 param_hint="--as-of") from error


@app.command("recognize")
def recognize_command(
    period: Annotated[str, typer.Option(help="accounting period to recognize, YYYY-MM")],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="the day the run is for, YYYY-MM-DD (default: today, UTC); the "
                        "period must have ended by then")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Post the period's recognition journals: one per legal entity and currency, once."""
    try:
        Period.parse(period)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--period") from error
    day = _as_of(as_of)
    settings = load_settings()
    deployment = bootstrap.prepare(settings)
    with ExitStack() as stack:
        stack.callback(deployment.close)
        database = stack.enter_context(opened(settings))
        try:
            run = recognize(database, deployment.systems, period, as_of=day)
        except RecognitionError as error:
            raise CommandFailed(str(error), ExitCode.CONFIGURATION) from error
    if as_json:
        typer.echo(json.dumps(run_json(run), indent=2))
        return
    table = Table("legal entity", "currency", "recognized", "journal", "ERP id",
                  title=f"revenue recognized for {period}")
    for result in run.results:
        table.add_row(result.legal_entity, result.currency,
                      str(result.amount.amount) if result.posted else "(posted before)",
                      result.journal_id, result.erp_id or "")
    out.print(table)
    out.print(f"{len(run.posted)} journals posted, "
              f"{len(run.results) - len(run.posted)} already posted")


@app.command("waterfall")
def waterfall_command(
    as_csv: Annotated[bool, typer.Option("--csv", help="print CSV instead of a table")] = False,
) -> None:
    """Per legal entity, currency and period: revenue recognized, and scheduled but not yet
    recognized."""
    settings = load_settings()
    with opened(settings) as database, database.session() as session:
        rows = waterfall(session)
    if as_csv:
        typer.echo(waterfall_csv(rows), nl=False)
        return
    table = Table("legal entity", "currency", "period", "recognized", "scheduled",
                  title="revenue waterfall")
    for row in rows:
        table.add_row(row.legal_entity, row.currency, row.period, str(row.recognized.amount),
                      str(row.scheduled.amount))
    out.print(table)


__all__ = ["app", "recognize_command", "run_json", "waterfall_command"]
