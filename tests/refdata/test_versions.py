"""Reference-data versions in the store: the shipped files are version 1, a material change
needs a second admin, rollback restores the previous version, every step is audited."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from accord.engine.audit import verify
from accord.refdata import versions
from accord.refdata.bundle import RefdataBundle
from accord.refdata.changes import diff
from accord.refdata.usage import record_use
from accord.refdata.versions import RefdataError, VersionStatus
from accord.store import Database, upgrade
from accord.store.models import AuditLog


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    found = Database(database_url)
    upgrade(found.engine)
    try:
        yield found
    finally:
        found.dispose()


def _onboarding_as(item: str) -> RefdataBundle:
    """The shipped bundle with the onboarding SKU posted as another ERP item (another
    income account)."""
    shipped = RefdataBundle.from_files()
    skus = dict(shipped.skus.skus)
    skus["BW-ONBOARD"] = skus["BW-ONBOARD"].model_copy(update={"erp_item": item})
    return shipped.model_copy(update={"skus": shipped.skus.model_copy(update={"skus": skus})})


def _renamed() -> RefdataBundle:
    shipped = RefdataBundle.from_files()
    skus = dict(shipped.skus.skus)
    skus["BW-ONBOARD"] = skus["BW-ONBOARD"].model_copy(update={"name": "Onboarding"})
    return shipped.model_copy(update={"skus": shipped.skus.model_copy(update={"skus": skus})})


def test_without_stored_versions_the_shipped_files_are_version_1(database: Database) -> None:
    with database.session() as session:
        found = versions.active(session)
    assert found.version == 1
    assert found.bundle == RefdataBundle.from_files()


def test_a_material_change_needs_a_second_admin(database: Database) -> None:
    with database.session() as session:
        proposal = versions.propose(session, _onboarding_as("SUBSCRIPTION"), by="alice")
    assert proposal.version == 2
    assert proposal.material
    assert [c.describe() for c in proposal.changes] == [
        "skus.skus.BW-ONBOARD.erp_item: 'SERVICES' -> 'SUBSCRIPTION'"]
    with database.session() as session, pytest.raises(RefdataError, match="second admin"):
        versions.activate(session, 2, by="alice")
    with database.session() as session, pytest.raises(RefdataError, match="cannot approve"):
        versions.approve(session, 2, by="alice")
    with database.session() as session:
        assert versions.active(session).version == 1
        versions.approve(session, 2, by="bob")
    with database.session() as session:
        versions.activate(session, 2, by="alice")
    with database.session() as session:
        found = versions.active(session)
        assert found.version == 2
        assert found.bundle.skus.erp_item("BW-ONBOARD") == "SUBSCRIPTION"
        statuses = {row.number: row.status for row in versions.history(session)}
    assert statuses == {1: VersionStatus.SUPERSEDED, 2: VersionStatus.ACTIVE}


def test_a_change_that_moves_no_money_needs_no_approval(database: Database) -> None:
    with database.session() as session:
        proposal = versions.propose(session, _renamed(), by="alice")
    assert not proposal.material
    with database.session() as session:
        versions.activate(session, proposal.version, by="alice")
    with database.session() as session:
        assert versions.active(session).bundle.skus.entry("BW-ONBOARD").name == "Onboarding"


def test_rollback_restores_the_previous_version_and_lists_its_postings(
        database: Database) -> None:
    with database.session() as session:
        versions.propose(session, _onboarding_as("SUBSCRIPTION"), by="alice")
        versions.approve(session, 2, by="bob")
        versions.activate(session, 2, by="bob")
        record_use(session, canonical_id="inv_x", entity_type="invoice", system="erp-a",
                   system_id="77", version=2)
        record_use(session, canonical_id="inv_x", entity_type="invoice", system="erp-a",
                   system_id="77", version=2)  # a replayed step: one row
    with database.session() as session:
        done = versions.rollback(session, by="carol")
        assert (done.rolled_back, done.restored) == (2, 1)
        assert [(use.canonical_id, use.system_id) for use in done.affected] == [("inv_x", "77")]
        assert [c.describe() for c in done.changes] == [
            "skus.skus.BW-ONBOARD.erp_item: 'SUBSCRIPTION' -> 'SERVICES'"]
    with database.session() as session:
        assert versions.active(session).bundle.skus.erp_item("BW-ONBOARD") == "SERVICES"
        assert versions.get(session, 2).status == VersionStatus.ROLLED_BACK
        with pytest.raises(RefdataError, match="nothing to roll back"):
            versions.rollback(session, by="carol")


def test_every_step_is_in_the_audit_chain(database: Database) -> None:
    with database.session() as session:
        versions.propose(session, _onboarding_as("SUBSCRIPTION"), by="alice")
        versions.approve(session, 2, by="bob")
        versions.activate(session, 2, by="bob")
        versions.rollback(session, by="carol")
    with database.session() as session:
        rows = [(row.action, row.actor, row.target_id) for row in
                session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert rows == [("refdata.record_shipped", "shipped files", "1"),
                    ("refdata.propose", "alice", "2"), ("refdata.approve", "bob", "2"),
                    ("refdata.activate", "bob", "2"), ("refdata.rollback", "carol", "2")]
    assert verify(database).intact


def test_a_bundle_with_a_missing_price_is_refused_naming_the_field(
        database: Database) -> None:
    shipped = RefdataBundle.from_files()
    skus = dict(shipped.skus.skus)
    skus["BW-ONBOARD"] = skus["BW-ONBOARD"].model_copy(update={"prices": {"USD": Decimal(1)}})
    broken = shipped.model_copy(update={"skus": shipped.skus.model_copy(update={"skus": skus})})
    with database.session() as session, pytest.raises(ValueError,
                                                      match=r"skus\.skus\.BW-ONBOARD\.prices"):
        versions.propose(session, broken, by="alice")


def test_a_price_change_is_material_and_a_name_is_not() -> None:
    shipped = RefdataBundle.from_files()
    assert diff(shipped, shipped) == []
    (renamed,) = diff(shipped, _renamed())
    assert not renamed.material
    (moved,) = diff(shipped, _onboarding_as("USAGE"))
    assert moved.material
    assert moved.section == "skus"


def test_the_refdata_tables_migrate_up_and_down(database_url: str) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from accord.store.migrate import alembic_config
    from accord.store.models import Base

    found = Database(database_url)
    try:
        upgrade(found.engine)
        with found.engine.connect() as connection:  # the models and the migration agree
            drift = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert [d for d in drift if "refdata" in repr(d)] == []
        command.downgrade(alembic_config(found.engine), "0014")
        assert not {"refdata_version", "refdata_use"} & set(inspect(found.engine).get_table_names())
        upgrade(found.engine)
        with found.session() as session:
            assert versions.active(session).version == 1
    finally:
        found.dispose()
