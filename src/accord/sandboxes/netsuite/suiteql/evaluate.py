"""Evaluating a parsed SuiteQL query over the sandbox's tables."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from accord.sandboxes.netsuite.records.catalog import SPECS, spec_for
from accord.sandboxes.netsuite.records.fields import Kind
from accord.sandboxes.netsuite.state import NetSuiteStore
from accord.sandboxes.netsuite.suiteql.errors import Env, query_error
from accord.sandboxes.netsuite.suiteql.parser import (
    Binary,
    Call,
    Column,
    InList,
    Literal,
    Source,
    Unary,
    parse,
)
from accord.sandboxes.netsuite.suiteql.tables import tables

_FORMAT = (("YYYY", "%Y"), ("HH24", "%H"), ("MM", "%m"), ("DD", "%d"), ("MI", "%M"),
           ("SS", "%S"), ("FF", "%f"))


def _strftime_format(pattern: str) -> str:
    out = pattern
    for token, code in _FORMAT:
        out = out.replace(token, code)
    return out


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _coerce(left: Any, right: Any) -> tuple[Any, Any]:
    if isinstance(left, datetime | date) or isinstance(right, datetime | date):
        as_left, as_right = _as_datetime(left), _as_datetime(right)
        if as_left is not None and as_right is not None:
            return as_left, as_right
    numeric = (int, Decimal)
    if isinstance(left, numeric) and isinstance(right, str):
        try:
            return left, Decimal(right)
        except InvalidOperation:
            return str(left), right
    if isinstance(right, numeric) and isinstance(left, str):
        try:
            return Decimal(left), right
        except InvalidOperation:
            return left, str(right)
    return left, right


def _like(value: Any, pattern: Any) -> bool:
    if value is None or pattern is None:
        return False
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
                    for ch in str(pattern))
    return re.fullmatch(regex, str(value), re.DOTALL) is not None


def _compare(op: str, left: Any, right: Any) -> bool | None:
    if left is None or right is None:
        return None
    left, right = _coerce(left, right)
    try:
        if op == "=":
            return bool(left == right)
        if op == "<>":
            return bool(left != right)
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        return bool(left >= right)
    except TypeError:
        raise query_error(f"Cannot compare {left!r} with {right!r}.") from None


class Evaluator:
    def __init__(self, store: NetSuiteStore, sources: tuple[Source, ...],
                 schema: dict[str, set[str]]) -> None:
        self.store = store
        self.sources = sources
        self.schema = schema

    def column(self, env: Env, column: Column) -> Any:
        if column.table is not None:
            if column.table not in env:
                raise query_error(f"Unknown table alias {column.table}.")
            if column.name not in self.schema[column.table]:
                raise query_error(f"Field '{column.name}' was not found.")
            row = env[column.table]
            return row.get(column.name) if row is not None else None
        for source in self.sources:
            if column.name in self.schema[source.alias]:
                row = env.get(source.alias)
                return row.get(column.name) if row is not None else None
        raise query_error(f"Field '{column.name}' was not found.")

    def validate(self, node: Any) -> None:
        """Refuse unknown tables and columns even when no row would reach them."""
        if isinstance(node, Column):
            self.column({source.alias: None for source in self.sources}, node)
        elif isinstance(node, Unary):
            self.validate(node.operand)
        elif isinstance(node, Binary):
            self.validate(node.left)
            self.validate(node.right)
        elif isinstance(node, InList):
            for child in (node.operand, *node.options):
                self.validate(child)
        elif isinstance(node, Call):
            for child in node.args:
                self.validate(child)

    def value(self, env: Env, node: Any) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Column):
            return self.column(env, node)
        if isinstance(node, Unary):
            if node.op == "isnull":
                return self.value(env, node.operand) is None
            inner = self.value(env, node.operand)
            return None if inner is None else not inner
        if isinstance(node, InList):
            value = self.value(env, node.operand)
            if value is None:
                return None
            hit = any(_compare("=", value, self.value(env, option)) for option in node.options)
            return not hit if node.negated else hit
        if isinstance(node, Binary):
            return self.binary(env, node)
        if isinstance(node, Call):
            return self.call(env, node)
        raise query_error("Unsupported expression.")

    def binary(self, env: Env, node: Binary) -> Any:
        if node.op == "and":
            left = self.value(env, node.left)
            if left is False:
                return False
            right = self.value(env, node.right)
            if right is False:
                return False
            return None if left is None or right is None else True
        if node.op == "or":
            left = self.value(env, node.left)
            if left is True:
                return True
            right = self.value(env, node.right)
            if right is True:
                return True
            return None if left is None or right is None else False
        left, right = self.value(env, node.left), self.value(env, node.right)
        if node.op == "like":
            return _like(left, right)
        if node.op == "||":
            return f"{display(left)}{display(right)}"
        return _compare(node.op, left, right)

    def call(self, env: Env, node: Call) -> Any:
        name = node.name
        args = [self.value(env, arg) for arg in node.args]
        if name in ("upper", "lower") and len(args) == 1:
            return None if args[0] is None else (str(args[0]).upper() if name == "upper"
                                                 else str(args[0]).lower())
        if name in ("nvl", "coalesce"):
            return next((arg for arg in args if arg is not None), None)
        if name == "to_char" and args:
            moment = _as_datetime(args[0])
            if moment is not None and len(args) > 1:
                return moment.strftime(_strftime_format(str(args[1])))
            return display(args[0])
        if name in ("to_date", "to_timestamp") and args:
            if args[0] is None:
                return None
            if len(args) > 1:
                try:
                    return datetime.strptime(str(args[0]), _strftime_format(str(args[1]))
                                             ).replace(tzinfo=UTC)
                except ValueError:
                    raise query_error(f"Cannot parse {args[0]!r} as {args[1]!r}.") from None
            return _as_datetime(args[0])
        if name == "builtin.df" and len(node.args) == 1 and isinstance(node.args[0], Column):
            return self.display_name(node.args[0], args[0])
        if name == "count":
            return None
        raise query_error(f"Unsupported function {name}.")

    def display_name(self, column: Column, value: Any) -> Any:
        if value is None:
            return None
        for spec in SPECS:
            field = spec.field(next((f.name for f in spec.fields if f.column == column.name),
                                    "")) if spec.fields else None
            if field is not None and field.kind is Kind.REF:
                target = self.store.find(field.targets, str(value))
                if target is not None:
                    target_spec = spec_for(target.type)
                    return target.data.get(target_spec.ref_field) if target_spec else value
        return value


def display(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (1, 0)
    if isinstance(value, datetime):
        return (0, value.timestamp())
    if isinstance(value, date):
        return (0, value.toordinal())
    if isinstance(value, int | Decimal):
        return (0, Decimal(value))
    return (0, str(value))


def run(store: NetSuiteStore, text: str) -> list[dict[str, str]]:
    """Every result row of the query, as SuiteQL renders them (strings, nulls left out)."""
    query = parse(text)
    available = tables(store)
    schema: dict[str, set[str]] = {}
    for source in query.sources:
        if source.table not in available:
            raise query_error(f"Record '{source.table}' was not found.")
        schema[source.alias] = available[source.table].columns
    evaluator = Evaluator(store, query.sources, schema)
    for node in (*(item.expr for item in query.items or ()), query.where,
                 *(source.on for source in query.sources), *(expr for expr, _ in query.order)):
        evaluator.validate(node)
    with store.lock:
        envs: list[Env] = [{query.sources[0].alias: row}
                           for row in available[query.sources[0].table].rows()]
        for source in query.sources[1:]:
            rows = available[source.table].rows()
            joined: list[Env] = []
            for env in envs:
                matched = False
                for row in rows:
                    candidate = {**env, source.alias: row}
                    if evaluator.value(candidate, source.on) is True:
                        joined.append(candidate)
                        matched = True
                if not matched and source.left:
                    joined.append({**env, source.alias: None})
            envs = joined
        if query.where is not None:
            envs = [env for env in envs if evaluator.value(env, query.where) is True]
        for expr, descending in reversed(query.order):
            def order_key(env: Env, expr: Any = expr) -> tuple[int, Any]:
                return _sort_key(evaluator.value(env, expr))

            envs.sort(key=order_key, reverse=descending)
        if query.count_only:
            assert query.items is not None
            return [{item.name: str(len(envs)) for item in query.items}]
        results: list[dict[str, str]] = []
        seen: set[tuple[tuple[str, str], ...]] = set()
        for env in envs:
            if query.items is None:
                values: dict[str, Any] = {}
                for source in query.sources:
                    row = env.get(source.alias) or {}
                    for key, value in row.items():
                        values.setdefault(key, value)
            else:
                values = {item.name: evaluator.value(env, item.expr) for item in query.items}
            rendered = {key: display(value) for key, value in values.items() if value is not None}
            if query.distinct:
                fingerprint = tuple(sorted(rendered.items()))
                if fingerprint in seen:
                    continue
                seen.add(fingerprint)
            results.append(rendered)
        return results


__all__ = ["Evaluator", "display", "run"]
