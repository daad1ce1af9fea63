"""``accord refdata`` end to end on a SQLite store: export, edit, import, propose, the
second admin's approval, activation, diff, rollback, and the audit chain after it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app as cli

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def test_a_gl_change_through_the_command_line(sqlite_url: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_DATABASE_URL", sqlite_url)
    shipped = tmp_path / "v1.json"
    assert _run("refdata", "export", "--out", str(shipped))[0] == 0
    document = json.loads(shipped.read_text())
    document["skus"]["skus"]["BW-ONBOARD"]["erp_item"] = "SUBSCRIPTION"
    proposed = tmp_path / "v2.json"
    proposed.write_text(json.dumps(document))

    code, output = _run("refdata", "import", str(proposed))
    assert code == 0, output
    assert "material  skus.skus.BW-ONBOARD.erp_item: 'SERVICES' -> 'SUBSCRIPTION'" in output
    code, output = _run("refdata", "propose", str(proposed), "--as", "alice")
    assert code == 0, output
    assert "proposed version 2 (financially material" in output

    code, output = _run("refdata", "activate", "2", "--as", "alice")
    assert code == 2
    assert "second admin's approval" in output
    code, output = _run("refdata", "approve", "2", "--as", "alice")
    assert code == 2
    assert "alice proposed version 2 and cannot approve it" in output
    assert _run("refdata", "approve", "2", "--as", "bob")[0] == 0
    assert _run("refdata", "activate", "2", "--as", "bob")[0] == 0
    active = json.loads(_run("refdata", "export")[1])
    assert active["skus"]["skus"]["BW-ONBOARD"]["erp_item"] == "SUBSCRIPTION"
    code, output = _run("refdata", "diff", "2", "--against", "1")
    assert "skus.skus.BW-ONBOARD.erp_item: 'SERVICES' -> 'SUBSCRIPTION'" in output

    code, output = _run("refdata", "rollback", "--as", "carol")
    assert code == 0, output
    assert "version 2 rolled back; version 1 is active" in output
    assert "0 postings made under version 2" in output
    active = json.loads(_run("refdata", "export")[1])
    assert active["skus"]["skus"]["BW-ONBOARD"]["erp_item"] == "SERVICES"
    code, output = _run("refdata", "list")
    assert "2  rolled_back material proposed by alice, approved by bob" in output
    code, output = _run("audit", "verify")
    assert code == 0, output
    assert "audit chain intact: 5 chained rows" in output


def test_a_broken_bundle_is_refused_naming_the_field(sqlite_url: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_DATABASE_URL", sqlite_url)
    path = tmp_path / "bundle.json"
    assert _run("refdata", "export", "--out", str(path))[0] == 0
    document = json.loads(path.read_text())
    del document["skus"]["skus"]["BW-ONBOARD"]["kind"]
    path.write_text(json.dumps(document))
    code, output = _run("refdata", "propose", str(path), "--as", "alice")
    assert code == 2
    assert "skus.skus.BW-ONBOARD.kind: Field required" in output
