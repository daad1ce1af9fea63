"""``accord schema check``: the canonical model against the schemas accord released. Each
planted change edits a copy of the released set so that the current model differs from it
the way a change to the model would. The invoice is at v2 (invoice.v1 stays released,
superseded: stored v1 invoices are upcast), every other entity at v1."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accord.canonical.compatibility import (
    RELEASED,
    breaking_changes,
    current_schemas,
    released_schemas,
)
from accord.canonical.registry import ENTITIES
from accord.cli import app

runner = CliRunner()
Edit = Callable[[dict[str, Any]], None]


def current_file(entity: str) -> str:
    version = next(model.schema_version for entity_type, model in ENTITIES.items()
                   if entity_type.value == entity)
    return f"{entity}.{version}.schema.json"


def released_copy(tmp_path: Path, entity: str, edit: Edit) -> Path:
    """The released set with ``edit`` applied to the entity's current version."""
    folder = tmp_path / "released"
    shutil.copytree(RELEASED, folder)
    path = folder / current_file(entity)
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
    ("invoice", _had_field, "invoice.v2 purchase_order: removed"),
    ("customer", _was_a_number, "customer.v1 legal_name: now accepts string (was integer)"),
    ("invoice", _was_optional, "invoice.v2 currency: became required"),
    ("invoice", _had_fewer_statuses,
     'invoice.v2 status: allowed values changed: added "uncollectible"'),
])
def test_a_breaking_change_fails_naming_the_entity_and_field(
        tmp_path: Path, entity: str, edit: Edit, finding: str) -> None:
    code, output = check(released_copy(tmp_path, entity, edit))
    assert code == 1
    assert f"breaking: {finding}" in output
    assert "1 breaking changes" in output


def test_a_field_removed_from_the_released_v1_invoice_is_breaking_in_v1_too() -> None:
    """Before invoice.v2, removing a field of the released v1 invoice failed the check;
    the v1 schema still fails it against a model of that version."""
    released = released_schemas()
    v1 = json.loads((RELEASED / "invoice.v1.schema.json").read_text())
    v1["properties"]["purchase_order"] = {"type": "string"}
    findings = breaking_changes({("invoice", "v1"): v1},
                                {("invoice", "v1"): released[("invoice", "v1")]})
    assert [finding.describe() for finding in findings] == ["invoice.v1 purchase_order: removed"]


def test_an_added_optional_field_and_a_new_version_are_compatible(tmp_path: Path) -> None:
    def lacked_po_number(schema: dict[str, Any]) -> None:
        assert "po_number" not in schema["required"]
        del schema["properties"]["po_number"]

    assert check(released_copy(tmp_path, "invoice", lacked_po_number))[0] == 0
    # a released v1 that the model has moved on from is superseded: not compared field by
    # field, since an upcaster reads its documents as v2
    superseded = released_copy(tmp_path / "old", "invoice", _had_field)
    (superseded / "invoice.v2.schema.json").replace(superseded / "invoice.v1.schema.json")
    assert check(superseded) == (0, "the canonical model honours every released schema\n")


def test_a_new_version_without_an_upcaster_is_breaking() -> None:
    findings = breaking_changes(released_schemas(), current_schemas(),
                                readable=lambda entity, old, new: False)
    assert [finding.describe() for finding in findings] == \
        ["invoice.v1 (entity): no upcaster reads it as v2"]


def test_a_model_behind_a_released_version_is_breaking(tmp_path: Path) -> None:
    folder = released_copy(tmp_path, "invoice", lambda schema: None)
    shutil.copy(folder / "invoice.v2.schema.json", folder / "invoice.v3.schema.json")
    code, output = check(folder)
    assert code == 1
    assert "breaking: invoice.v3 (entity): released, but the model is back at v2" in output


def test_an_entity_gone_is_breaking(tmp_path: Path) -> None:
    folder = released_copy(tmp_path, "invoice", lambda schema: None)
    (folder / "invoice.v2.schema.json").rename(folder / "quote.v2.schema.json")
    code, output = check(folder)
    assert code == 1
    assert "breaking: quote.v2 (entity): the entity is gone" in output


def test_the_documented_commands_release_a_version_and_check_it(tmp_path: Path) -> None:
    """docs/governance.md, "Releasing a new version": export, copy the new file beside the
    old ones, check - as subprocesses of the installed ``accord``."""
    accord = str(Path(sys.executable).parent / "accord")
    exported = tmp_path / "exported"
    subprocess.run([accord, "schema", "export", str(exported)], check=True,
                   capture_output=True, text=True)
    invoice = json.loads((exported / current_file("invoice")).read_text())
    assert invoice["$id"] == "urn:accord:schema:invoice:v2"
    assert invoice["x-accord-schema-version"] == "v2"
    assert invoice["properties"]["schema_version"]["const"] == "v2"
    assert "schema_version" in invoice["required"]
    assert {"tax_amount", "tax_code", "revenue_recognition"} <= \
        set(invoice["$defs"]["InvoiceLine"]["properties"])
    released = tmp_path / "released"
    shutil.copytree(RELEASED, released)
    (released / current_file("invoice")).unlink()
    shutil.copy(exported / current_file("invoice"), released)
    ran = subprocess.run([accord, "schema", "check", "--released", str(released)],
                         check=False, capture_output=True, text=True)
    assert (ran.returncode, ran.stdout) == (0, "the canonical model honours every released "
                                               "schema\n")
    removed = released_copy(tmp_path / "removed", "invoice", _had_field)
    ran = subprocess.run([accord, "schema", "check", "--released", str(removed)],
                         check=False, capture_output=True, text=True)
    assert ran.returncode == 1
    assert "breaking: invoice.v2 purchase_order: removed" in ran.stderr
