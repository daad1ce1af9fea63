"""Promotion of a reference-data bundle from one environment's database to another's, as an
operator does it: ``accord`` subprocesses in two folders, each with its own database (a test
environment on SQLite, a production one on the shared PostgreSQL), its own settings and its
own key. A signed bundle imports only with the right key, unmodified, from a trusted source;
production takes no unsigned bundle; the imported bundle is a proposal, audited with its
source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from accord.store import Database
from accord.store.models import AuditLog, RefdataVersion
from tests.environments.support import Site, ok, refused, site


def _trust(where: Site, name: str, public_key: str) -> None:
    where.config(f'[environments.trusted]\n{name} = "{public_key}"\n')


@pytest.fixture
def sites(tmp_path: Path, postgres_url: str) -> tuple[Site, Site]:
    return (site(tmp_path, "test-env", ACCORD_ENVIRONMENT="test",
                 ACCORD_DATABASE_URL=f"sqlite:///{tmp_path / 'test-env.db'}"),
            site(tmp_path, "production", ACCORD_ENVIRONMENT="production",
                 ACCORD_DATABASE_URL=postgres_url))


def _changed_bundle(where: Site, path: Path) -> None:
    """In the test environment: a GL change proposed, approved and activated (version 2)."""
    document = json.loads(ok(where.run("refdata", "export")))
    document["skus"]["skus"]["BW-ONBOARD"]["erp_item"] = "SUBSCRIPTION"
    path.write_text(json.dumps(document), encoding="utf-8")
    ok(where.run("refdata", "propose", str(path), "--as", "alice"))
    ok(where.run("refdata", "approve", "2", "--as", "bob"))
    ok(where.run("refdata", "activate", "2", "--as", "bob"))


def test_a_signed_bundle_imports_only_with_the_right_key(sites: tuple[Site, Site],
                                                         tmp_path: Path) -> None:
    test_env, production = sites
    public = ok(test_env.run("refdata", "keygen")).strip()
    assert (test_env.folder / ".accord" / "secrets" / "ACCORD_ENVIRONMENT_KEY").exists()
    other_public = ok(production.run("refdata", "keygen")).strip()
    assert public != other_public

    _changed_bundle(test_env, tmp_path / "edited.json")
    signed = tmp_path / "bundle.signed.json"
    ok(test_env.run("refdata", "export", "--sign", "--out", str(signed)))
    document = json.loads(signed.read_text())
    assert document["source"]["environment"] == "test"
    assert document["source"]["version"] == 2
    assert len(document["source"]["digest"]) == 64

    # production trusts another key under the name "test": refused
    _trust(production, "test", other_public)
    refused(production.run("refdata", "import", str(signed), "--as", "carol"),
                      "not with")
    # nobody trusted under that name: refused
    _trust(production, "development", public)
    refused(production.run("refdata", "import", str(signed), "--as", "carol"),
                      "does not trust")

    _trust(production, "test", public)
    tampered = tmp_path / "tampered.json"
    changed = json.loads(signed.read_text())
    changed["bundle"]["skus"]["skus"]["BW-ONBOARD"]["erp_item"] = "HARDWARE"
    tampered.write_text(json.dumps(changed))
    refused(production.run("refdata", "import", str(tampered), "--as", "carol"),
                      "does not match its signature")
    relabelled = tmp_path / "relabelled.json"
    changed = json.loads(signed.read_text())
    changed["source"]["version"] = 7
    relabelled.write_text(json.dumps(changed))
    refused(production.run("refdata", "import", str(relabelled), "--as", "carol"),
                      "does not match its signature")
    unsigned = tmp_path / "edited.json"
    refused(production.run("refdata", "import", str(unsigned), "--as", "carol"),
                      "only signed bundles")
    refused(production.run("refdata", "propose", str(unsigned), "--as", "carol"),
                      "only signed bundles")

    output = ok(production.run("refdata", "import", str(signed), "--as", "carol"))
    assert "signature verified: test version 2" in output
    assert "proposed version 2 (financially material" in output
    # the normal approval path: not active until a second admin approves
    assert production.run("refdata", "activate", "2", "--as", "carol").returncode == 2
    ok(production.run("refdata", "approve", "2", "--as", "dave"))
    ok(production.run("refdata", "activate", "2", "--as", "dave"))
    active = json.loads(ok(production.run("refdata", "export")))
    assert active["skus"]["skus"]["BW-ONBOARD"]["erp_item"] == "SUBSCRIPTION"

    database = Database(production.settings["ACCORD_DATABASE_URL"])
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
    assert "audit chain intact" in ok(production.run("audit", "verify"))


def test_outside_production_an_unsigned_bundle_still_imports(tmp_path: Path) -> None:
    development = site(tmp_path, "dev", ACCORD_DATABASE_URL=f"sqlite:///{tmp_path / 'dev.db'}")
    path = tmp_path / "edited.json"
    document = json.loads(ok(development.run("refdata", "export")))
    document["skus"]["skus"]["BW-ONBOARD"]["erp_item"] = "SUBSCRIPTION"
    path.write_text(json.dumps(document), encoding="utf-8")
    output = ok(development.run("refdata", "import", str(path)))
    assert "valid; against active version 1" in output
    result = development.run("refdata", "export", "--sign")
    assert result.returncode == 2
    assert "environment_key: not set" in result.stderr
