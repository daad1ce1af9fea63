"""One reconciliation, end to end: open the readers, run the comparisons and control totals,
optionally heal and re-check, and check the ERP's GL. Used by ``accord reconcile`` and the
scheduled flow."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord.canonical.period import Period
from accord.canonical.roles import Role
from accord.connectors.base import ReaderOptions
from accord.connectors.registry import connector_for
from accord.engine.owners import OwnerRules
from accord.ports.reconciliation import LedgerReader, ReconciliationReader
from accord.reconcile.deferred import DeferredRevenueGap, deferred_revenue_gaps
from accord.reconcile.differences import DEFAULT_OWNERS, Difference, DifferenceKind
from accord.reconcile.gl import (
    JournalImbalance,
    LedgerReport,
    ReceivablesGap,
    export_ledger,
    receivables_gaps,
    unbalanced_journals,
)
from accord.reconcile.heal import HealAttempt, Healers, HealResult
from accord.reconcile.keys import XrefKeys
from accord.reconcile.plan import Readers, comparisons, contributions, total_sides
from accord.reconcile.runs import Findings, RunReport, run_reconciliation
from accord.store import Database


@dataclass(frozen=True)
class GlReport:
    unbalanced: list[JournalImbalance]
    receivables: list[ReceivablesGap]
    ledger: LedgerReport | None
    deferred: list[DeferredRevenueGap] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.unbalanced and not self.receivables and not self.deferred and not (
            self.ledger is not None and self.ledger.mismatches)


@dataclass(frozen=True)
class Outcome:
    report: RunReport  # the final run (after healing, when any healer ran)
    healed: list[HealAttempt] = field(default_factory=list)
    first: RunReport | None = None  # the run before healing, when there was a re-check
    gl: GlReport | None = None

    @property
    def clean(self) -> bool:
        return self.report.clean and (self.gl is None or self.gl.clean)


def check_gl(reader: LedgerReader, ledger_path: Path | None,
             database: Database | None = None) -> GlReport:
    """Journals balance, receivables agree, the ledger export passes ``bean-check`` (with a
    path) and, with the store, deferred revenue equals the schedules' remainder."""
    return GlReport(list(unbalanced_journals(reader.journal_lines(), accord_only=True)),
                    receivables_gaps(reader),
                    export_ledger(reader, ledger_path) if ledger_path is not None else None,
                    deferred_revenue_gaps(reader, database) if database is not None else [])


def gl_step(system: str) -> str:
    """The run step under which the GL findings of ``system`` are stored."""
    return f"gl:{system}"


def gl_differences(report: GlReport, system: str) -> Iterator[Difference]:
    """GL findings as differences, so they open and close exceptions like the others."""
    def finding(kind: DifferenceKind, entity: str, key: str, expected: str, actual: str
                ) -> Difference:
        return Difference(kind, entity, key, system, system, expected, actual,
                          DEFAULT_OWNERS[kind])

    for journal in report.unbalanced:
        yield finding(DifferenceKind.UNBALANCED_JOURNAL, "journal_entry",
                      journal.external_id or journal.transaction,
                      f"{journal.debits} {journal.currency}",
                      f"{journal.credits} {journal.currency}")
    for gap in report.receivables:
        yield finding(DifferenceKind.RECEIVABLES_GAP, "customer",
                      f"{system}:{gap.customer}:{gap.currency}", str(gap.subledger),
                      str(gap.control_account))
    for deferred in report.deferred:
        yield finding(DifferenceKind.DEFERRED_REVENUE_GAP, "revenue_schedule",
                      f"deferred:{deferred.legal_entity}:{deferred.currency}",
                      str(deferred.unrecognized), str(deferred.erp_balance))
    for mismatch in report.ledger.mismatches if report.ledger else []:
        yield finding(DifferenceKind.LEDGER_MISMATCH, "ledger",
                      f"{mismatch.check}:{mismatch.subsidiary}:{mismatch.currency}",
                      f"{mismatch.control_total} {mismatch.currency}",
                      f"{mismatch.ledger} {mismatch.currency}")


