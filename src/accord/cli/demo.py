"""``accord demo``: the main job on the embedded SQLite default.

Until the quote-to-cash flows land, the demo migrates the database, runs ``doctor``, and takes
a sample deal's documents through a canonical-model round trip (JSON out and back, money
through minor units), then exports the JSON Schemas.
"""

from __future__ import annotations

import typer
from rich.table import Table

from accord.canonical.money import Money
from accord.canonical.samples import sample_documents
from accord.canonical.schema import export_schemas
from accord.cli.console import out
from accord.cli.db import upgrade_command
from accord.cli.doctor import doctor
from accord.settings import load_settings


def demo() -> None:
    """Set up the local database, check the installation, and run the sample round trip."""
    upgrade_command()
    try:
        doctor()
    except typer.Exit as exit_:
        if exit_.exit_code:
            raise
    table = Table("entity", "canonical id", "key figure", "round trip",
                  title="canonical model round trip")
    failures = 0
    for document in sample_documents():
        reloaded = type(document).model_validate_json(document.model_dump_json())
        same = reloaded == document
        failures += not same
        table.add_row(document.entity_type.value, document.id, document_figure(document),
                      "[green]exact[/]" if same else "[red]CHANGED[/]")
    out.print(table)
    written = export_schemas(load_settings().data_dir / "schemas")
    out.print(f"exported {len(written)} JSON Schemas to {written[0].parent}")
    if failures:
        raise typer.Exit(1)


def document_figure(document: object) -> str:
    for attribute in ("total", "amount"):
        value = getattr(document, attribute, None)
        if isinstance(value, Money):
            minor = value.to_minor_units()
            return f"{value} ({minor} minor units)"
    return getattr(document, "legal_name", "") or getattr(document, "sku", "")
