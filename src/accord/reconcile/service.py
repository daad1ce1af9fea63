"""One reconciliation, end to end: open the readers, run the comparisons and control totals,
optionally heal and re-check, and check the ERP's GL. Used by ``accord reconcile`` and the
scheduled flow."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from accord.engine.routing import RoutingRules
from accord.errors import PermanentError
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
from accord.reconcile.runs import RunReport, run_reconciliation
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


def reconcile(database: Database, routing: RoutingRules, readers: Mapping[str, Reader], *,
              period: Period | None = None, healers: Healers | None = None,
              ledger_path: Path | None = None) -> Outcome:
    """Run once; with ``healers``, re-drive what they can and run again to confirm."""
    label = period.label if period else None
    pair = ("stripe", "netsuite") if {"stripe", "netsuite"} <= set(readers) else None

    def run() -> RunReport:
        return run_reconciliation(database, routing, comparisons(readers),
                                  contributions(readers), period=label, compare_totals=pair)

    report = run()
    healed: list[HealAttempt] = []
    first = None
    if healers is not None:
        healed = healers.heal(report.differences)
        if any(attempt.result is HealResult.REDRIVEN for attempt in healed):
            first, report = report, run()
    erp = readers.get("netsuite")
    gl = check_gl(erp, ledger_path) if isinstance(erp, NetSuiteReader) else None
    return Outcome(report, healed, first, gl)


@contextmanager
def open_readers(systems: Sequence[str], database: Database, period: Period | None
                 ) -> Iterator[dict[str, Reader]]:
    """Readers for ``systems`` built from accord's settings (``[systems.<name>]``)."""
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

            readers["stripe"] = StripeReader(StripeClient(StripeSettings()), keys=keys,
                                             period=period)
        if "netsuite" in systems:
            from accord.connectors.netsuite.client import NetSuiteClient
            from accord.connectors.netsuite.refdata import load_refdata
            from accord.connectors.netsuite.settings import NetSuiteSettings

            settings = NetSuiteSettings()
            client = stack.enter_context(NetSuiteClient(settings))
            readers["netsuite"] = NetSuiteReader(client, load_refdata(settings.refdata_path),
                                                 keys=keys, period=period)
        if "salesforce" in systems:
            from accord.connectors.salesforce.client import SalesforceClient
            from accord.connectors.salesforce.settings import SalesforceSettings
            from accord.reconcile.readers.salesforce import SalesforceReader

            salesforce = SalesforceClient(SalesforceSettings())
            stack.callback(salesforce.session.close)
            readers["salesforce"] = SalesforceReader(salesforce, keys=keys)
        yield readers


__all__ = ["ALL_SYSTEMS", "GlReport", "Outcome", "check_gl", "open_readers", "reconcile"]
