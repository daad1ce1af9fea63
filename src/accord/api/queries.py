"""Read models over the store, shared by the API routes and the console pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from accord.api.masking import MASK, is_personal, scrub, scrub_exception, scrub_text
from accord.api.schemas import (
    CountBy,
    Customer360,
    CustomerRow,
    ExceptionDetail,
    ExceptionSummary,
    FieldView,
    Kpis,
    NotificationView,
    Step,
    StepDetail,
    StepPage,
    StepRow,
    TimelineAnswer,
    Trace,
)
from accord.canonical.ids import EntityType
from accord.engine.exception_queue import ExceptionStatus, ExceptionView
from accord.engine.inbox import PENDING_STATUSES
from accord.engine.timeline import Milestone, StepOutcome
from accord.errors import DataQualityError
from accord.reconcile.runs import explained_by
from accord.registry import GoldenRecords, Xrefs
from accord.registry.ownership import OwnershipPolicy
from accord.store.models import (
    BusinessKey,
    ExceptionRecord,
    GoldenRecord,
    InboxEntry,
    Notification,
    TimelineEntry,
)

PENDING_INBOX = PENDING_STATUSES
_S = TypeVar("_S", bound=Step)


def search_timeline(session: Session, q: str, kind: str | None = None,
                    limit: int = 20, *, mask: bool = True) -> TimelineAnswer:
    """Traces whose business keys (or correlation/workflow id) equal ``q``, oldest first."""
    keyed = select(BusinessKey.correlation_id).where(BusinessKey.value == q)
    if kind:
        keyed = keyed.where(BusinessKey.kind == kind)
    correlation_ids = set(session.scalars(keyed.limit(limit)))
    if not kind:
        correlation_ids.update(session.scalars(select(TimelineEntry.correlation_id).where(
            or_(TimelineEntry.correlation_id == q, TimelineEntry.workflow_id == q)).limit(1)))
    traces = [trace(session, cid, mask=mask) for cid in sorted(correlation_ids)]
    latest = datetime.max.replace(tzinfo=UTC)
    traces.sort(key=lambda t: t.steps[0].occurred_at if t.steps else latest)
    return TimelineAnswer(query=q, traces=traces)


def _shown(step: _S, mask: bool) -> _S:
    """A step as displayed: its error message scrubbed (secrets; e-mails for viewers)."""
    if step.error_message is None:
        return step
    return step.model_copy(update={"error_message": scrub_text(step.error_message,
                                                                mask_personal=mask)})


def trace(session: Session, correlation_id: str, *, mask: bool = True) -> Trace:
    keys: dict[str, list[str]] = {}
    for key in session.scalars(select(BusinessKey).where(
            BusinessKey.correlation_id == correlation_id).order_by(BusinessKey.kind,
                                                                   BusinessKey.value)):
        keys.setdefault(key.kind, []).append(key.value)
    rows = session.scalars(select(TimelineEntry).where(
        TimelineEntry.correlation_id == correlation_id).order_by(TimelineEntry.occurred_at,
                                                                 TimelineEntry.id))
    steps = [_shown(Step.model_validate(row, from_attributes=True), mask) for row in rows]
    return Trace(correlation_id=correlation_id, keys=keys, steps=steps)


def customer_360(session: Session, policy: OwnershipPolicy,
                 canonical_id: str, *, mask: bool = False) -> Customer360 | None:
    """The golden record, each field with its owner; ``mask`` hides personal data (for
    viewers, see :mod:`accord.api.masking`)."""
    view = GoldenRecords(session, policy).current(canonical_id)
    if view is None or view.entity_type is not EntityType.CUSTOMER:
        return None
    stage = "active" if view.data.get("status") == "active" else None
    fields = {}
    for name, value in sorted(view.data.items()):
        source = view.field_sources.get(name, {})
        hidden = mask and is_personal(name)
        fields[name] = FieldView(value=MASK if hidden else value, masked=hidden,
                                 owner=policy.owner_of(EntityType.CUSTOMER, name, stage),
                                 source=source.get("system"), changed_at=source.get("changed_at"))
    return Customer360(canonical_id=canonical_id, version=view.version, fields=fields,
                       ids=Xrefs(session).ids_for(canonical_id),
                       open_exceptions=list_exceptions(
                           session, ExceptionFilter(record_ref=canonical_id), mask=mask))


def list_customers(session: Session, q: str = "", limit: int = 200) -> list[CustomerRow]:
    """Customers by legal name (the current version of each golden record); ``q`` keeps
    those whose name or canonical id contains it (case-insensitive)."""
    latest = select(GoldenRecord.canonical_id, func.max(GoldenRecord.version).label("version")
                    ).where(GoldenRecord.entity_type == EntityType.CUSTOMER.value
                            ).group_by(GoldenRecord.canonical_id).subquery()
    rows = session.scalars(select(GoldenRecord).join(latest, (
        GoldenRecord.canonical_id == latest.c.canonical_id) & (
        GoldenRecord.version == latest.c.version)))
    found = []
    needle = q.strip().casefold()
    for row in rows:
        name = row.data.get("legal_name")
        if needle and needle not in f"{name or ''} {row.canonical_id}".casefold():
            continue
        found.append(CustomerRow(
            canonical_id=row.canonical_id, legal_name=name,
            legal_entity=row.data.get("legal_entity"), currency=row.data.get("currency"),
            status=row.data.get("status"), version=row.version))
    found.sort(key=lambda c: ((c.legal_name or "").casefold(), c.canonical_id))
    return found[:limit]


def list_steps(session: Session, *, outcome: StepOutcome | None = None,
               milestone: Milestone | None = None, after_id: int = 0,
               limit: int = 500, mask: bool = True) -> StepPage:
    """Timeline rows after ``after_id`` in id order, optionally of one outcome or milestone."""
    query = select(TimelineEntry).where(TimelineEntry.id > after_id)
    if outcome is not None:
        query = query.where(TimelineEntry.outcome == outcome.value)
    if milestone is not None:
        query = query.where(TimelineEntry.milestone == milestone.value)
    rows = list(session.scalars(query.order_by(TimelineEntry.id).limit(limit + 1)))
    steps = [_shown(StepRow.model_validate(row, from_attributes=True), mask)
             for row in rows[:limit]]
    return StepPage(steps=steps, next_after_id=steps[-1].id if len(rows) > limit else None)


def step_detail(session: Session, step_id: int, *, mask: bool) -> StepDetail | None:
    row = session.get(TimelineEntry, step_id)
    if row is None:
        return None
    base = _shown(Step.model_validate(row, from_attributes=True), mask).model_dump()
    detail = scrub(row.detail, mask_personal=mask) if row.detail is not None else None
    return StepDetail(**base, correlation_id=row.correlation_id, workflow_id=row.workflow_id,
                      detail=detail)


@dataclass(frozen=True)
class ExceptionFilter:
    status: str | None = ExceptionStatus.OPEN.value
    owner: str | None = None
    system: str | None = None
    kind: str | None = None
    record_ref: str | None = None
    older_than: timedelta | None = None
    limit: int = 200


def list_exceptions(session: Session, where: ExceptionFilter, *,
                    mask: bool = True) -> list[ExceptionSummary]:
    """Exceptions matching ``where``; ``mask`` (for viewers) masks personal data in them."""
    query = select(ExceptionRecord)
    for column, value in ((ExceptionRecord.status, where.status),
                          (ExceptionRecord.owner, where.owner),
                          (ExceptionRecord.system, where.system),
                          (ExceptionRecord.kind, where.kind),
                          (ExceptionRecord.record_ref, where.record_ref)):
        if value is not None:
            query = query.where(column == value)
    if where.older_than is not None:
        query = query.where(ExceptionRecord.created_at <= datetime.now(UTC) - where.older_than)
    rows = list(session.scalars(query.order_by(ExceptionRecord.created_at).limit(where.limit)))
    explained = explained_by(session, [int(row.id) for row in rows])
    return [ExceptionSummary.model_validate(row, from_attributes=True).model_copy(
        update={"differences": len(explained.get(int(row.id), [])),
                "reason": scrub_text(row.reason, mask_personal=mask)}) for row in rows]


def notifications_about(session: Session, exception_id: int, *,
                        mask: bool = True) -> list[NotificationView]:
    """The messages sent (or tried) about one exception, oldest first; addresses masked
    with ``mask`` (viewers), secrets in an error always redacted."""
    rows = session.scalars(select(Notification).where(
        Notification.exception_id == exception_id).order_by(Notification.id))
    shown = []
    for row in rows:
        view = NotificationView.model_validate(row, from_attributes=True)
        shown.append(view.model_copy(update={
            "recipient": scrub_text(view.recipient, mask_personal=mask),
            "subject": scrub_text(view.subject, mask_personal=mask),
            "error": scrub_text(view.error, mask_personal=mask) if view.error else None}))
    return shown


def exception_detail(session: Session, view: ExceptionView, *,
                     mask: bool = True) -> ExceptionDetail:
    """The exception with the reconciliation differences it explains and the notifications
    about it, scrubbed by :func:`accord.api.masking.scrub_exception` (personal data masked
    with ``mask``)."""
    explained = explained_by(session, [view.id]).get(view.id, [])
    return ExceptionDetail(**scrub_exception(view.model_dump(), mask_personal=mask),
                           differences=explained,
                           notifications=notifications_about(session, view.id, mask=mask))


def _count_by(session: Session, column: object, *where: object) -> list[CountBy]:
    rows = session.execute(select(column, func.count()).where(*where).group_by(column)  # type: ignore[call-overload]
                           .order_by(column))
    return [CountBy(key=str(key), count=int(count)) for key, count in rows]


@dataclass(frozen=True)
class StepCounts:
    """Timeline rows (one per step attempt) in a span, by outcome."""

    steps: int
    failed: int
    retrying: int

    @property
    def error_rate(self) -> float:
        """Failed steps over all steps (0 when none ran)."""
        return round(self.failed / self.steps, 4) if self.steps else 0.0


def step_counts(session: Session, since: datetime, until: datetime) -> StepCounts:
    by_outcome = {str(outcome): int(count) for outcome, count in session.execute(select(
        TimelineEntry.outcome, func.count()).where(
        TimelineEntry.occurred_at >= since, TimelineEntry.occurred_at <= until).group_by(
        TimelineEntry.outcome))}
    return StepCounts(steps=sum(by_outcome.values()),
                      failed=by_outcome.get(StepOutcome.FAILED.value, 0),
                      retrying=by_outcome.get(StepOutcome.RETRYING.value, 0))


def kpis(session: Session, now: datetime | None = None) -> Kpis:
    now = now or datetime.now(UTC)
    is_open = ExceptionRecord.status == ExceptionStatus.OPEN.value
    by_owner = _count_by(session, ExceptionRecord.owner, is_open)
    inbox = _count_by(session, InboxEntry.status)
    blocked = session.scalar(select(func.count()).select_from(ExceptionRecord).where(
        is_open, ExceptionRecord.kind == DataQualityError.code)) or 0
    counts = step_counts(session, now - timedelta(hours=24), now)
    open_ids = session.scalars(select(ExceptionRecord.id).where(is_open))
    explained = explained_by(session, [int(exception_id) for exception_id in open_ids])
    return Kpis(
        open_exceptions=sum(c.count for c in by_owner), open_exceptions_by_owner=by_owner,
        blocked_by_validation=blocked,
        inbox_backlog=sum(c.count for c in inbox if c.key in PENDING_INBOX),
        inbox_by_status=inbox, steps_last_24h=counts.steps,
        step_errors_last_24h=counts.failed, retries_last_24h=counts.retrying,
        error_rate_last_24h=counts.error_rate,
        differences_explained=sum(len(rows) for rows in explained.values()))


__all__ = ["ExceptionFilter", "StepCounts", "customer_360", "exception_detail", "kpis",
           "list_customers", "list_exceptions", "list_steps", "notifications_about",
           "search_timeline", "step_counts", "step_detail", "trace"]
