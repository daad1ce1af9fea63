"""The sandbox's thread-safe record store, seeded with an account's reference data.

Records are kept per type by internal id (strings, as NetSuite shows them). New internal ids
come from one counter, so ids never collide across the item and transaction families.
``lastModifiedDate``/``createdDate`` come from the sandbox clock. Applications (payments and
credit memos applied to invoices, refunds applied to credits) and deposits are indexed so
``amountRemaining`` and status are always derived from what exists, never stored twice.
"""

from __future__ import annotations

import calendar
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from accord.sandboxes.netsuite.persist import SqliteMirror
from accord.sandboxes.netsuite.records.catalog import spec_for


@dataclass
class StoredRecord:
    type: str
    id: str
    data: dict[str, Any]
    created: datetime
    modified: datetime

    @property
    def external_id(self) -> str | None:
        value = self.data.get("externalId")
        return str(value) if value is not None else None


@dataclass
class Ledger:
    """Who applies how much to which document."""

    by_source: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    by_doc: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    deposits: dict[str, str] = field(default_factory=dict)
    """payment id -> deposit id"""

    def replace(self, source: str, applications: dict[str, Decimal]) -> None:
        for doc in self.by_source.pop(source, {}):
            self.by_doc.get(doc, {}).pop(source, None)
        if applications:
            self.by_source[source] = dict(applications)
            for doc, amount in applications.items():
                self.by_doc.setdefault(doc, {})[source] = amount

    def applied_to(self, doc: str, *, excluding: str | None = None) -> Decimal:
        return sum((amount for source, amount in self.by_doc.get(doc, {}).items()
                    if source != excluding), Decimal(0))

    def applied_by(self, source: str) -> Decimal:
        return sum(self.by_source.get(source, {}).values(), Decimal(0))


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _shift(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


class NetSuiteStore:
    """All records of one emulated account. Use ``with store.lock:`` around compound work."""

    def __init__(self, now: Callable[[], datetime], mirror: SqliteMirror | None = None) -> None:
        self.now = now
        self.lock = threading.RLock()
        self.records: dict[str, dict[str, StoredRecord]] = {}
        self.external: dict[str, dict[str, str]] = {}
        self.ledger = Ledger()
        self._next_id = 1000
        self.mirror = mirror
        if mirror is not None and self._load(mirror):
            return
        self.seed()

    def _load(self, mirror: SqliteMirror) -> bool:
        """Records from the state file, with the ledger rebuilt from them."""
        rows, next_id = mirror.load()
        if not rows:
            return False
        for record_type, internal_id, data, created, modified in rows:
            record = StoredRecord(record_type, internal_id, data, created, modified)
            self.records.setdefault(record_type, {})[internal_id] = record
            if record.external_id is not None:
                self.external.setdefault(record_type, {})[record.external_id] = internal_id
        self._next_id = next_id or self._next_id
        for source_type in ("customerPayment", "creditMemo", "customerRefund"):
            for record in self.all(source_type):
                applications: dict[str, Decimal] = {}
                for line in record.data.get("apply") or []:
                    if line.get("apply", True):
                        applications[line["doc"]] = applications.get(line["doc"], Decimal(0)) \
                            + line["amount"]
                self.ledger.replace(record.id, applications)
        for deposit in self.all("deposit"):
            for line in deposit.data.get("payment") or []:
                if line.get("deposit", True):
                    self.ledger.deposits[line["doc"]] = deposit.id
        return True

    def _persist(self, record: StoredRecord) -> None:
        if self.mirror is not None:
            self.mirror.save(record.type, record.id, record.data, record.created,
                             record.modified)

    # -- lifecycle ----------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.records.clear()
            self.external.clear()
            self.ledger = Ledger()
            self._next_id = 1000
            if self.mirror is not None:
                self.mirror.clear()
            self.seed()

    def dump(self) -> dict[str, Any]:
        with self.lock:
            return {kind: [_jsonable({"id": rec.id, **rec.data,
                                      "lastModifiedDate": rec.modified.isoformat()})
                           for rec in by_id.values()]
                    for kind, by_id in sorted(self.records.items())}

    # -- access -------------------------------------------------------------------------
    def new_id(self) -> str:
        with self.lock:
            self._next_id += 1
            if self.mirror is not None:
                self.mirror.set_next_id(self._next_id)
            return str(self._next_id)

    def all(self, record_type: str) -> Iterator[StoredRecord]:
        return iter(list(self.records.get(record_type, {}).values()))

    def get(self, record_type: str, key: str) -> StoredRecord | None:
        """``key`` is an internal id or ``eid:<externalId>``."""
        if key.startswith("eid:"):
            internal = self.external.get(record_type, {}).get(key[4:])
            if internal is None:
                return None
            key = internal
        return self.records.get(record_type, {}).get(key)

    def by_external_id(self, record_type: str, external_id: str) -> StoredRecord | None:
        return self.get(record_type, f"eid:{external_id}")

    def find(self, targets: tuple[str, ...], internal_id: str) -> StoredRecord | None:
        for target in targets:
            found = self.records.get(target, {}).get(internal_id)
            if found is not None:
                return found
        return None

    def put(self, record_type: str, data: dict[str, Any], internal_id: str | None = None,
            ) -> StoredRecord:
        """Insert or replace a record (rules already checked by the caller)."""
        with self.lock:
            now = self.now()
            by_id = self.records.setdefault(record_type, {})
            existing = by_id.get(internal_id) if internal_id else None
            if existing is not None:
                old_eid = existing.external_id
                existing.data = data
                existing.modified = now
                record = existing
            else:
                old_eid = None
                record = StoredRecord(record_type, internal_id or self.new_id(), data, now, now)
                by_id[record.id] = record
            index = self.external.setdefault(record_type, {})
            if old_eid is not None and old_eid != record.external_id:
                index.pop(old_eid, None)
            if record.external_id is not None:
                index[record.external_id] = record.id
            self._persist(record)
            return record

    def remove(self, record: StoredRecord) -> None:
        with self.lock:
            self.records.get(record.type, {}).pop(record.id, None)
            if self.mirror is not None:
                self.mirror.delete(record.type, record.id)
            if record.external_id is not None:
                self.external.get(record.type, {}).pop(record.external_id, None)
            self.ledger.replace(record.id, {})
            for payment, deposit in list(self.ledger.deposits.items()):
                if deposit == record.id:
                    del self.ledger.deposits[payment]

    def touch(self, record_type: str, internal_id: str) -> None:
        """A derived value changed (an invoice was paid): bump lastModifiedDate."""
        record = self.records.get(record_type, {}).get(internal_id)
        if record is not None:
            record.modified = self.now()
            self._persist(record)

    # -- seed ---------------------------------------------------------------------------
    def _seed(self, record_type: str, internal_id: int, **data: Any) -> None:
        assert spec_for(record_type) is not None, record_type
        self.put(record_type, data, str(internal_id))

    def seed(self) -> None:
        """Reference data of a small OneWorld account (ids are stable across resets)."""
        for index, (name, symbol, precision) in enumerate(
                (("US Dollar", "USD", 2), ("Euro", "EUR", 2), ("Yen", "JPY", 0),
                 ("British pound", "GBP", 2), ("Canadian Dollar", "CAD", 2)), start=1):
            self._seed("currency", index, name=name, symbol=symbol, currencyPrecision=precision,
                       exchangeRate=Decimal(1), isBaseCurrency=symbol == "USD",
                       isInactive=False)
        for index, (code, currency, country) in enumerate(
                (("US01", "1", "US"), ("DE01", "2", "DE"), ("JP01", "3", "JP")), start=1):
            self._seed("subsidiary", index, name=code, externalId=code, currency=currency,
                       country=country, isInactive=False)
        for internal_id, number, name, kind in (
                (1, "1000", "Operating Bank", "Bank"),
                (2, "1100", "Undeposited Funds", "OthCurrAsset"),
                (3, "1200", "Accounts Receivable", "AcctRec"),
                (4, "2200", "Sales Tax Payable", "OthCurrLiab"),
                (5, "4000", "Subscription Revenue", "Income"),
                (6, "4100", "Services Revenue", "Income"),
                (7, "4200", "Usage Revenue", "Income"),
                (8, "6100", "Payment Processor Fees", "Expense"),
                (9, "2400", "Deferred Revenue", "DeferRevenue")):
            self._seed("account", internal_id, acctNumber=number, acctName=name, acctType=kind,
                       isInactive=False)
        for internal_id, name, days in ((1, "Net 30", 30), (2, "Net 15", 15),
                                        (3, "Due on receipt", 0)):
            self._seed("term", internal_id, name=name, daysUntilNetDue=days, isInactive=False)
        for record_type, name in (("department", "Sales"), ("classification", "Subscription"),
                                  ("location", "HQ")):
            self._seed(record_type, 1, name=name, isInactive=False)
        for internal_id, record_type, item_id, account, deferred in (
                (201, "serviceSaleItem", "SUBSCRIPTION", "5", "9"),
                (202, "nonInventorySaleItem", "USAGE", "7", "9"),
                (203, "serviceSaleItem", "SERVICES", "6", "9"),
                (204, "inventoryItem", "HARDWARE", "5", None),
                (205, "serviceSaleItem", "PLAT-ANNUAL", "5", "9")):
            self._seed(record_type, internal_id, itemId=item_id, displayName=item_id.title(),
                       incomeAccount=account, isInactive=False,
                       **({"deferredRevenueAccount": deferred} if deferred else {}))
        today = self.now().date()
        for offset, closed in ((-1, True), (0, False), (1, False)):
            year, month = _shift(today.year, today.month, offset)
            start, end = _month_bounds(year, month)
            self._seed("accountingPeriod", 100 + offset + 1,
                       periodName=start.strftime("%b %Y"), startDate=start.isoformat(),
                       endDate=end.isoformat(), isQuarter=False, isYear=False,
                       closed=closed, arLocked=closed, apLocked=closed, allLocked=closed)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


__all__ = ["Ledger", "NetSuiteStore", "StoredRecord"]
