"""``accord schema``: JSON Schema export of the canonical model."""

from __future__ import annotations

from pathlib import Path

import typer

from accord.canonical.schema import export_schemas
from accord.cli.console import out

app = typer.Typer(help="Canonical model schemas.", no_args_is_help=True)


@app.command("export")
def export(directory: Path = typer.Argument(..., help="folder to write the schemas into")) -> None:
    """Write one JSON Schema file per canonical entity (versioned, e.g. customer.v1)."""
    for path in export_schemas(directory):
        out.print(f"wrote {path}")
