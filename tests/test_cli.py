"""The CLI: version, db upgrade, schema export, doctor and sandbox commands."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord import __version__
from accord.canonical import ENTITIES
from accord.cli import app
from accord.demo.processes import free_port
from accord.store import head_revision

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.output.strip() == __version__


def test_a_command_loads_only_what_it_runs() -> None:
    """Every ``accord`` process (the demo starts a dozen, a deployment's scripts more) loads
    the modules of the command it runs, not the API, the engine and the demo of every other
    command."""
    probe = ("import sys; from accord.cli import app; from typer.main import get_command; "
             "group = get_command(app); group.get_command(None, 'sandbox'); "
             "print(sorted(m for m in ('accord.api.app', 'accord.bootstrap', 'accord.engine', "
             "'accord.demo', 'accord.cli.demo', 'accord.cli.serve') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"
    listed = runner.invoke(app, ["--help"])
    assert listed.exit_code == 0
    for command in ("demo", "serve", "worker", "sandbox", "refdata", "tokens", "reconcile"):
        assert f" {command} " in listed.output


def test_db_upgrade_then_doctor_is_clean(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the table's width: each fix on one line
    before = runner.invoke(app, ["doctor"])
    assert "accord db upgrade" in before.output
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"empty -> {head_revision()}" in result.output
    doctor = runner.invoke(app, ["doctor"])
    assert doctor.exit_code == 0, doctor.output
    assert "failed" not in doctor.output


def test_doctor_fails_with_a_fix_when_the_database_is_unreachable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_DATABASE_URL", "postgresql://nobody:s3cr3tpw@127.0.0.1:1/none")
    result = runner.invoke(app, ["doctor"], terminal_width=200)
    assert result.exit_code == 1
    assert "failed" in result.output
    assert "ACCORD_DATABASE_URL" in result.output
    assert "s3cr3tpw" not in result.output


def test_schema_export_writes_one_versioned_schema_per_entity(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema", "export", str(tmp_path / "schemas")])
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "schemas").glob("*.json"))
    assert len(files) == len(ENTITIES) == 12
    customer = json.loads((tmp_path / "schemas" / "customer.v1.schema.json").read_text())
    assert customer["x-accord-schema-version"] == "v1"
    assert customer["$id"] == "urn:accord:schema:customer:v1"
    assert "legal_entity" in customer["required"]


def test_unknown_sandbox_names_what_exists() -> None:
    result = runner.invoke(app, ["sandbox", "credentials", "nope"])
    assert result.exit_code == 2
    assert "no sandbox named 'nope'" in result.output


def test_tokens_create_prints_the_token_once_and_stores_its_hash() -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["tokens", "create", "--role", "operator", "--name", "ops"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("acc_")
    from accord.api.tokens import digest
    from accord.settings import load_settings
    from accord.store import Database
    from accord.store.models import ApiToken

    database = Database(load_settings().effective_database_url)
    with database.session() as session:
        row = session.query(ApiToken).one()
        assert (row.name, row.role, row.token_hash) == ("ops", "operator", digest(token))
    database.dispose()
    bad = runner.invoke(app, ["tokens", "create", "--role", "root"])
    assert bad.exit_code == 2


def test_init_for_sandboxes_not_yet_running_says_what_it_could_not_do(tmp_path: Path) -> None:
    """``accord init --sandboxes`` before the sandboxes run (here: each named at a port
    nothing listens on) writes the file for every sandbox - HubSpot's switched off until
    routing names it - and says in one line that Stripe's webhook endpoint is not
    registered yet, instead of a traceback."""
    urls = {"stripe": "http", "salesforce": "https", "netsuite": "http", "hubspot": "http"}
    overrides = [arg for name, scheme in urls.items()
                 for arg in ("--sandbox", f"{name}={scheme}://127.0.0.1:{free_port()}")]
    result = runner.invoke(app, ["init", "--sandboxes", *overrides], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "stripe: webhook endpoint not registered" in result.output
    config = tomllib.loads((tmp_path / "accord.toml").read_text(encoding="utf-8"))
    assert set(urls) <= set(config["systems"])
    assert config["systems"]["hubspot"]["enabled"] is False
    assert "poll.hubspot.deals" in config["schedules"]
