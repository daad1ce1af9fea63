"""``accord schema check``: the canonical model against the schemas accord released. Each
planted change edits a copy of the released set so that the current model differs from it
the way a change to the model would."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accord.canonical.compatibility import RELEASED
from accord.cli import app

runner = CliRunner()
Edit = Callable[[dict[str, Any]], None]


def released_copy(tmp_path: Path, entity: str, edit: Edit) -> Path:
    folder = tmp_path / "released"
    shutil.copytree(RELEASED, folder)
    path = folder / f"{entity}.v1.schema.json"
    schema = json.loads(path.read_text())
    edit(schema)
    path.write_text(json.dumps(schema))
    return folder


def check(folder: Path | None = None) -> tuple[int, str]:
    args = ["schema", "check"] + (["--released", str(folder)] if folder else [])
    result = runner.invoke(app, args, terminal_width=200)
    return result.exit_code, result.output


def test_the_model_honours_the_schemas_accord_released() -> None:
    """What ``make test`` guards: a breaking change to a released entity fails here."""
    assert check() == (0, "the canonical model honours every released schema\n")


def _had_field(schema: dict[str, Any]) -> None:
    schema["properties"]["purchase_order"] = {"type": "string"}


def _was_a_number(schema: dict[str, Any]) -> None:
    schema["properties"]["legal_name"] = {"type": "integer"}


def _was_optional(schema: dict[str, Any]) -> None:
    schema["required"].remove("currency")


def _had_fewer_statuses(schema: dict[str, Any]) -> None:
    schema["$defs"]["InvoiceStatus"]["enum"].remove("uncollectible")


@pytest.mark.parametrize(("entity", "edit", "finding"), [
    ("invoice", _had_field, "invoice.v1 purchase_order: removed"),
    ("customer", _was_a_number, "customer.v1 legal_name: now accepts string (was integer)"),
    ("invoice", _was_optional, "invoice.v1 currency: became required"),
    ("invoice", _had_fewer_statuses,
     'invoice.v1 status: allowed values changed: added "uncollectible"'),
])
def test_a_breaking_change_fails_naming_the_entity_and_field(
        tmp_path: Path, entity: str, edit: Edit, finding: str) -> None:
    code, output = check(released_copy(tmp_path, entity, edit))
    assert code == 1
    assert f"breaking: {finding}" in output
    assert "1 breaking changes" in output


def test_an_added_optional_field_and_a_new_version_are_compatible(tmp_path: Path) -> None:
    def lacked_po_number(schema: dict[str, Any]) -> None:
        assert "po_number" not in schema["required"]
        del schema["properties"]["po_number"]

    assert check(released_copy(tmp_path, "invoice", lacked_po_number))[0] == 0
    superseded = released_copy(tmp_path / "old", "invoice", _had_field)
    (superseded / "invoice.v1.schema.json").rename(superseded / "invoice.v0.schema.json")
    assert check(superseded)[0] == 0


def test_an_entity_gone_is_breaking(tmp_path: Path) -> None:
    folder = released_copy(tmp_path, "invoice", lambda schema: None)
    (folder / "invoice.v1.schema.json").rename(folder / "quote.v1.schema.json")
    code, output = check(folder)
    assert code == 1
    assert "breaking: quote.v1 (entity): the entity is gone" in output
