"""The store migrates identically on SQLite and PostgreSQL, and the database itself refuses
duplicate inbox keys and duplicate xref entries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from accord.engine.timeline import StepOutcome
from accord.store import Database, current_revision, head_revision, upgrade
from accord.store.models import (
    BusinessKey,
    ExceptionRecord,
    GoldenRecord,
    InboxEntry,
    PollCursor,
    TimelineEntry,
    Xref,
)

TABLES = {"inbox", "inbox_delivery", "golden_record", "xref", "timeline", "business_key",
          "exception", "audit_log", "outbox", "poll_cursor"}


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    upgrade(database.engine)
    yield database
    database.dispose()


def test_migrations_create_every_table_at_head(db: Database) -> None:
    assert set(inspect(db.engine).get_table_names()) >= TABLES
    assert current_revision(db.engine) == head_revision()
    upgrade(db.engine)  # a second upgrade is a no-op
    assert current_revision(db.engine) == head_revision()


def test_sqlite_runs_in_wal_mode(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    database.dispose()


def inbox(system: str = "stripe", event_id: str = "evt_1") -> InboxEntry:
    return InboxEntry(system=system, external_event_id=event_id, event_type="invoice.finalized",
                      payload={"id": event_id})


def test_duplicate_inbox_key_is_refused_by_the_database(db: Database) -> None:
    with db.session() as session:
        session.add(inbox())
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(inbox())
    # Bypass the ORM entirely: the constraint lives in the schema.
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO inbox (system, external_event_id, event_type, payload, received_at, "
            "status, delivery_count) VALUES ('stripe', 'evt_1', 'x', '{}', CURRENT_TIMESTAMP, "
            "'received', 1)"))
    with db.session() as session:
        session.add(inbox(event_id="evt_2"))
        session.add(inbox(system="salesforce"))
    with db.session() as session:
        assert len(session.scalars(select(InboxEntry)).all()) == 3


def xref(canonical_id: str, system: str, system_id: str) -> Xref:
    return Xref(canonical_id=canonical_id, entity_type="customer", system=system,
                system_id=system_id)


def test_duplicate_xref_entries_are_refused_by_the_database(db: Database) -> None:
    with db.session() as session:
        session.add(xref("cus_A", "stripe", "cus_111"))
        session.add(xref("cus_A", "netsuite", "42"))
    # the same system id cannot point at a second canonical id ...
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(xref("cus_B", "stripe", "cus_111"))
    # ... and a canonical id has one id per system
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(xref("cus_A", "stripe", "cus_222"))
    with db.session() as session:
        rows = session.scalars(select(Xref).order_by(Xref.system)).all()
        assert [(r.system, r.system_id) for r in rows] == [("netsuite", "42"),
                                                           ("stripe", "cus_111")]


def test_golden_records_are_versioned(db: Database) -> None:
    with db.session() as session:
        for version in (1, 2):
            session.add(GoldenRecord(canonical_id="cus_A", entity_type="customer",
                                     version=version, data={"legal_name": f"v{version}"},
                                     field_sources={"legal_name": {"system": "salesforce"}}))
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(GoldenRecord(canonical_id="cus_A", entity_type="customer", version=2,
                                 data={}, field_sources={}))
    with db.session() as session:
        latest = session.scalars(select(GoldenRecord).order_by(GoldenRecord.version.desc())
                                 ).first()
        assert latest is not None
        assert latest.data == {"legal_name": "v2"}


def test_timeline_is_found_by_any_business_key(db: Database) -> None:
    with db.session() as session:
        session.add(TimelineEntry(correlation_id="c1", flow="q2c", step="create_customer",
                                  system="stripe", action="customers.create",
                                  outcome=StepOutcome.SUCCEEDED))
        session.add(BusinessKey(correlation_id="c1", kind="opportunity_id", value="006A"))
        session.add(BusinessKey(correlation_id="c1", kind="invoice_number", value="INV-9"))
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(BusinessKey(correlation_id="c1", kind="invoice_number", value="INV-9"))
    with db.session() as session:
        found = session.scalars(
            select(TimelineEntry.step).join(
                BusinessKey, BusinessKey.correlation_id == TimelineEntry.correlation_id)
            .where(BusinessKey.value == "INV-9")).all()
        assert found == ["create_customer"]


def test_exceptions_dedupe_by_fingerprint_and_cursors_by_stream(db: Database) -> None:
    with db.session() as session:
        session.add(ExceptionRecord(fingerprint="dq:cus_A:tax_id", kind="data_quality",
                                    owner="master_data", reason="tax_id: missing"))
        session.add(PollCursor(system="salesforce", stream="Opportunity", cursor="t1"))
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(ExceptionRecord(fingerprint="dq:cus_A:tax_id", kind="data_quality",
                                    owner="master_data", reason="again"))
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(PollCursor(system="salesforce", stream="Opportunity", cursor="t2"))


def test_timestamps_come_back_timezone_aware(db: Database) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    berlin = timezone(timedelta(hours=1))
    with db.session() as session:
        session.add(TimelineEntry(correlation_id="c", flow="f", step="s", action="a",
                                  outcome=StepOutcome.SUCCEEDED,
                                  occurred_at=datetime(2026, 1, 1, 13, tzinfo=berlin)))
    with db.session() as session:
        entry = session.scalars(select(TimelineEntry)).one()
        assert entry.occurred_at == datetime(2026, 1, 1, 12, tzinfo=UTC)
        assert entry.occurred_at.tzinfo is not None
    with pytest.raises(Exception, match="timezone-aware"), db.session() as session:
        session.add(TimelineEntry(correlation_id="c", flow="f", step="s", action="a",
                                  outcome=StepOutcome.SUCCEEDED, occurred_at=datetime(2026, 1, 1)))


def test_the_timeline_milestone_column_migrates_up_and_down(database_url: str) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from accord.engine.timeline import Milestone, StepRecord, record_step
    from accord.store.migrate import alembic_config
    from accord.store.models import Base

    database = Database(database_url)
    try:
        upgrade(database.engine, "0007")
        with database.engine.begin() as connection:  # a row written before the column
            connection.execute(text(
                "INSERT INTO timeline (correlation_id, flow, step, action, outcome, attempt, "
                "occurred_at) VALUES ('old', 'f', 's', 'a', 'succeeded', 1, "
                "'2026-01-01 00:00:00')"))
        upgrade(database.engine)
        columns = {c["name"]: c for c in inspect(database.engine).get_columns("timeline")}
        assert columns["milestone"]["nullable"]
        record_step(database, StepRecord(
            correlation_id="new", workflow_id=None, flow="f", step="erp.post_invoice",
            system="erp", action="post_invoice", outcome=StepOutcome.SUCCEEDED, attempt=1,
            latency_ms=None, milestone=Milestone.INVOICE_POSTED))
        with database.session() as session:
            assert dict(session.execute(select(TimelineEntry.correlation_id,
                                               TimelineEntry.milestone)).all()) == {
                "old": None, "new": "invoice_posted"}
        with database.engine.connect() as connection:  # the model and the migrations agree
            drift = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert [d for d in drift if "timeline" in repr(d)] == []
        command.downgrade(alembic_config(database.engine), "0007")
        assert "milestone" not in {c["name"] for c in
                                   inspect(database.engine).get_columns("timeline")}
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(TimelineEntry.__table__)
                                  ) == 2
    finally:
        database.dispose()
