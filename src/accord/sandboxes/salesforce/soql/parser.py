"""A recursive-descent parser for the SOQL subset the sandbox answers.

Grammar (keywords are case-insensitive)::

    query     := SELECT (COUNT '(' ')' | path {',' path}) FROM name
                 [WHERE condition] [ORDER BY order {',' order}] [LIMIT n] [OFFSET n]
    condition := term {AND term} | term {OR term}     -- mixing needs parentheses, as in SOQL
    term      := NOT term | '(' condition ')' | path op value | path [NOT] IN '(' values ')'
    op        := = | != | <> | < | > | <= | >= | LIKE
    value     := 'string' | number | TRUE | FALSE | NULL | 2026-01-31 | 2026-01-31T10:00:00Z
                 | TODAY | YESTERDAY | TOMORROW | LAST_N_DAYS:n | NEXT_N_DAYS:n | THIS_MONTH ...
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from accord.sandboxes.salesforce.soql.ast import (
    And,
    Comparison,
    Condition,
    In,
    Not,
    Op,
    Or,
    OrderItem,
    Query,
    RelativeDate,
    Value,
)
from accord.sandboxes.salesforce.soql.lexer import Kind, SoqlSyntaxError, Token, tokenize
from accord.sandboxes.salesforce.values import parse_datetime

RELATIVE = {"TODAY", "YESTERDAY", "TOMORROW", "THIS_WEEK", "LAST_WEEK", "THIS_MONTH",
            "LAST_MONTH", "NEXT_MONTH", "THIS_YEAR", "LAST_YEAR", "NEXT_YEAR"}
RELATIVE_N = {"LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO"}
RESERVED = {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "LIMIT",
            "OFFSET", "ASC", "DESC", "NULLS", "FIRST", "LAST", "NULL", "TRUE", "FALSE"}
_OPS = {"=": Op.EQ, "!=": Op.NE, "<>": Op.NE, "<": Op.LT, ">": Op.GT, "<=": Op.LE, ">=": Op.GE}


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, expected: str) -> SoqlSyntaxError:
        token = self.current
        shown = token.text or "<end of query>"
        return SoqlSyntaxError(f"unexpected token: '{shown}' (expected {expected})")

    def keyword(self, *words: str) -> Token:
        if not self.current.is_word(*words):
            raise self.fail(" or ".join(words))
        return self.advance()

    def punct(self, char: str) -> None:
        if self.current.kind is not Kind.PUNCT or self.current.text != char:
            raise self.fail(repr(char))
        self.advance()

    def path(self) -> tuple[str, ...]:
        token = self.current
        if token.kind is not Kind.WORD or token.text.upper() in RESERVED or ":" in token.text:
            raise self.fail("a field name")
        self.advance()
        return tuple(token.text.split("."))

    # -- query ----------------------------------------------------------------------------
    def query(self) -> Query:
        self.keyword("SELECT")
        fields: list[tuple[str, ...]] = []
        count_only = False
        if self.current.is_word("COUNT"):
            self.advance()
            self.punct("(")
            self.punct(")")
            count_only = True
        else:
            fields.append(self.path())
            while self.current.kind is Kind.PUNCT and self.current.text == ",":
                self.advance()
                fields.append(self.path())
        self.keyword("FROM")
        object_name = self.path()
        if len(object_name) != 1:
            raise SoqlSyntaxError(f"unexpected token: '{'.'.join(object_name)}'")
        where = None
        if self.current.is_word("WHERE"):
            self.advance()
            where = self.condition()
        order: list[OrderItem] = []
        if self.current.is_word("ORDER"):
            self.advance()
            self.keyword("BY")
            order.append(self.order_item())
            while self.current.kind is Kind.PUNCT and self.current.text == ",":
                self.advance()
                order.append(self.order_item())
        limit = self.integer_clause("LIMIT")
        offset = self.integer_clause("OFFSET")
        if self.current.kind is not Kind.END:
            raise self.fail("end of query")
        return Query(object_name[0], tuple(fields), count_only, where, tuple(order), limit,
                     offset)

    def integer_clause(self, word: str) -> int | None:
        if not self.current.is_word(word):
            return None
        self.advance()
        token = self.advance()
        if token.kind is not Kind.NUMBER or not token.text.isdigit():
            raise SoqlSyntaxError(f"{word} needs a non-negative integer, got '{token.text}'")
        return int(token.text)

    def order_item(self) -> OrderItem:
        path = self.path()
        descending = False
        nulls_last: bool | None = None
        if self.current.is_word("ASC", "DESC"):
            descending = self.advance().text.upper() == "DESC"
        if self.current.is_word("NULLS"):
            self.advance()
            nulls_last = self.keyword("FIRST", "LAST").text.upper() == "LAST"
        return OrderItem(path, descending, nulls_last)

    # -- conditions -----------------------------------------------------------------------
    def condition(self) -> Condition:
        first = self.term()
        if not self.current.is_word("AND", "OR"):
            return first
        joiner = self.current.text.upper()
        items = [first]
        while self.current.is_word("AND", "OR"):
            if self.current.text.upper() != joiner:
                raise SoqlSyntaxError("unexpected token: mixing AND and OR needs parentheses")
            self.advance()
            items.append(self.term())
        return And(tuple(items)) if joiner == "AND" else Or(tuple(items))

    def term(self) -> Condition:
        if self.current.is_word("NOT"):
            self.advance()
            return Not(self.term())
        if self.current.kind is Kind.PUNCT and self.current.text == "(":
            self.advance()
            inner = self.condition()
            self.punct(")")
            return inner
        path = self.path()
        token = self.current
        if token.kind is Kind.OP:
            self.advance()
            return Comparison(path, _OPS[token.text], self.value())
        if token.is_word("LIKE"):
            self.advance()
            return Comparison(path, Op.LIKE, self.value())
        negated = False
        if token.is_word("NOT"):
            self.advance()
            negated = True
        self.keyword("IN")
        self.punct("(")
        values = [self.value()]
        while self.current.kind is Kind.PUNCT and self.current.text == ",":
            self.advance()
            values.append(self.value())
        self.punct(")")
        return In(path, tuple(values), negated)

    def value(self) -> Value:
        token = self.advance()
        if token.kind is Kind.STRING:
            return token.text
        if token.kind is Kind.NUMBER:
            return Decimal(token.text)
        if token.kind is Kind.DATE:
            return date.fromisoformat(token.text)
        if token.kind is Kind.DATETIME:
            return parse_datetime(token.text)
        if token.kind is Kind.WORD:
            upper = token.text.upper()
            if upper in ("TRUE", "FALSE"):
                return upper == "TRUE"
            if upper == "NULL":
                return None
            if upper in RELATIVE:
                return RelativeDate(upper)
            name, _, n = upper.partition(":")
            if name in RELATIVE_N and n.isdigit():
                return RelativeDate(name, int(n))
        raise SoqlSyntaxError(f"unexpected token: '{token.text or '<end of query>'}' "
                              "(expected a value)")


def parse(text: str) -> Query:
    """Parse SOQL text or raise :class:`SoqlSyntaxError`."""
    return _Parser(text).query()


__all__ = ["parse"]
