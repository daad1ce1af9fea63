"""The kinds of difference reconciliation reports, and who owns each."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from accord.errors import Team


class DifferenceKind(StrEnum):
    MISSING_IN_TARGET = "missing_in_target"
    DUPLICATE_IN_TARGET = "duplicate_in_target"
    AMOUNT_MISMATCH = "amount_mismatch"
    CURRENCY_MISMATCH = "currency_mismatch"
    STATUS_MISMATCH = "status_mismatch"
    ORPHAN = "orphan"
    # GL integrity findings (within the ERP)
    UNBALANCED_JOURNAL = "unbalanced_journal"
    RECEIVABLES_GAP = "receivables_gap"
    LEDGER_MISMATCH = "ledger_mismatch"
    DEFERRED_REVENUE_GAP = "deferred_revenue_gap"


# Missing and duplicate postings are integration failures until proven otherwise; amounts,
# currencies and statuses that disagree are finance's call; orphans were created by hand.
DEFAULT_OWNERS: dict[DifferenceKind, Team] = {
    DifferenceKind.MISSING_IN_TARGET: Team.INTEGRATION_ENGINEERING,
    DifferenceKind.DUPLICATE_IN_TARGET: Team.INTEGRATION_ENGINEERING,
    DifferenceKind.AMOUNT_MISMATCH: Team.FINANCE_OPERATIONS,
    DifferenceKind.CURRENCY_MISMATCH: Team.FINANCE_OPERATIONS,
    DifferenceKind.STATUS_MISMATCH: Team.FINANCE_OPERATIONS,
    DifferenceKind.ORPHAN: Team.FINANCE_OPERATIONS,
    DifferenceKind.UNBALANCED_JOURNAL: Team.FINANCE_OPERATIONS,
    DifferenceKind.RECEIVABLES_GAP: Team.FINANCE_OPERATIONS,
    DifferenceKind.LEDGER_MISMATCH: Team.FINANCE_OPERATIONS,
    DifferenceKind.DEFERRED_REVENUE_GAP: Team.FINANCE_OPERATIONS,
}


@dataclass(frozen=True)
class Difference:
    """One disagreement between a source and a target system about one business key."""

    kind: DifferenceKind
    entity: str
    key: str
    source_system: str
    target_system: str
    expected: str | None
    actual: str | None
    owner: Team
    target_ids: tuple[str, ...] = ()
    source_ids: tuple[str, ...] = ()
    source_refs: tuple[str, ...] = ()  # records related to the source (its deals, ...)
    held_by: int | None = None  # the open flow exception that already holds the record

    @property
    def refs(self) -> tuple[str, ...]:
        """Every id this difference is about: key, source and target ids, related records."""
        return tuple(dict.fromkeys((self.key, *self.source_ids, *self.source_refs,
                                    *self.target_ids)))

    @property
    def fingerprint(self) -> str:
        """Stable identity: the same difference found again updates one exception."""
        return (f"recon:{self.entity}:{self.source_system}>{self.target_system}:"
                f"{self.key}:{self.kind.value}")

    def describe(self) -> str:
        said = self._describe()
        return f"{said} (held by exception {self.held_by})" if self.held_by else said

    def _describe(self) -> str:
        where = f"{self.entity} {self.key} ({self.source_system} -> {self.target_system})"
        match self.kind:
            case DifferenceKind.MISSING_IN_TARGET:
                return f"{where}: missing in {self.target_system}"
            case DifferenceKind.DUPLICATE_IN_TARGET:
                return (f"{where}: {len(self.target_ids)} records in {self.target_system}: "
                        f"{', '.join(self.target_ids)}")
            case DifferenceKind.ORPHAN:
                return f"{where}: in {self.target_system} with no source record"
            case DifferenceKind.UNBALANCED_JOURNAL:
                return (f"journal {self.key} in {self.target_system}: debits {self.expected}, "
                        f"credits {self.actual}")
            case DifferenceKind.RECEIVABLES_GAP:
                return (f"customer {self.key} in {self.target_system}: open items "
                        f"{self.expected}, receivables account {self.actual}")
            case DifferenceKind.LEDGER_MISMATCH:
                return (f"ledger {self.key} in {self.target_system}: control totals "
                        f"{self.expected}, trial balance {self.actual}")
            case _:
                label = self.kind.value.replace("_mismatch", "")
                return f"{where}: {label} {self.expected} in source, {self.actual} in target"


__all__ = ["DEFAULT_OWNERS", "Difference", "DifferenceKind"]
