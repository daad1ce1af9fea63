"""Reconciliation runs: compare, store every difference, open or update one exception per
difference, and close the exceptions of differences that are gone.

A run is stored with its scope, control totals and differences. Each difference becomes an
exception (kind ``reconciliation``) whose owner the exception routing rules decide, falling
back to the difference's default owner; the same difference found by a later run updates the
same exception. An open reconciliation exception whose difference a later run of the same
comparison no longer finds is resolved by that run, with a note.

A difference whose record an open flow exception already holds (the exception names one of
its ids, or belongs to a flow that noted one of them as a business key) is owned by that
exception's owner and names it: a posting refused by a closed period is finance's, an
account refused for its data is master data's, not a mystery for integration engineering.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from accord.engine.exceptions import ExceptionStatus, Problem, open_exception, resolve_exception
from accord.engine.routing import RoutingRules
from accord.errors import Team
from accord.reconcile.differences import Difference
from accord.reconcile.matcher import RecordView, compare
from accord.reconcile.totals import (
    Contribution,
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


def run_reconciliation(database: Database, routing: RoutingRules,
                       comparisons: Sequence[Comparison],
                       contributions: Iterable[Contribution] = (), *,
                       period: str | None = None,
                       compare_totals: tuple[str, str] | None = None,
                       findings: Sequence[Findings] = ()) -> RunReport:
    """Compare, store and open exceptions; ``compare_totals`` names the two systems whose
    control totals must agree (e.g. ``("stripe", "netsuite")``)."""
    systems = sorted({c.source_system for c in comparisons} | {c.target_system
                                                               for c in comparisons})
    with database.session() as session:
        run = ReconRun(period=period, systems=",".join(systems), status="running")
        session.add(run)
        session.flush()
        run_id = int(run.id)

    found: list[Difference] = []
    seen_fingerprints: set[str] = set()
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
                             seen_fingerprints)
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
                    seen: set[str]) -> list[int]:
    with database.session() as session:
        stale = [row.id for row in session.scalars(select(ExceptionRecord).where(
            ExceptionRecord.kind == KIND, ExceptionRecord.step.in_(steps),
            ExceptionRecord.status == ExceptionStatus.OPEN.value))
            if row.fingerprint not in seen]
    for exception_id in stale:
        resolve_exception(database, exception_id, actor="reconcile",
                          note=f"no longer different in reconciliation run {run_id}")
    return stale


__all__ = ["Comparison", "Findings", "RunReport", "run_reconciliation"]