def reconcile(database: Database, routing: OwnerRules, readers: Readers, *,
              period: Period | None = None, healers: Healers | None = None,
              ledger_path: Path | None = None) -> Outcome:
    """Run once (comparisons, control totals and, when the ERP's reader opens its ledger, GL
    integrity); with ``healers``, re-drive what they can and run again to confirm."""
    label = period.label if period else None
    ledgers = [reader for reader in readers.get(Role.ERP, ())
               if isinstance(reader, LedgerReader)]
    erp = ledgers[0] if ledgers else None

    def run() -> tuple[RunReport, GlReport | None]:
        gl = check_gl(erp, ledger_path, database) if erp is not None else None
        findings = ([Findings(gl_step(erp.system), lambda: gl_differences(gl, erp.system))]
                    if gl is not None and erp is not None else [])
        return run_reconciliation(database, routing, comparisons(readers),
                                  contributions(readers), period=label,
                                  compare_totals=total_sides(readers),
                                  findings=findings), gl

    report, gl = run()
    healed: list[HealAttempt] = []
    first = None
    if healers is not None:
        healed = healers.heal(report.differences)
        if any(attempt.result is HealResult.REDRIVEN for attempt in healed):
            first = report
            report, gl = run()
    return Outcome(report, healed, first, gl)


def summary_line(outcome: Outcome) -> str:
    """One line for a summary (``accord demo``): differences by class and owner, control
    totals, GL. E.g. ``reconciliation: 5 differences (missing_in_target 5: master_data 3,
    finance_operations 2); control totals differ in 3; GL clean``."""
    report = outcome.report
    by_kind: dict[str, dict[str, int]] = {}
    for difference in report.differences:
        owners = by_kind.setdefault(difference.kind.value, {})
        owners[difference.owner.value] = owners.get(difference.owner.value, 0) + 1
    kinds = "; ".join(
        f"{kind} {sum(owners.values())}: "
        + ", ".join(f"{owner} {count}" for owner, count in sorted(owners.items()))
        for kind, owners in sorted(by_kind.items()))
    differences = (f"{len(report.differences)} differences ({kinds})" if report.differences
                   else "no record differences")
    totals = (f"control totals differ in {len(report.total_differences)}"
              if report.total_differences else "control totals agree")
    gl = "GL not checked" if outcome.gl is None else (
        "GL clean" if outcome.gl.clean else "GL findings")
    return f"reconciliation: {differences}; {totals}; {gl}"


def adapter_readers(database: Database, adapters: Mapping[str, Any], *,
                    period: Period | None = None,
                    wanted: Sequence[str] | None = None) -> dict[Role, list[ReconciliationReader]]:
    """Readers over a deployment's role adapters, by role (one per account: ERP instances
    sharing one are read once, under the first name), for ``wanted`` systems or all. Each
    connector builds its own reader; a system whose connector has none is not read. An
    ERP's reader relinks records posted under a billing system's ids."""
    keys = XrefKeys(database)
    billing = tuple(sorted(name for name in adapters
                           if (found := connector_for(name)) is not None
                           and found.kind is Role.BILLING))
    readers: dict[Role, list[ReconciliationReader]] = {}
    seen: set[int] = set()
    for name, adapter in sorted(adapters.items()):
        definition = connector_for(name)
        if (wanted is not None and name not in wanted) or id(adapter) in seen \
                or definition is None or definition.reconciliation_reader is None:
            continue
        seen.add(id(adapter))
        upstream = billing if definition.kind is Role.ERP else ()
        reader = definition.reconciliation_reader(
            adapter, ReaderOptions(keys=keys, period=period, upstream=upstream))
        readers.setdefault(definition.kind, []).append(reader)
    return readers


__all__ = ["GlReport", "Outcome", "adapter_readers", "check_gl", "gl_differences", "gl_step",
           "reconcile", "summary_line"]
