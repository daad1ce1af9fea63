"""The tables SuiteQL sees: one per record type, ``item``, ``transaction``,
``transactionline``; rows built from the store on demand."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from accord.sandboxes.netsuite import rules
from accord.sandboxes.netsuite.records.catalog import SPECS
from accord.sandboxes.netsuite.records.fields import Family, Kind, RecordSpec
from accord.sandboxes.netsuite.state import NetSuiteStore, StoredRecord
from accord.sandboxes.netsuite.suiteql.errors import Row


def _row_value(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind is Kind.BOOL:
        return "T" if value else "F"
    if kind is Kind.REF:
        return int(value)
    if kind is Kind.DATE:
        return date.fromisoformat(value)
    return value


def _record_row(store: NetSuiteStore, spec: RecordSpec, record: StoredRecord) -> Row:
    row: Row = {"id": int(record.id), "externalid": record.external_id,
                "lastmodifieddate": record.modified, "datecreated": record.created}
    for field in spec.fields:
        row[field.column] = _row_value(field.kind, record.data.get(field.name))
    if spec.family is Family.ITEM:
        row["itemtype"] = spec.type_code
    if spec.family is Family.TRANSACTION:
        derived = rules.derive(store, record)
        customer = record.data.get("entity") or record.data.get("customer")
        row.update(type=spec.type_code, recordtype=spec.name,
                   entity=int(customer) if customer else None,
                   status=derived.get("status"),
                   foreigntotal=derived.get("total"), total=derived.get("total"),
                   foreignamountremaining=derived.get("amountRemaining"),
                   amountremaining=derived.get("amountRemaining"),
                   createddate=record.created)
    return row


def _line_rows(spec: RecordSpec, record: StoredRecord) -> Iterator[Row]:
    for sublist_name in ("item", "line"):
        sublist = spec.sublist(sublist_name)
        if sublist is None:
            continue
        for line in record.data.get(sublist_name) or []:
            row: Row = {"transaction": int(record.id), "linesequencenumber": line.get("line"),
                        "id": line.get("line"), "mainline": "F"}
            for field in sublist.fields:
                row[field.column] = _row_value(field.kind, line.get(field.name))
            debit, credit = line.get("debit"), line.get("credit")
            row["netamount"] = line.get("amount") if sublist_name == "item" else \
                (debit or Decimal(0)) - (credit or Decimal(0))
            row["debitforeignamount"], row["creditforeignamount"] = debit, credit
            yield row


def _columns(specs: list[RecordSpec], extra: tuple[str, ...]) -> set[str]:
    columns = {"id", "externalid", "lastmodifieddate", "datecreated", *extra}
    for spec in specs:
        columns.update(field.column for field in spec.fields)
    return columns


_TRANSACTION_EXTRA = ("type", "recordtype", "entity", "status", "foreigntotal", "total",
                      "foreignamountremaining", "amountremaining", "createddate")
_LINE_COLUMNS = {"transaction", "linesequencenumber", "id", "mainline", "item", "description",
                 "quantity", "rate", "amount", "taxcode", "taxrate1", "department", "class",
                 "location", "account", "debit", "credit", "memo", "entity", "netamount",
                 "debitforeignamount", "creditforeignamount", "deferrevrec", "revrecstartdate",
                 "revrecenddate"}


@dataclass(frozen=True)
class Table:
    columns: set[str]
    rows: Callable[[], list[Row]]


def tables(store: NetSuiteStore) -> dict[str, Table]:
    def rows_of(specs: list[RecordSpec]) -> Callable[[], list[Row]]:
        return lambda: [_record_row(store, spec, record) for spec in specs
                        for record in store.all(spec.name)]

    found: dict[str, Table] = {}
    for family, extra in ((Family.ITEM, ("itemtype",)), (Family.TRANSACTION, _TRANSACTION_EXTRA)):
        specs = [spec for spec in SPECS if spec.family is family]
        found[family.value] = Table(_columns(specs, extra), rows_of(specs))
    for spec in SPECS:
        if spec.family is Family.OWN:
            found[spec.table] = Table(_columns([spec], ()), rows_of([spec]))
    transaction_specs = [spec for spec in SPECS if spec.family is Family.TRANSACTION]
    found["transactionline"] = Table(set(_LINE_COLUMNS), lambda: [
        row for spec in transaction_specs for record in store.all(spec.name)
        for row in _line_rows(spec, record)])
    return found


__all__ = ["Table", "tables"]
