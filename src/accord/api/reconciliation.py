"""Read models over reconciliation runs (``recon_run``) and their differences
(``recon_difference``), shared by the API and the console. Read-only: runs are made by
:func:`accord.reconcile.runs.run_reconciliation`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.store.models import ExceptionRecord, ReconDifference, ReconRun


class ReconRunSummary(BaseModel):
    id: int
    period: str | None
    systems: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    difference_count: int
    totals: dict[str, Any] | None


class ReconDifferenceView(BaseModel):
    id: int
    kind: str
    entity: str
    key: str
    source_system: str
    target_system: str
    expected: str | None
    actual: str | None
    owner: str
    exception_id: int | None
    exception_status: str | None


class ReconRunDetail(ReconRunSummary):
    differences_by_kind: dict[str, int]
    differences: list[ReconDifferenceView]


@dataclass(frozen=True)
class DifferenceFilter:
    kind: str | None = None
    entity: str | None = None
    owner: str | None = None
    limit: int = 500
    offset: int = 0


def list_runs(session: Session, *, period: str | None = None, status: str | None = None,
              limit: int = 50, offset: int = 0) -> list[ReconRunSummary]:
    query = select(ReconRun)
    if period is not None:
        query = query.where(ReconRun.period == period)
    if status is not None:
        query = query.where(ReconRun.status == status)
    rows = session.scalars(query.order_by(ReconRun.started_at.desc(), ReconRun.id.desc())
                           .limit(limit).offset(offset))
    return [ReconRunSummary.model_validate(row, from_attributes=True) for row in rows]


def run_detail(session: Session, run_id: int,
               where: DifferenceFilter | None = None) -> ReconRunDetail | None:
    run = session.get(ReconRun, run_id)
    if run is None:
        return None
    where = where or DifferenceFilter()
    by_kind = {str(kind): int(count) for kind, count in session.execute(
        select(ReconDifference.kind, func.count()).where(ReconDifference.run_id == run_id)
        .group_by(ReconDifference.kind).order_by(ReconDifference.kind))}
    query = select(ReconDifference, ExceptionRecord.status).outerjoin(
        ExceptionRecord, ExceptionRecord.id == ReconDifference.exception_id).where(
        ReconDifference.run_id == run_id)
    for column, value in ((ReconDifference.kind, where.kind),
                          (ReconDifference.entity, where.entity),
                          (ReconDifference.owner, where.owner)):
        if value is not None:
            query = query.where(column == value)
    rows = session.execute(query.order_by(ReconDifference.entity, ReconDifference.key,
                                          ReconDifference.id)
                           .limit(where.limit).offset(where.offset)).all()
    differences = [ReconDifferenceView(
        id=diff.id, kind=diff.kind, entity=diff.entity, key=diff.key,
        source_system=diff.source_system, target_system=diff.target_system,
        expected=diff.expected, actual=diff.actual, owner=diff.owner,
        exception_id=diff.exception_id, exception_status=status) for diff, status in rows]
    summary = ReconRunSummary.model_validate(run, from_attributes=True)
    return ReconRunDetail(**summary.model_dump(), differences_by_kind=by_kind,
                          differences=differences)


__all__ = ["DifferenceFilter", "ReconDifferenceView", "ReconRunDetail", "ReconRunSummary",
           "list_runs", "run_detail"]
