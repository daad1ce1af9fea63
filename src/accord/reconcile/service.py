"""One reconciliation, end to end: open the readers, run the comparisons and control totals,
optionally heal and re-check, and check the ERP's GL. Used by ``accord reconcile`` and the
scheduled flow."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.refdata import RefData
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.stripe.client import StripeClient
from accord.engine.routing import RoutingRules
from accord.errors import PermanentError
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
from accord.reconcile.period import Period
from accord.reconcile.plan import comparisons, contributions
from accord.reconcile.readers.base import Reader
from accord.reconcile.readers.netsuite import NetSuiteReader
from accord.reconcile.runs import Findings, RunReport, run_reconciliation
from accord.resilience.limits import SlotGate
from accord.store import Database

ALL_SYSTEMS = ("salesforce", "stripe", "netsuite")


@dataclass(frozen=True)
class GlReport:
    unbalanced: list[JournalImbalance]
    receivables: list[ReceivablesGap]
    ledger: LedgerReport | None

    @property
    def clean(self) -> bool:
        return not self.unbalanced and not self.receivables and not (
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


def check_gl(reader: NetSuiteReader, ledger_path: Path | None) -> GlReport:
    return GlReport(list(unbalanced_journals(reader.journal_lines(), accord_only=True)),
                    receivables_gaps(reader),
                    export_ledger(reader, ledger_path) if ledger_path is not None else None)


GL_STEP = "gl:netsuite"


def gl_differences(report: GlReport) -> Iterator[Difference]:
    """GL findings as differences, so they open and close exceptions like the others."""
    def finding(kind: DifferenceKind, entity: str, key: str, expected: str, actual: str
                ) -> Difference:
        return Difference(kind, entity, key, "netsuite", "netsuite", expected, actual,
                          DEFAULT_OWNERS[kind])

    for journal in report.unbalanced:
        yield finding(DifferenceKind.UNBALANCED_JOURNAL, "journal_entry",
                      journal.external_id or journal.transaction,
                      f"{journal.debits} {journal.currency}",
                      f"{journal.credits} {journal.currency}")
    for gap in report.receivables:
        yield finding(DifferenceKind.RECEIVABLES_GAP, "customer",
                      f"netsuite:{gap.customer}:{gap.currency}", str(gap.subledger),
                      str(gap.control_account))
    for mismatch in report.ledger.mismatches if report.ledger else []:
        yield finding(DifferenceKind.LEDGER_MISMATCH, "ledger",
                      f"{mismatch.check}:{mismatch.subsidiary}:{mismatch.currency}",
                      f"{mismatch.control_total} {mismatch.currency}",
                      f"{mismatch.ledger} {mismatch.currency}")


def reconcile(database: Database, routing: RoutingRules, readers: Mapping[str, Reader], *,
              period: Period | None = None, healers: Healers | None = None,
              ledger_path: Path | None = None) -> Outcome:
    """Run once (comparisons, control totals and, when NetSuite is read, GL integrity);
    with ``healers``, re-drive what they can and run again to confirm."""
    label = period.label if period else None
    pair = ("stripe", "netsuite") if {"stripe", "netsuite"} <= set(readers) else None
    erp = readers.get("netsuite")

    def run() -> tuple[RunReport, GlReport | None]:
        gl = check_gl(erp, ledger_path) if isinstance(erp, NetSuiteReader) else None
        findings = [Findings(GL_STEP, lambda: gl_differences(gl))] if gl is not None else []
        return run_reconciliation(database, routing, comparisons(readers),
                                  contributions(readers), period=label, compare_totals=pair,
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


def client_readers(database: Database, *, stripe: StripeClient | None = None,
                   netsuite: NetSuiteClient | None = None, ref: RefData | None = None,
                   salesforce: SalesforceClient | None = None, period: Period | None = None
                   ) -> dict[str, Reader]:
    """Readers over clients a caller already holds (the demo's sandboxes), keyed through
    ``database``'s xref."""
    from accord.reconcile.readers.salesforce import SalesforceReader
    from accord.reconcile.readers.stripe import StripeReader

    keys = XrefKeys(database)
    readers: dict[str, Reader] = {}
    if stripe is not None:
        readers["stripe"] = StripeReader(stripe, keys=keys, period=period)
    if netsuite is not None:
        if ref is None:
            raise PermanentError("ref: NetSuite reference data is needed to read NetSuite")
        readers["netsuite"] = NetSuiteReader(netsuite, ref, keys=keys, period=period)
    if salesforce is not None:
        readers["salesforce"] = SalesforceReader(salesforce, keys=keys)
    return readers


def adapter_readers(database: Database, adapters: Mapping[str, Any], *,
                    period: Period | None = None,
                    wanted: Sequence[str] | None = None) -> dict[str, Reader]:
    """Readers over a running service's role adapters (one per account: ERP instances
    sharing one are read once, under the first name), for ``wanted`` systems or all."""
    readers: dict[str, Reader] = {}
    seen: set[int] = set()
    for name, adapter in sorted(adapters.items()):
        if (wanted is not None and name not in wanted) or id(adapter) in seen:
            continue
        seen.add(id(adapter))
        client = getattr(adapter, "client", None)
        if isinstance(client, StripeClient):
            readers.update(client_readers(database, stripe=client, period=period))
        elif isinstance(client, NetSuiteClient):
            readers.update(client_readers(database, netsuite=client, ref=adapter.ref,
                                          period=period))
        elif isinstance(client, SalesforceClient):
            readers.update(client_readers(database, salesforce=client, period=period))
    return readers


@contextmanager
def open_readers(systems: Sequence[str], database: Database, period: Period | None, *,
                 gates: Mapping[str, SlotGate] | None = None) -> Iterator[dict[str, Reader]]:
    """Readers for ``systems`` built from accord's settings (``[systems.<name>]``); ``gates``
    are the engine's cross-process slot gates by system, taken around every request."""
    gate = dict(gates or {})
    unknown = set(systems) - set(ALL_SYSTEMS)
    if unknown:
        raise PermanentError(f"systems: unknown {', '.join(sorted(unknown))}; choose from "
                             f"{', '.join(ALL_SYSTEMS)}")
    keys = XrefKeys(database)
    readers: dict[str, Reader] = {}
    with ExitStack() as stack:
        if "stripe" in systems:
            from accord.connectors.stripe.client import StripeClient
            from accord.connectors.stripe.settings import StripeSettings
            from accord.reconcile.readers.stripe import StripeReader

            readers["stripe"] = StripeReader(StripeClient(StripeSettings(),
                                                          gate=gate.get("stripe")), keys=keys,
                                             period=period)
        if "netsuite" in systems:
            from accord.connectors.netsuite.client import NetSuiteClient
            from accord.connectors.netsuite.refdata import load_refdata
            from accord.connectors.netsuite.settings import NetSuiteSettings

            settings = NetSuiteSettings()
            client = stack.enter_context(NetSuiteClient(settings, gate=gate.get("netsuite")))
            readers["netsuite"] = NetSuiteReader(client, load_refdata(settings.refdata_path),
                                                 keys=keys, period=period)
        if "salesforce" in systems:
            from accord.connectors.salesforce.client import SalesforceClient
            from accord.connectors.salesforce.settings import SalesforceSettings
            from accord.reconcile.readers.salesforce import SalesforceReader

            salesforce = SalesforceClient(SalesforceSettings(), gate=gate.get("salesforce"))
            stack.callback(salesforce.session.close)
            readers["salesforce"] = SalesforceReader(salesforce, keys=keys)
        yield readers


__all__ = ["ALL_SYSTEMS", "GL_STEP", "GlReport", "Outcome", "adapter_readers", "check_gl",
           "client_readers",
           "gl_differences", "open_readers", "reconcile", "summary_line"]
