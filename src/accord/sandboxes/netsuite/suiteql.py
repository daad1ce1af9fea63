"""A SuiteQL subset over the sandbox's records.

Supported: ``SELECT [DISTINCT] <columns | * | COUNT(*)> FROM <table> [alias]`` with any number
of ``[INNER | LEFT [OUTER]] JOIN <table> [alias] ON <condition>``, ``WHERE`` with ``AND``,
``OR``, ``NOT``, parentheses, ``= <> != < <= > >=``, ``IS [NOT] NULL``, ``[NOT] IN (...)``,
``[NOT] LIKE``, ``BETWEEN``, and ``ORDER BY <expr> [ASC | DESC]``. Functions: ``TO_CHAR``,
``TO_DATE``, ``TO_TIMESTAMP`` (formats ``YYYY MM DD HH24 MI SS FF``), ``UPPER``, ``LOWER``,
``NVL``/``COALESCE``, ``BUILTIN.DF`` (display name of a reference).

Tables: one per record type (``customer``, ``subsidiary``, ``currency``, ``account``,
``accountingperiod``, ``term``, ``department``, ``classification``, ``location``), ``item``
(all item types, ``itemtype``), ``transaction`` (all transaction types, ``type`` such as
``CustInvc``, ``recordtype`` such as ``invoice``) and ``transactionline``. Columns are the
record's field names in lower case. Values come back as strings (dates and datetimes in ISO
8601), and null columns are left out, as SuiteQL does over REST.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from accord.sandboxes.netsuite import rules
from accord.sandboxes.netsuite.errors import ErrorCode, NetSuiteError
from accord.sandboxes.netsuite.records.catalog import SPECS, spec_for
from accord.sandboxes.netsuite.records.fields import Family, Kind, RecordSpec
from accord.sandboxes.netsuite.state import NetSuiteStore, StoredRecord

Row = dict[str, Any]
Env = dict[str, Row | None]


def query_error(detail: str) -> NetSuiteError:
    return NetSuiteError(400, ErrorCode.INVALID_PARAMETER,
                         f"Invalid search query. Detailed unprocessed description follows. "
                         f"{detail}", "q")


# -- tables --------------------------------------------------------------------------------
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
                 "debitforeignamount", "creditforeignamount"}


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


# -- tokens --------------------------------------------------------------------------------
_TOKEN = re.compile(r"""\s*(?:
    (?P<string>'(?:[^']|'')*')
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|<>|!=|\|\||[=<>(),.*])
)""", re.VERBOSE)
KEYWORDS = {"select", "distinct", "from", "where", "order", "by", "asc", "desc", "and", "or",
            "not", "is", "null", "in", "like", "between", "join", "inner", "left", "outer",
            "on", "as", "nulls", "first", "last"}


@dataclass(frozen=True)
class Token:
    kind: str
    value: str


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    text = text.strip().rstrip(";")
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            if text[position:].strip() == "":
                break
            raise query_error(f"Unexpected text near: {text[position:position + 20]!r}")
        position = match.end()
        kind = match.lastgroup or "op"
        value = match.group(kind)
        if kind == "name" and value.lower() in KEYWORDS:
            tokens.append(Token("kw", value.lower()))
        else:
            tokens.append(Token(kind, value))
    return tokens


# -- syntax tree ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    table: str | None
    name: str


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Any


@dataclass(frozen=True)
class Binary:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class InList:
    operand: Any
    options: tuple[Any, ...]
    negated: bool


@dataclass(frozen=True)
class SelectItem:
    expr: Any
    name: str


@dataclass(frozen=True)
class Source:
    table: str
    alias: str
    on: Any = None
    left: bool = False


@dataclass(frozen=True)
class Query:
    items: tuple[SelectItem, ...] | None
    distinct: bool
    sources: tuple[Source, ...]
    where: Any
    order: tuple[tuple[Any, bool], ...]
    count_only: bool


class Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.position = 0
        self._expr_names = 0

    def peek(self, offset: int = 0) -> Token | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def accept(self, kind: str, value: str | None = None) -> Token | None:
        token = self.peek()
        if token is not None and token.kind == kind and (value is None or token.value == value):
            self.position += 1
            return token
        return None

    def expect(self, kind: str, value: str | None = None) -> Token:
        token = self.accept(kind, value)
        if token is None:
            found = self.peek()
            raise query_error(f"Expected {value or kind} but found "
                              f"{found.value if found else 'end of query'}.")
        return token

    def query(self) -> Query:
        self.expect("kw", "select")
        distinct = self.accept("kw", "distinct") is not None
        items: list[SelectItem] | None = []
        count_only = False
        if self.accept("op", "*"):
            items = None
        else:
            assert items is not None
            items.append(self.select_item())
            while self.accept("op", ","):
                items.append(self.select_item())
            count_only = all(isinstance(i.expr, Call) and i.expr.name == "count" for i in items)
        self.expect("kw", "from")
        sources = [self.source()]
        while True:
            left = False
            if self.accept("kw", "left"):
                self.accept("kw", "outer")
                left = True
            else:
                self.accept("kw", "inner")
            if not self.accept("kw", "join"):
                if left:
                    raise query_error("Expected JOIN after LEFT.")
                break
            joined = self.source()
            self.expect("kw", "on")
            sources.append(Source(joined.table, joined.alias, self.expr(), left))
        where = self.expr() if self.accept("kw", "where") else None
        order: list[tuple[Any, bool]] = []
        if self.accept("kw", "order"):
            self.expect("kw", "by")
            while True:
                expr = self.expr()
                descending = bool(self.accept("kw", "desc"))
                if not descending:
                    self.accept("kw", "asc")
                if self.accept("kw", "nulls") and not (
                        self.accept("kw", "first") or self.accept("kw", "last")):
                    raise query_error("Expected FIRST or LAST after NULLS.")
                order.append((expr, descending))
                if not self.accept("op", ","):
                    break
        if self.peek() is not None:
            token = self.peek()
            assert token is not None
            raise query_error(f"Unexpected {token.value!r}.")
        return Query(tuple(items) if items is not None else None, distinct, tuple(sources),
                     where, tuple(order), count_only)

    def source(self) -> Source:
        table = self.expect("name").value.lower()
        self.accept("kw", "as")
        alias = self.accept("name")
        return Source(table, alias.value.lower() if alias else table)

    def select_item(self) -> SelectItem:
        expr = self.expr()
        alias = None
        if self.accept("kw", "as"):
            alias = self.expect("name").value
        else:
            token = self.accept("name")
            alias = token.value if token else None
        if alias is None:
            if isinstance(expr, Column):
                alias = expr.name
            else:
                self._expr_names += 1
                alias = f"expr{self._expr_names}"
        return SelectItem(expr, alias.lower())

    def expr(self) -> Any:
        left = self.conjunction()
        while self.accept("kw", "or"):
            left = Binary("or", left, self.conjunction())
        return left

    def conjunction(self) -> Any:
        left = self.negation()
        while self.accept("kw", "and"):
            left = Binary("and", left, self.negation())
        return left

    def negation(self) -> Any:
        if self.accept("kw", "not"):
            return Unary("not", self.negation())
        return self.predicate()

    def predicate(self) -> Any:
        left = self.concat()
        token = self.peek()
        if token is None:
            return left
        if token.kind == "op" and token.value in ("=", "<>", "!=", "<", "<=", ">", ">="):
            self.position += 1
            op = "<>" if token.value == "!=" else token.value
            return Binary(op, left, self.concat())
        if self.accept("kw", "is"):
            negated = self.accept("kw", "not") is not None
            self.expect("kw", "null")
            null_test = Unary("isnull", left)
            return Unary("not", null_test) if negated else null_test
        negated = self.accept("kw", "not") is not None
        if self.accept("kw", "in"):
            self.expect("op", "(")
            options = [self.concat()]
            while self.accept("op", ","):
                options.append(self.concat())
            self.expect("op", ")")
            return InList(left, tuple(options), negated)
        if self.accept("kw", "like"):
            like = Binary("like", left, self.concat())
            return Unary("not", like) if negated else like
        if self.accept("kw", "between"):
            low = self.concat()
            self.expect("kw", "and")
            high = self.concat()
            test = Binary("and", Binary(">=", left, low), Binary("<=", left, high))
            return Unary("not", test) if negated else test
        if negated:
            raise query_error("Expected IN, LIKE or BETWEEN after NOT.")
        return left

    def concat(self) -> Any:
        left = self.primary()
        while self.accept("op", "||"):
            left = Binary("||", left, self.primary())
        return left

    def primary(self) -> Any:
        if self.accept("op", "("):
            inner = self.expr()
            self.expect("op", ")")
            return inner
        token = self.peek()
        if token is None:
            raise query_error("Unexpected end of query.")
        if token.kind == "string":
            self.position += 1
            return Literal(token.value[1:-1].replace("''", "'"))
        if token.kind == "number":
            self.position += 1
            return Literal(Decimal(token.value) if "." in token.value else int(token.value))
        if token.kind == "kw" and token.value == "null":
            self.position += 1
            return Literal(None)
        if token.kind == "op" and token.value == "*":
            self.position += 1
            return Literal("*")
        name = self.expect("name").value
        parts = [name]
        while self.accept("op", "."):
            parts.append(self.expect("name").value)
        if self.accept("op", "("):
            args: list[Any] = []
            if not self.accept("op", ")"):
                args.append(self.expr())
                while self.accept("op", ","):
                    args.append(self.expr())
                self.expect("op", ")")
            return Call(".".join(parts).lower(), tuple(args))
        if len(parts) == 1:
            return Column(None, parts[0].lower())
        if len(parts) == 2:
            return Column(parts[0].lower(), parts[1].lower())
        raise query_error(f"Invalid column {'.'.join(parts)}.")


def parse(text: str) -> Query:
    if not text or not text.strip():
        raise query_error("The query is empty.")
    return Parser(tokenize(text)).query()


# -- evaluation ----------------------------------------------------------------------------
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


__all__ = ["Query", "parse", "run", "tables", "tokenize"]
