"""``accord schema``: JSON Schema export of the canonical model."""

from __future__ import annotations

from pathlib import Path

import typer

from accord.canonical.compatibility import (
    RELEASED,
    breaking_changes,
    current_schemas,
    released_schemas,
)
from accord.canonical.schema import export_schemas
from accord.cli.console import err, out
from accord.cli.failures import CommandFailed, ExitCode

app = typer.Typer(help="Canonical model schemas.", no_args_is_help=True)


@app.command("export")
def export(directory: Path = typer.Argument(..., help="folder to write the schemas into")) -> None:
    """Write one JSON Schema file per canonical entity (versioned, e.g. customer.v1)."""
    for path in export_schemas(directory):
        out.print(f"wrote {path}")


@app.command("check")
def check(released: Path = typer.Option(
        RELEASED, help="folder of the released schemas (default: the set accord ships)")) -> None:
    """Compare the canonical model with the released schemas; exits 1 on a breaking change
    that is not a new version of its entity."""
    try:
        problems = breaking_changes(released_schemas(released), current_schemas())
    except (OSError, ValueError) as error:
        raise CommandFailed(f"released schemas in {released}: {error}",
                            ExitCode.CONFIGURATION) from error
    for problem in problems:
        err.print(f"breaking: {problem.describe()}")
    if problems:
        err.print(f"{len(problems)} breaking changes: keep the field, or release a new "
                  "version of the entity")
        raise typer.Exit(1)
    out.print("the canonical model honours every released schema")
