"""Record collection filtering: the ``q`` parameter of record lists.

``GET /record/v1/customer?q=companyName START_WITH "Acme" AND creditLimit GREATER 1000``.
Conditions are ``<field> <OPERATOR> [values]`` joined by ``AND``/``OR`` (``AND`` binds
tighter) with parentheses. Operators, each with a ``_NOT`` form: ``EMPTY``; ``IS``;
``EQUAL``, ``GREATER``, ``GREATER_OR_EQUAL``, ``LESS``, ``LESS_OR_EQUAL``, ``BETWEEN``,
``ANY_OF``; ``CONTAIN``, ``START_WITH``, ``END_WITH``; ``AFTER``, ``BEFORE``, ``ON``,
``ON_OR_AFTER``, ``ON_OR_BEFORE``. Values may be quoted; dates as ``M/D/YYYY`` or ISO;
several values as ``[a, b]`` or separated by commas. String matches ignore case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from accord.sandboxes.netsuite.errors import ErrorCode, NetSuiteError
from accord.sandboxes.netsuite.records.fields import Kind, RecordSpec
from accord.sandboxes.netsuite.state import StoredRecord

_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([()\[\],])|([^\s()\[\],]+))')
Predicate = Callable[[StoredRecord], bool]
NO_VALUE = {"EMPTY"}
TWO_VALUES = {"BETWEEN"}
MANY_VALUES = {"ANY_OF"}
KNOWN = {"EMPTY", "IS", "EQUAL", "GREATER", "GREATER_OR_EQUAL", "LESS", "LESS_OR_EQUAL",
         "BETWEEN", "ANY_OF", "CONTAIN", "START_WITH", "END_WITH", "ENDWITH", "AFTER",
         "BEFORE", "ON", "ON_OR_AFTER", "ON_OR_BEFORE", "WITHIN"}


def filter_error(detail: str) -> NetSuiteError:
    return NetSuiteError(400, ErrorCode.INVALID_PARAMETER,
                         f"Invalid query parameter q: {detail}", "q")


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise filter_error(f"unexpected text {text[position:position + 20]!r}")
        position = match.end()
        if match.group(1) is not None or match.group(2) is not None:
            value = match.group(1) if match.group(1) is not None else match.group(2)
            out.append(("value", value.replace('\\"', '"')))
        elif match.group(3):
            out.append(("punct", match.group(3)))
        else:
            out.append(("word", match.group(4)))
    return out


def _as_date(value: str) -> date:
    try:
        return datetime.strptime(value, "%m/%d/%Y").date()  # noqa: DTZ007 - a calendar date
    except ValueError:
        pass
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise filter_error(f"{value!r} is not a date") from None


def _as_number(value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise filter_error(f"{value!r} is not a number") from None


def _field_value(spec: RecordSpec, record: StoredRecord, name: str) -> tuple[Kind, Any]:
    lowered = name.lower()
    if lowered == "id":
        return Kind.INT, int(record.id)
    if lowered == "externalid":
        return Kind.TEXT, record.external_id
    if lowered in ("lastmodifieddate", "datecreated", "createddate"):
        moment = record.modified if lowered == "lastmodifieddate" else record.created
        return Kind.DATE, moment.date().isoformat()
    for field in spec.fields:
        if field.name.lower() == lowered:
            return field.kind, record.data.get(field.name)
    raise filter_error(f"unknown field {name!r}")


def _compare(kind: Kind, actual: Any, operator: str, values: list[str]) -> bool:
    if operator == "EMPTY":
        return actual in (None, "", [])
    if actual is None:
        return False
    if kind is Kind.BOOL:
        return bool(actual) == (values[0].lower() in ("true", "t"))
    if kind in (Kind.DECIMAL, Kind.INT, Kind.REF):
        number = Decimal(actual)
        targets = [_as_number(v) for v in values]
        checks: dict[str, Callable[[], bool]] = {
            "EQUAL": lambda: number == targets[0], "IS": lambda: number == targets[0],
            "GREATER": lambda: number > targets[0],
            "GREATER_OR_EQUAL": lambda: number >= targets[0],
            "LESS": lambda: number < targets[0], "LESS_OR_EQUAL": lambda: number <= targets[0],
            "BETWEEN": lambda: targets[0] <= number <= targets[1],
            "ANY_OF": lambda: number in targets}
    elif kind is Kind.DATE:
        day = date.fromisoformat(str(actual)[:10])
        dates = [_as_date(v) for v in values]
        checks = {"ON": lambda: day == dates[0], "AFTER": lambda: day > dates[0],
                  "BEFORE": lambda: day < dates[0], "ON_OR_AFTER": lambda: day >= dates[0],
                  "ON_OR_BEFORE": lambda: day <= dates[0],
                  "WITHIN": lambda: dates[0] <= day <= dates[1]}
    else:
        text = str(actual).casefold()
        wanted = [v.casefold() for v in values]
        checks = {"IS": lambda: text == wanted[0], "CONTAIN": lambda: wanted[0] in text,
                  "START_WITH": lambda: text.startswith(wanted[0]),
                  "END_WITH": lambda: text.endswith(wanted[0]),
                  "ENDWITH": lambda: text.endswith(wanted[0]),
                  "ANY_OF": lambda: text in wanted}
    check = checks.get(operator)
    if check is None:
        raise filter_error(f"operator {operator} does not apply to a {kind.value} field")
    return check()


class _Parser:
    def __init__(self, spec: RecordSpec, tokens: list[tuple[str, str]]) -> None:
        self.spec = spec
        self.tokens = tokens
        self.position = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise filter_error("unexpected end of the filter")
        self.position += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].upper() == word:
            self.position += 1
            return True
        return False

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.keyword("OR"):
            parts.append(self.conjunction())
        return lambda record: any(part(record) for part in parts)

    def conjunction(self) -> Predicate:
        parts = [self.condition()]
        while self.keyword("AND"):
            parts.append(self.condition())
        return lambda record: all(part(record) for part in parts)

    def condition(self) -> Predicate:
        if self.peek() == ("punct", "("):
            self.take()
            inner = self.disjunction()
            if self.take() != ("punct", ")"):
                raise filter_error("missing )")
            return inner
        kind, field = self.take()
        if kind != "word":
            raise filter_error(f"expected a field name, found {field!r}")
        operator_kind, operator = self.take()
        operator = operator.upper()
        negated = operator.endswith("_NOT")
        base = operator[:-4] if negated else operator
        if operator_kind != "word" or base not in KNOWN:
            raise filter_error(f"unknown operator {operator!r}")
        values = self.values(base)
        spec = self.spec

        def test(record: StoredRecord) -> bool:
            field_kind, actual = _field_value(spec, record, field)
            return _compare(field_kind, actual, base, values) != negated

        return test

    def values(self, operator: str) -> list[str]:
        if operator in NO_VALUE:
            return []
        values: list[str] = []
        bracketed = self.peek() == ("punct", "[")
        if bracketed:
            self.take()
        while True:
            kind, value = self.take()
            if kind == "punct":
                raise filter_error(f"expected a value, found {value!r}")
            values.append(value)
            token = self.peek()
            if token == ("punct", ","):
                self.take()
                continue
            if bracketed:
                if self.take() != ("punct", "]"):
                    raise filter_error("missing ]")
                break
            wants_more = operator in TWO_VALUES | {"WITHIN"} and len(values) < 2
            if wants_more:
                continue
            break
        if operator in TWO_VALUES | {"WITHIN"} and len(values) != 2:
            raise filter_error(f"{operator} takes two values")
        if operator not in MANY_VALUES | TWO_VALUES | {"WITHIN"} and len(values) != 1:
            raise filter_error(f"{operator} takes one value")
        return values


def compile_filter(spec: RecordSpec, text: str) -> Predicate:
    """A predicate over stored records; unknown fields and operators are 400."""
    parser = _Parser(spec, _tokens(text))
    predicate = parser.disjunction()
    if parser.peek() is not None:
        raise filter_error(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return predicate


__all__ = ["compile_filter"]
