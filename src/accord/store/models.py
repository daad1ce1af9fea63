"""accord's own tables (DBOS keeps its tables beside them in the same database).

| table          | holds                                                                   |
|----------------|-------------------------------------------------------------------------|
| inbox          | one row per inbound event, unique per (system, external event id)       |
| inbox_delivery | every delivery of an inbound event, duplicates (and conflicts) included  |
| golden_record  | versioned merged views of canonical entities, with each field's source  |
| xref           | canonical id <-> system id; one id per system each way                  |
| timeline       | one row per step attempt: outcome, milestone reached, keyed by correlation id |
| business_key   | (correlation id, key kind, key value) to find timelines by any key      |
| exception      | records that need a person, with owner team and context                 |
| audit_log      | who (token id) did what to what, and when; a hash chain                 |
| outbox         | domain events waiting to be published                                   |
| poll_cursor    | durable change-poll positions per (system, stream)                      |
| match_key      | normalized matching keys (tax id, domain, name) per canonical entity     |
| write_ledger   | the values accord last wrote to each system record (echo detection)     |
| api_token      | API tokens (SHA-256 of the token only) with a role, unique name, expiry |
| console_session | console sign-ins: SHA-256 of the cookie's session id, token, expiry    |
| recon_run      | one reconciliation run: scope, status, control totals                   |
| recon_difference | each difference a run found, with its class, owner and exception      |
| trace_span     | finished spans of the local trace store (one row per span)              |
| notification   | each message sent to an owner (e-mail, webhook) about an exception or SLA |
| refdata_version | versioned reference-data bundles: proposed, approved, active, rolled back |
| refdata_use    | which reference-data version each ERP posting was mapped under          |
| revenue_schedule | one per deferred invoice line: SKU, accounts, total (minor units)      |
| revenue_entry  | a schedule's amount per period, and the journal that recognized it       |
| revenue_change | each credit applied to a schedule (once per schedule and document)      |
| revenue_recognition | the one recognition journal per period, legal entity and currency  |
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from accord.store.sealing import BlindIndex, SealedJSON, SealedText

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; elsewhere use 64-bit ids.
Id = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite keeps no zone; values come back aware)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON}


class InboxEntry(Base):
    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("system", "external_event_id"),
                      Index("ix_inbox_status_id", "status", "id"))

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    system: Mapped[str] = mapped_column(String(40))
    external_event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(SealedJSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    occurred_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="received")
    workflow_id: Mapped[str | None] = mapped_column(String(255))
    delivery_count: Mapped[int] = mapped_column(Integer, default=1)
    traceparent: Mapped[str | None] = mapped_column(
        String(55), comment="W3C trace context of the event's trace (CloudEvents extension)")


class InboxDelivery(Base):
    __tablename__ = "inbox_delivery"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inbox.id", ondelete="CASCADE"), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    duplicate: Mapped[bool] = mapped_column(default=False)
    conflict: Mapped[bool] = mapped_column(
        default=False, server_default=false(),
        comment="a duplicate whose body differs from the first delivery's")


class GoldenRecord(Base):
    __tablename__ = "golden_record"
    __table_args__ = (UniqueConstraint("canonical_id", "version"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    canonical_id: Mapped[str] = mapped_column(String(40), index=True)
    entity_type: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(SealedJSON)
    field_sources: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, comment="field -> {system, changed_at}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    caused_by: Mapped[str | None] = mapped_column(String(255), comment="correlation id")


class Xref(Base):
    __tablename__ = "xref"
    __table_args__ = (
        UniqueConstraint("system", "entity_type", "system_id"),
        UniqueConstraint("canonical_id", "system"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    canonical_id: Mapped[str] = mapped_column(String(40), index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    system: Mapped[str] = mapped_column(String(40))
    system_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TimelineEntry(Base):
    __tablename__ = "timeline"
    __table_args__ = (Index("ix_timeline_milestone", "milestone", "occurred_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    correlation_id: Mapped[str] = mapped_column(String(255), index=True)
    workflow_id: Mapped[str | None] = mapped_column(String(255), index=True)
    flow: Mapped[str] = mapped_column(String(80))
    step: Mapped[str] = mapped_column(String(120))
    system: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(20))
    milestone: Mapped[str | None] = mapped_column(
        String(40), comment="accord.engine.timeline.Milestone the step reached")
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(80))
    error_message: Mapped[str | None] = mapped_column(SealedText)
    detail: Mapped[dict[str, Any] | None] = mapped_column(SealedJSON)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class BusinessKey(Base):
    __tablename__ = "business_key"
    __table_args__ = (
        UniqueConstraint("correlation_id", "kind", "value"),
        Index("ix_business_key_kind_value", "kind", "value"),
        Index("ix_business_key_value", "value"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    correlation_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(255))


class ExceptionRecord(Base):
    __tablename__ = "exception"
    __table_args__ = (UniqueConstraint("fingerprint"), Index("ix_exception_status_owner",
                                                             "status", "owner"))

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(255),
                                             comment="dedup key: one open record per problem")
    kind: Mapped[str] = mapped_column(String(40))
    owner: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="open")
    system: Mapped[str | None] = mapped_column(String(40))
    entity_type: Mapped[str | None] = mapped_column(String(40))
    record_ref: Mapped[str | None] = mapped_column(String(255))
    field: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(SealedText)
    system_said: Mapped[str | None] = mapped_column(SealedText)
    error: Mapped[dict[str, Any] | None] = mapped_column(SealedJSON)
    correlation_id: Mapped[str | None] = mapped_column(String(255), index=True)
    workflow_id: Mapped[str | None] = mapped_column(String(255))
    step: Mapped[str | None] = mapped_column(String(120))
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(SealedText)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(255))
    detail: Mapped[dict[str, Any] | None] = mapped_column(SealedJSON)
    token_id: Mapped[int | None] = mapped_column(
        BigInteger, comment="the API token of the person who acted")
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(
        String(64), comment="sha256 of the row's content and prev_hash")


class OutboxEvent(Base):
    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("event_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str | None] = mapped_column(String(64))
    envelope: Mapped[dict[str, Any]] = mapped_column(SealedJSON,
                                                     comment="CloudEvents structured JSON")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(index=True)


class PollCursor(Base):
    __tablename__ = "poll_cursor"

    system: Mapped[str] = mapped_column(String(40), primary_key=True)
    stream: Mapped[str] = mapped_column(String(80), primary_key=True)
    cursor: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MatchKey(Base):
    __tablename__ = "match_key"
    __table_args__ = (
        UniqueConstraint("entity_type", "kind", "value", "canonical_id"),
        Index("ix_match_key_lookup", "entity_type", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    canonical_id: Mapped[str] = mapped_column(String(40), index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(BlindIndex, comment="keyed HMAC of the normalised key")


class WriteLedger(Base):
    __tablename__ = "write_ledger"
    __table_args__ = (UniqueConstraint("system", "entity_type", "system_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    system: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40))
    system_id: Mapped[str] = mapped_column(String(255))
    values: Mapped[dict[str, Any]] = mapped_column(SealedJSON,
                                                   comment="field -> value accord wrote")
    written_at: Mapped[datetime] = mapped_column(default=utcnow)
    correlation_id: Mapped[str | None] = mapped_column(String(255))


class ApiToken(Base):
    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("token_hash"), UniqueConstraint("name"))

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), comment="sha256 hex of the token")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    scopes: Mapped[str | None] = mapped_column(
        String(200), comment="comma-separated scopes; null: every scope the role allows")


class ConsoleSession(Base):
    __tablename__ = "console_session"
    __table_args__ = (UniqueConstraint("session_hash"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    session_hash: Mapped[str] = mapped_column(
        String(64), comment="sha256 hex of the session id in the cookie")
    token_id: Mapped[int] = mapped_column(Id, ForeignKey("api_token.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class ReconRun(Base):
    __tablename__ = "recon_run"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    period: Mapped[str | None] = mapped_column(String(7))
    systems: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    totals: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    difference_count: Mapped[int] = mapped_column(Integer, default=0)


class ReconDifference(Base):
    __tablename__ = "recon_difference"
    __table_args__ = (UniqueConstraint("run_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("recon_run.id", ondelete="CASCADE"),
                                        index=True)
    fingerprint: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(255))
    source_system: Mapped[str] = mapped_column(String(40))
    target_system: Mapped[str] = mapped_column(String(40))
    expected: Mapped[str | None] = mapped_column(String(255))
    actual: Mapped[str | None] = mapped_column(String(255))
    owner: Mapped[str] = mapped_column(String(40))
    exception_id: Mapped[int | None] = mapped_column(Integer)


class TraceSpan(Base):
    __tablename__ = "trace_span"
    __table_args__ = (UniqueConstraint("trace_id", "span_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    trace_id: Mapped[str] = mapped_column(String(32), index=True)
    span_id: Mapped[str] = mapped_column(String(16))
    parent_span_id: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))
    system: Mapped[str | None] = mapped_column(String(40))
    correlation_id: Mapped[str | None] = mapped_column(String(255), index=True)
    started_at: Mapped[datetime] = mapped_column(index=True)
    duration_us: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), comment="unset, ok or error")
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    events: Mapped[dict[str, Any] | None] = mapped_column(JSON, comment="{'events': [...]}")


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("dedup_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(255),
                                           comment="one message per (reason, subject, channel)")
    reason: Mapped[str] = mapped_column(String(20), comment="new, aging, breach, escalation, "
                                        "sla_breach")
    owner: Mapped[str] = mapped_column(String(40), index=True)
    channel: Mapped[str] = mapped_column(String(20), comment="email or webhook")
    recipient: Mapped[str] = mapped_column(String(255),
                                           comment="addresses, or the webhook's name (never "
                                           "its URL)")
    exception_id: Mapped[int | None] = mapped_column(Integer, index=True)
    subject: Mapped[str] = mapped_column(String(255))
    digest: Mapped[int] = mapped_column(Integer, default=0,
                                        comment="exceptions in the digest it was part of; 0 "
                                        "alone")
    status: Mapped[str] = mapped_column(String(10), default="sent")
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "ApiToken",
    "AuditLog",
    "Base",
    "BusinessKey",
    "ConsoleSession",
    "EnvironmentMark",
    "ExceptionRecord",
    "GoldenRecord",
    "InboxDelivery",
    "InboxEntry",
    "MatchKey",
    "Notification",
    "OutboxEvent",
    "PollCursor",
    "ReconDifference",
    "ReconRun",
    "TimelineEntry",
    "TraceSpan",
    "WriteLedger",
    "Xref",
]


class RefdataVersion(Base):
    """One version of the reference-data bundle (SKU mapping, legal entities, routing,
    ownership policy). Version 1 is the shipped files; later ones are proposed, approved by
    a second admin when financially material, then activated (:mod:`accord.refdata`)."""

    __tablename__ = "refdata_version"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64), comment="sha256 of the canonical document")
    status: Mapped[str] = mapped_column(String(20), comment="accord.refdata.VersionStatus")
    material: Mapped[bool] = mapped_column(default=False, server_default=false())
    based_on: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(120))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(120))
    approved_at: Mapped[datetime | None]
    activated_by: Mapped[str | None] = mapped_column(String(120))
    activated_at: Mapped[datetime | None]


class RefdataUse(Base):
    """An ERP posting and the reference-data version its mapping used (one row per posting
    and version: a correction re-posted under another version adds a row)."""

    __tablename__ = "refdata_use"
    __table_args__ = (UniqueConstraint("canonical_id", "system", "version"),
                      Index("ix_refdata_use_version", "version"))

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    canonical_id: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40))
    system: Mapped[str] = mapped_column(String(40))
    system_id: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    correlation_id: Mapped[str | None] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class EnvironmentMark(Base):
    """The environment this database was made for (one row, written at its first start or
    by ``accord data mask-copy``). A command whose settings name another environment is
    refused (:mod:`accord.store.environment`)."""

    __tablename__ = "environment_mark"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    environment: Mapped[str] = mapped_column(String(20),
                                             comment="accord.settings.Environment")
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
    masked_from: Mapped[str | None] = mapped_column(
        String(255), comment="a masked copy: the database it was copied from (no password)")
    masked_at: Mapped[datetime | None]


class RevenueScheduleRow(Base):
    """A deferred invoice line's revenue schedule (``accord.revenue``); amounts in minor units
    of ``currency``."""

    __tablename__ = "revenue_schedule"
    __table_args__ = (Index("ix_revenue_schedule_invoice_id", "invoice_id"),
                      Index("ix_revenue_schedule_legal_entity_currency", "legal_entity",
                            "currency"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(40))
    line: Mapped[int] = mapped_column(Integer)
    product_sku: Mapped[str] = mapped_column(String(64))
    legal_entity: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    recognition: Mapped[str] = mapped_column(String(20), comment="accord.canonical.Recognition")
    deferred_account: Mapped[str] = mapped_column(String(40))
    revenue_account: Mapped[str] = mapped_column(String(40))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    service_start: Mapped[date]
    service_end: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RevenueEntryRow(Base):
    """One period's amount of a schedule; ``recognized_in`` is the recognition journal's
    canonical id once recognized (then the row never changes)."""

    __tablename__ = "revenue_entry"
    __table_args__ = (Index("ix_revenue_entry_schedule_id", "schedule_id"),
                      Index("ix_revenue_entry_recognized_in", "recognized_in"))

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    schedule_id: Mapped[str] = mapped_column(ForeignKey("revenue_schedule.id"))
    period: Mapped[str] = mapped_column(String(7))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    recognized_in: Mapped[str | None] = mapped_column(String(40))


class RevenueChangeRow(Base):
    """A document (credit note) that changed a schedule's total, applied once."""

    __tablename__ = "revenue_change"
    __table_args__ = (UniqueConstraint("schedule_id", "document_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    schedule_id: Mapped[str] = mapped_column(ForeignKey("revenue_schedule.id"))
    document_id: Mapped[str] = mapped_column(String(40))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    effective: Mapped[date]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class RevenueRecognitionRow(Base):
    """The recognition journal of one period, legal entity and currency, posted once."""

    __tablename__ = "revenue_recognition"
    __table_args__ = (UniqueConstraint("period", "legal_entity", "currency"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(7))
    legal_entity: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    journal_id: Mapped[str] = mapped_column(String(40))
    system: Mapped[str] = mapped_column(String(40))
    system_id: Mapped[str] = mapped_column(String(255))
    recognized_at: Mapped[datetime] = mapped_column(default=utcnow)
