"""Everything one running Salesforce sandbox holds: records, change log, limits, cursors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accord.sandboxes.control import SandboxControl
from accord.sandboxes.salesforce.cdc import ChangeLog
from accord.sandboxes.salesforce.cursors import QueryCursors
from accord.sandboxes.salesforce.limits import ApiLimits
from accord.sandboxes.salesforce.persistence import StateFile, restore_records
from accord.sandboxes.salesforce.records import create
from accord.sandboxes.salesforce.schema import PRICEBOOK2
from accord.sandboxes.salesforce.store import Store

STANDARD_PRICE_BOOK = "Standard Price Book"
SYSTEM_ORIGIN = "com/salesforce/setup"


class SalesforceState:
    def __init__(self, control: SandboxControl, session_id: str,
                 state_file: Path | None = None) -> None:
        self.control = control
        self.session_id = session_id
        self.store = Store(control.clock.now)
        self.changes = ChangeLog()
        self.store.on_commit(self.changes.record)
        self.limits = ApiLimits(control.clock.now,
                                lambda: control.faults.settings.concurrency_limit)
        self.cursors = QueryCursors()
        self.standard_pricebook_id = ""
        self.state_file = StateFile(state_file) if state_file else None
        if not self._load():
            self._seed()
        if self.state_file is not None:
            self.store.on_commit(lambda _changes: self._save())

    def _save(self) -> None:
        if self.state_file is not None:
            self.state_file.save(self.store.snapshot())

    def _load(self) -> bool:
        saved = self.state_file.load() if self.state_file else None
        if not saved:
            return False
        self.store.restore(restore_records(saved["records"]), int(saved["last_id"]),
                           int(saved["contract_number"]))
        books = [record for record in self.store.rows(PRICEBOOK2) if record["IsStandard"]]
        self.standard_pricebook_id = books[0]["Id"] if books else ""
        return True

    def _seed(self) -> None:
        """Every org has one standard price book."""
        with self.store.transaction(SYSTEM_ORIGIN) as tx:
            self.standard_pricebook_id = create(tx, PRICEBOOK2, {"Name": STANDARD_PRICE_BOOK,
                                                                 "IsActive": True})
            tx.store.set_system_field(PRICEBOOK2, self.standard_pricebook_id, "IsStandard", True)
        self.changes.reset()

    def reset(self) -> None:
        self.store.reset()
        self.changes.reset()
        self.limits.reset()
        self.cursors.reset()
        self._seed()
        self._save()

    def dump(self) -> dict[str, Any]:
        return {"records": self.store.dump(), "limits": self.limits.resource(),
                "change_events": len(self.changes.dump())}


__all__ = ["STANDARD_PRICE_BOOK", "SalesforceState"]
