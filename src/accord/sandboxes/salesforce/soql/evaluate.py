"""Run a parsed query against the store: resolve fields, filter, sort, render.

String comparisons are case-insensitive as in SOQL; ``null`` only matches ``= null`` and
``!= null``; a relative date literal stands for a span of days (``TODAY`` is today 00:00 to
tomorrow 00:00, UTC) and comparisons test against that span.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from accord.sandboxes.salesforce.errors import ApiError, ErrorCode
from accord.sandboxes.salesforce.schema import FieldDef, FieldType, ObjectDef, object_def
from accord.sandboxes.salesforce.soql.ast import (
    And,
    Condition,
    In,
    Not,
    Op,
    Or,
    Query,
    RelativeDate,
    Value,
)
from accord.sandboxes.salesforce.store import Record, Store

Path = tuple[str, ...]


def _invalid_field(obj: ObjectDef, path: Path) -> ApiError:
    return ApiError.one(400, ErrorCode.INVALID_FIELD,
                        f"No such column '{'.'.join(path)}' on entity '{obj.name}'. If you are "
                        "attempting to use a custom field, be sure to append the '__c' after "
                        "the custom field name.")


def resolve(obj: ObjectDef, path: Path) -> tuple[tuple[FieldDef, ...], FieldDef]:
    """The reference fields walked and the final field of a dotted path."""
    hops: list[FieldDef] = []
    current = obj
    for name in path[:-1]:
        reference = current.relationship(name)
        target = object_def(reference.reference_to or "") if reference else None
        if reference is None or target is None:
            raise _invalid_field(obj, path)
        hops.append(reference)
        current = target
    final = current.field(path[-1])
    if final is None:
        raise _invalid_field(obj, path)
    return tuple(hops), final


def _day_span(literal: RelativeDate, now: datetime) -> tuple[datetime, datetime]:
    today = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    day = timedelta(days=1)
    n = literal.n or 0
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    spans: dict[str, Callable[[], tuple[datetime, datetime]]] = {
        "TODAY": lambda: (today, today + day),
        "YESTERDAY": lambda: (today - day, today),
        "TOMORROW": lambda: (today + day, today + 2 * day),
        "LAST_N_DAYS": lambda: (today - n * day, today + day),
        "NEXT_N_DAYS": lambda: (today, today + (n + 1) * day),
        "N_DAYS_AGO": lambda: (today - n * day, today - (n - 1) * day),
        "THIS_WEEK": lambda: (today - timedelta(days=(today.weekday() + 1) % 7),
                              today - timedelta(days=(today.weekday() + 1) % 7) + 7 * day),
        "LAST_WEEK": lambda: (today - timedelta(days=(today.weekday() + 1) % 7 + 7),
                              today - timedelta(days=(today.weekday() + 1) % 7)),
        "THIS_MONTH": lambda: (month_start, next_month),
        "LAST_MONTH": lambda: ((month_start - day).replace(day=1), month_start),
        "NEXT_MONTH": lambda: (next_month, (next_month + timedelta(days=32)).replace(day=1)),
        "THIS_YEAR": lambda: (today.replace(month=1, day=1),
                              today.replace(year=today.year + 1, month=1, day=1)),
        "LAST_YEAR": lambda: (today.replace(year=today.year - 1, month=1, day=1),
                              today.replace(month=1, day=1)),
        "NEXT_YEAR": lambda: (today.replace(year=today.year + 1, month=1, day=1),
                              today.replace(year=today.year + 2, month=1, day=1)),
    }
    return spans[literal.name]()


def _normalize(value: Any, kind: FieldType) -> Any:
    if isinstance(value, str) and kind in (FieldType.ID, FieldType.REFERENCE):
        # ids compare case-sensitively on their 15-character form (18 adds a checksum)
        return value[:15] if len(value) in (15, 18) else value
    if isinstance(value, str):
        return value.lower()
    if kind is FieldType.DATE and isinstance(value, datetime):
        return value.date()
    if kind is FieldType.DATETIME and isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time(), UTC)
    return value


def _like(pattern: str) -> re.Pattern[str]:
    out = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE | re.DOTALL)


def compare(value: Any, op: Op, literal: Value, kind: FieldType, now: datetime) -> bool:
    if op is Op.LIKE:
        return isinstance(value, str) and isinstance(literal, str) and bool(
            _like(literal).match(value))
    if literal is None or value is None:
        same = literal is None and value is None
        return same if op is Op.EQ else (not same) if op is Op.NE else False
    if isinstance(literal, RelativeDate):
        start, end = _day_span(literal, now)
        low, high = _normalize(start, kind), _normalize(end, kind)
        value = _normalize(value, kind)
        outcomes = {Op.EQ: low <= value < high, Op.NE: not low <= value < high,
                    Op.LT: value < low, Op.LE: value < high, Op.GT: value >= high,
                    Op.GE: value >= low}
        return bool(outcomes[op])
    left, right = _normalize(value, kind), _normalize(literal, kind)
    try:
        outcomes_plain: dict[Op, Callable[[], bool]] = {
            Op.EQ: lambda: bool(left == right), Op.NE: lambda: bool(left != right),
            Op.LT: lambda: bool(left < right), Op.LE: lambda: bool(left <= right),
            Op.GT: lambda: bool(left > right), Op.GE: lambda: bool(left >= right)}
        return outcomes_plain[op]()
    except TypeError:
        raise ApiError.one(400, ErrorCode.INVALID_FIELD,
                           f"value of filter criterion for field is of the wrong type: "
                           f"{literal!r}") from None


class Evaluator:
    def __init__(self, store: Store, obj: ObjectDef, now: datetime) -> None:
        self.store = store
        self.obj = obj
        self.now = now

    def value(self, record: Record, path: Path) -> tuple[FieldDef, Any]:
        hops, final = resolve(self.obj, path)
        current: Record | None = record
        for hop in hops:
            parent_id = current.get(hop.name) if current else None
            found = self.store.find(parent_id) if parent_id else None
            current = found[1] if found else None
        return final, (current.get(final.name) if current else None)

    def matches(self, record: Record, condition: Condition) -> bool:
        if isinstance(condition, And):
            return all(self.matches(record, item) for item in condition.items)
        if isinstance(condition, Or):
            return any(self.matches(record, item) for item in condition.items)
        if isinstance(condition, Not):
            return not self.matches(record, condition.item)
        field, value = self.value(record, condition.path)
        if isinstance(condition, In):
            hit = any(compare(value, Op.EQ, literal, field.type, self.now)
                      for literal in condition.values)
            return hit != condition.negated
        return compare(value, condition.op, condition.value, field.type, self.now)

    def check(self, condition: Condition | None) -> None:
        if condition is None:
            return
        if isinstance(condition, And | Or):
            for item in condition.items:
                self.check(item)
        elif isinstance(condition, Not):
            self.check(condition.item)
        else:
            resolve(self.obj, condition.path)


def record_url(version: str, type_name: str, record_id: str) -> str:
    return f"/services/data/v{version}/sobjects/{type_name}/{record_id}"


def _render(evaluator: Evaluator, record: Record, paths: tuple[Path, ...],
            version: str) -> Record:
    obj = evaluator.obj
    out: Record = {"attributes": {"type": obj.name,
                                  "url": record_url(version, obj.name, record["Id"])}}
    for path in paths:
        hops, final = resolve(obj, path)
        target: Record | None = out
        current: Record | None = record
        for hop in hops:
            parent_id = current.get(hop.name) if current else None
            found = evaluator.store.find(parent_id) if parent_id else None
            current = found[1] if found else None
            assert target is not None
            if hop.relationship_name not in target or (
                    current is not None and target[hop.relationship_name] is None):
                target[hop.relationship_name or ""] = None if found is None else {
                    "attributes": {"type": found[0].name,
                                   "url": record_url(version, found[0].name, found[1]["Id"])}}
            target = target[hop.relationship_name or ""]
            if target is None:
                break
        if target is not None:
            target[final.name] = current.get(final.name) if current else None
    return out


def execute(query: Query, store: Store, *, now: datetime, version: str,
            include_deleted: bool = False) -> tuple[int, list[Record]]:
    """Total size and rendered records of ``query`` (records are empty for COUNT())."""
    obj = object_def(query.object_name)
    if obj is None:
        raise ApiError.one(400, ErrorCode.INVALID_TYPE,
                           f"sObject type '{query.object_name}' is not supported. If you are "
                           "attempting to use a custom object, be sure to append the '__c' "
                           "after the entity name.")
    evaluator = Evaluator(store, obj, now)
    for path in query.fields:
        resolve(obj, path)
    evaluator.check(query.where)
    for item in query.order_by:
        resolve(obj, item.path)
    with store.lock:
        rows = [row for row in store.rows(obj, include_deleted=include_deleted)
                if query.where is None or evaluator.matches(row, query.where)]
        for item in reversed(query.order_by):
            nulls_last = item.effective_nulls_last

            def key(row: Record, item_path: Path = item.path, last: bool = nulls_last,
                    descending: bool = item.descending) -> tuple[int, Any]:
                field, value = evaluator.value(row, item_path)
                if value is None:
                    return (1 if last != descending else -1, 0)
                return (0, _normalize(value, field.type))

            rows.sort(key=key, reverse=item.descending)
        if query.offset:
            rows = rows[query.offset:]
        if query.limit is not None:
            rows = rows[:query.limit]
        if query.count_only:
            return len(rows), []
        rendered = [_render(evaluator, row, query.fields, version) for row in rows]
    return len(rendered), rendered


__all__ = ["compare", "execute", "record_url", "resolve"]
