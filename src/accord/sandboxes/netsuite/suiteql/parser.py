"""SuiteQL tokens and syntax tree, and the recursive-descent parser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from accord.sandboxes.netsuite.suiteql.errors import query_error

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


__all__ = ["Binary", "Call", "Column", "InList", "Literal", "Parser", "Query", "SelectItem",
           "Source", "Token", "Unary", "parse", "tokenize"]
