"""Reconciliation runs: compare, store every difference, give each one exception - its own
or the open exception that already explains it - and close the exceptions of differences
that are gone.

A run is stored with its scope, control totals and differences. A difference nothing
explains becomes an exception (kind ``reconciliation``) whose owner the exception routing
rules decide, falling back to the difference's default owner; the same difference found by a
later run updates the same exception. An open reconciliation exception whose difference a
later run of the same comparison no longer finds is resolved by that run, with a note.

One cause, one exception: a difference whose record an open flow exception already holds
(the exception names one of its ids, or belongs to a flow that noted one of them as a
business key) is *attached* to that exception - stored with its id, owned by its owner,
listed on it (:func:`explained_by`) - and opens nothing: a posting refused by a closed
period is one exception for finance however many records it leaves missing. When the cause
is resolved and the records agree, the next run finds nothing and the exception no longer
lists the difference; if the cause is closed while the records still disagree, the next run
opens a reconciliation exception for what is left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.canonical.reconciliation import Contribution, RecordView
from accord.engine.exception_queue import (
    ExceptionStatus,
    Problem,
    open_exception,
    resolve_exception,
)
from accord.engine.owners import OwnerRules
from accord.errors import Team
from accord.reconcile.differences import Difference
from accord.reconcile.matcher import compare
from accord.reconcile.totals import (
    ControlTotal,
    TotalDifference,
    control_totals,
    cross_system_differences,
)
from accord.store import Database
from accord.store.models import (
    BusinessKey,
    ExceptionRecord,
    ReconDifference,
    ReconRun,
    utcnow,
)

KIND = "reconciliation"
FLOW = "reconcile"


@dataclass(frozen=True)
class Comparison:
    """One source -> target comparison; the streams are produced lazily when the run reads."""

    entity: str
    source_system: str
    target_system: str
    source: Callable[[], Iterable[RecordView]]
    target: Callable[[], Iterable[RecordView]]
    status_map: Mapping[str, str] | None = None

    @property
    def step(self) -> str:
        return f"{self.entity}:{self.source_system}>{self.target_system}"


@dataclass(frozen=True)
class Findings:
    """Differences a check other than a comparison found (GL integrity), under one step:
    they open, update and close exceptions like a comparison's."""

    step: str
    differences: Callable[[], Iterable[Difference]]


@dataclass(frozen=True)
class RunReport:
    run_id: int
    differences: list[Difference]
    totals: list[ControlTotal] = field(default_factory=list)
    closed_exceptions: list[int] = field(default_factory=list)
    total_differences: list[TotalDifference] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.differences and not self.total_differences


def _problem(run_id: int, step: str, difference: Difference) -> Problem:
    return Problem(
        error={"code": KIND, "message": difference.describe(), "reason": difference.describe(),
               "owner": difference.owner.value, "field": difference.kind.value,
               "detail": f"expected {difference.expected}, found {difference.actual}"},
        correlation_id=f"recon-{run_id}", workflow_id=None, flow=FLOW, step=step,
        system=difference.target_system, entity=difference.entity, record_ref=difference.key)


def holding_exception(database: Database, difference: Difference) -> ExceptionRecord | None:
    """The oldest open exception (not reconciliation's own) about one of the difference's
    records: by its record reference, through the business keys its flow noted, or about a
    record that flow depends on (named by its keys)."""
    refs = list(difference.refs)
    with database.session() as session:
        correlations = select(BusinessKey.correlation_id).where(BusinessKey.value.in_(refs))
        # the records those flows worked on: a payment's flow names the invoice it pays,
        # and one open exception about that invoice holds the payment too
        related = select(BusinessKey.value).where(BusinessKey.correlation_id.in_(correlations))
        found = session.scalars(select(ExceptionRecord).where(
            ExceptionRecord.kind != KIND,
            ExceptionRecord.status == ExceptionStatus.OPEN.value,
            ExceptionRecord.record_ref.in_(refs)
            | ExceptionRecord.correlation_id.in_(correlations)
            | ExceptionRecord.record_ref.in_(related))
            .order_by(ExceptionRecord.id).limit(1)).first()
        if found is not None:
            session.expunge(found)
        return found


def _held(database: Database, difference: Difference) -> Difference:
    holder = holding_exception(database, difference)
    if holder is None:
        return difference
    return replace(difference, owner=Team(holder.owner), held_by=int(holder.id))


