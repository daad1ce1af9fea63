"""Promotion of a reference-data bundle from one environment's database to another's, as an
operator does it: ``accord`` subprocesses in two folders, each with its own database (a test
environment on SQLite, a production one on the shared PostgreSQL), its own settings and its
own key. A signed bundle imports only with the right key, unmodified, from a trusted source;
production takes no unsigned bundle; the imported bundle is a proposal, audited with its
source."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from accord.store import Database
from accord.store.models import AuditLog, RefdataVersion

BIN = Path(sys.executable).parent
REFUSED = 4


@dataclass
class Site:
    """One environment: a folder with accord.toml, a data dir and a database."""

    folder: Path
    environment: str
    database_url: str

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("ACCORD_")}
        env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
                   ACCORD_ENVIRONMENT=self.environment, ACCORD_DATABASE_URL=self.database_url,
                   ACCORD_LOG_JSON="false")
        return subprocess.run(["accord", *args], cwd=self.folder, env=env, text=True,
                              capture_output=True, timeout=120, check=False)

    def trust(self, name: str, public_key: str) -> None:
        (self.folder / "accord.toml").write_text(
            f'[environments.trusted]\n{name} = "{public_key}"\n', encoding="utf-8")


def _site(root: Path, name: str, environment: str, url: str) -> Site:
    folder = root / name
    folder.mkdir()
    return Site(folder, environment, url)


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def _one_line_refusal(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == REFUSED, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert words in lines[0], result.stderr


@pytest.fixture
def sites(tmp_path: Path, postgres_url: str) -> tuple[Site, Site]:
    return (_site(tmp_path, "test-env", "test", f"sqlite:///{tmp_path / 'test-env.db'}"),
            _site(tmp_path, "production", "production", postgres_url))


def _changed_bundle(site: Site, path: Path) -> None:
    """In the test environment: a GL change proposed, approved and activated (version 2)."""
    document = json.loads(_ok(site.run("refdata", "export")))
    document["skus"]["skus"]["BW-ONBOARD"]["erp_item"] = "SUBSCRIPTION"
    path.write_text(json.dumps(document), encoding="utf-8")
    _ok(site.run("refdata", "propose", str(path), "--as", "alice"))
    _ok(site.run("refdata", "approve", "2", "--as", "bob"))
    _ok(site.run("refdata", "activate", "2", "--as", "bob"))


def test_a_signed_bundle_imports_only_with_the_right_key(sites: tuple[Site, Site],
                                                         tmp_path: Path) -> None:
    test_env, production = sites
    public = _ok(test_env.run("refdata", "keygen")).strip()
    assert (test_env.folder / ".accord" / "secrets" / "ACCORD_ENVIRONMENT_KEY").exists()
    other_public = _ok(production.run("refdata", "keygen")).strip()
    assert public != other_public

    _changed_bundle(test_env, tmp_path / "edited.json")
    signed = tmp_path / "bundle.signed.json"
    _ok(test_env.run("refdata", "export", "--sign", "--out", str(signed)))
    document = json.loads(signed.read_text())
    assert document["source"]["environment"] == "test"
    assert document["source"]["version"] == 2
    assert len(document["source"]["digest"]) == 64

    # production trusts another key under the name "test": refused
    production.trust("test", other_public)
    _one_line_refusal(production.run("refdata", "import", str(signed), "--as", "carol"),
                      "not with")
    # nobody trusted under that name: refused
    production.trust("development", public)
    _one_line_refusal(production.run("refdata", "import", str(signed), "--as", "carol"),
                      "does not trust")

    production.trust("test", public)
    tampered = tmp_path / "tampered.json"
    changed = json.loads(signed.read_text())
    changed["bundle"]["skus"]["skus"]["BW-ONBOARD"]["erp_item"] = "HARDWARE"
    tampered.write_text(json.dumps(changed))
    _one_line_refusal(production.run("refdata", "import", str(tampered), "--as", "carol"),
                      "does not match its signature")
    relabelled = tmp_path / "relabelled.json"
    changed = json.loads(signed.read_text())
    changed["source"]["version"] = 7
    relabelled.write_text(json.dumps(changed))
    _one_line_refusal(production.run("refdata", "import", str(relabelled), "--as", "carol"),
                      "does not match its signature")
    unsigned = tmp_path / "edited.json"
    _one_line_refusal(production.run("refdata", "import", str(unsigned), "--as", "carol"),
                      "only signed bundles")
    _one_line_refusal(production.run("refdata", "propose", str(unsigned), "--as", "carol"),
                      "only signed bundles")

    output = _ok(production.run("refdata", "import", str(signed), "--as", "carol"))
    assert "signature verified: test version 2" in output
    assert "proposed version 2 (financially material" in output
    # the normal approval path: not active until a second admin approves
    assert production.run("refdata", "activate", "2", "--as", "carol").returncode == 2
    _ok(production.run("refdata", "approve", "2", "--as", "dave"))
    _ok(production.run("refdata", "activate", "2", "--as", "dave"))
    active = json.loads(_ok(production.run("refdata", "export")))
    assert active["skus"]["skus"]["BW-ONBOARD"]["erp_item"] == "SUBSCRIPTION"

    database = Database(production.database_url)
    try:
        with database.session() as session:
            proposal = session.scalars(select(AuditLog).where(
                AuditLog.action == "refdata.propose")).one()
            stored = session.get(RefdataVersion, 2)
            assert stored is not None
            assert proposal.detail is not None
            assert proposal.detail["source"] == {
                "environment": "test", "version": 2, "digest": document["source"]["digest"],
                "key_id": document["signature"]["key_id"]}
            assert stored.digest == document["source"]["digest"]
    finally:
        database.dispose()
    assert "audit chain intact" in _ok(production.run("audit", "verify"))


def test_outside_production_an_unsigned_bundle_still_imports(tmp_path: Path) -> None:
    development = _site(tmp_path, "dev", "development", f"sqlite:///{tmp_path / 'dev.db'}")
    path = tmp_path / "edited.json"
    document = json.loads(_ok(development.run("refdata", "export")))
    document["skus"]["skus"]["BW-ONBOARD"]["erp_item"] = "SUBSCRIPTION"
    path.write_text(json.dumps(document), encoding="utf-8")
    output = _ok(development.run("refdata", "import", str(path)))
    assert "valid; against active version 1" in output
    result = development.run("refdata", "export", "--sign")
    assert result.returncode == 2
    assert "environment_key: not set" in result.stderr