def run_reconciliation(database: Database, routing: OwnerRules,
                       comparisons: Sequence[Comparison],
                       contributions: Iterable[Contribution] = (), *,
                       period: str | None = None,
                       compare_totals: tuple[str, str] | None = None,
                       findings: Sequence[Findings] = ()) -> RunReport:
    """Compare, store and open exceptions; ``compare_totals`` names the two systems whose
    control totals must agree (the billing system and the ERP)."""
    systems = sorted({c.source_system for c in comparisons} | {c.target_system
                                                               for c in comparisons})
    with database.session() as session:
        run = ReconRun(period=period, systems=",".join(systems), status="running")
        session.add(run)
        session.flush()
        run_id = int(run.id)

    found: list[Difference] = []
    seen_fingerprints: set[str] = set()
    attached: dict[str, int] = {}  # fingerprint of the problem -> the exception explaining it

    def streams() -> Iterator[tuple[str, Iterable[Difference]]]:
        for comparison in comparisons:
            yield comparison.step, compare(
                comparison.source(), comparison.target(), entity=comparison.entity,
                source_system=comparison.source_system, target_system=comparison.target_system,
                status_map=comparison.status_map)
        for finding in findings:
            yield finding.step, finding.differences()

    for step, differences in streams():
        for found_difference in differences:
            difference = _held(database, found_difference)
            problem = _problem(run_id, step, difference)
            if difference.held_by is not None:  # its cause has an exception: attach to it
                exception_id = difference.held_by
                attached[problem.fingerprint()] = exception_id
            else:
                exception_id = open_exception(database, routing, problem)
                seen_fingerprints.add(problem.fingerprint())
            with database.session() as session:
                owner = session.get(ExceptionRecord, exception_id)
                session.add(ReconDifference(
                    run_id=run_id, fingerprint=difference.fingerprint,
                    kind=difference.kind.value, entity=difference.entity, key=difference.key,
                    source_system=difference.source_system,
                    target_system=difference.target_system, expected=difference.expected,
                    actual=difference.actual,
                    owner=owner.owner if owner else difference.owner.value,
                    exception_id=exception_id))
            found.append(difference)

    closed = _close_vanished(database, run_id,
                             [c.step for c in comparisons] + [f.step for f in findings],
                             seen_fingerprints, attached)
    totals = control_totals(contributions)
    across = cross_system_differences(totals, *compare_totals) if compare_totals else []
    with database.session() as session:
        stored = session.get(ReconRun, run_id)
        assert stored is not None
        stored.status = "finished"
        stored.finished_at = utcnow()
        stored.difference_count = len(found)
        stored.totals = {"control_totals": [
            {"system": t.system, "currency": t.currency, "subsidiary": t.subsidiary,
             "period": t.period, "measure": t.measure.value, "total": str(t.total.amount),
             "count": t.count} for t in totals],
            "total_differences": [
                {"currency": d.currency, "subsidiary": d.subsidiary, "period": d.period,
                 "measure": d.measure.value, d.left_system: str(d.left.amount),
                 d.right_system: str(d.right.amount)} for d in across]}
    return RunReport(run_id, found, totals, closed, across)


def _close_vanished(database: Database, run_id: int, steps: list[str],
                    seen: set[str], attached: Mapping[str, int]) -> list[int]:
    """Resolve this run's comparisons' open reconciliation exceptions it did not find again,
    or found explained by another exception (one cause, one exception)."""
    with database.session() as session:
        stale = [(int(row.id), attached.get(row.fingerprint)) for row in session.scalars(
            select(ExceptionRecord).where(
                ExceptionRecord.kind == KIND, ExceptionRecord.step.in_(steps),
                ExceptionRecord.status == ExceptionStatus.OPEN.value))
            if row.fingerprint not in seen]
    for exception_id, holder in stale:
        note = (f"explained by exception {holder} (reconciliation run {run_id})" if holder
                else f"no longer different in reconciliation run {run_id}")
        resolve_exception(database, exception_id, actor="reconcile", note=note)
    return [exception_id for exception_id, _holder in stale]


@dataclass(frozen=True)
class ExplainedDifference:
    """A difference of the latest run that compared its systems, attached to an exception."""

    id: int
    run_id: int
    kind: str
    entity: str
    key: str
    source_system: str
    target_system: str
    expected: str | None
    actual: str | None
    exception_id: int


def explained_by(session: Session, exception_ids: Iterable[int]
                 ) -> dict[int, list[ExplainedDifference]]:
    """The differences each exception explains now: for each difference attached to it, the
    row of the newest run that found it, unless a later finished run compared the same two
    systems and did not find it (the records agree again)."""
    ids = sorted(set(exception_ids))
    if not ids:
        return {}
    rows = session.execute(select(ReconDifference).where(
        ReconDifference.exception_id.in_(ids)).order_by(ReconDifference.run_id.desc(),
                                                      ReconDifference.id)).scalars().all()
    newest: dict[tuple[int, str], ReconDifference] = {}
    for row in rows:
        newest.setdefault((int(row.exception_id or 0), row.fingerprint), row)
    oldest_run = min((row.run_id for row in newest.values()), default=0)
    later_runs = [(int(run_id), set(str(systems).split(","))) for run_id, systems in
                  session.execute(select(ReconRun.id, ReconRun.systems).where(
                      ReconRun.id > oldest_run, ReconRun.status == "finished"))]
    found: dict[int, list[ExplainedDifference]] = {}
    for (exception_id, _fingerprint), row in sorted(newest.items(),
                                                    key=lambda item: item[1].id):
        if any(run_id > row.run_id and {row.source_system, row.target_system} <= systems
               for run_id, systems in later_runs):
            continue  # compared again since, and not different any more
        found.setdefault(exception_id, []).append(ExplainedDifference(
            id=int(row.id), run_id=int(row.run_id), kind=row.kind, entity=row.entity,
            key=row.key, source_system=row.source_system, target_system=row.target_system,
            expected=row.expected, actual=row.actual, exception_id=exception_id))
    return found


__all__ = ["Comparison", "ExplainedDifference", "Findings", "RunReport", "explained_by",
           "run_reconciliation"]
