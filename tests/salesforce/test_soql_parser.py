"""The SOQL tokenizer and parser on their own (no HTTP)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from accord.sandboxes.salesforce.soql import SoqlSyntaxError, parse
from accord.sandboxes.salesforce.soql.ast import And, Comparison, In, Not, Op, Or, RelativeDate


def test_select_with_relationships_order_and_limit() -> None:
    query = parse("select Id, Account.Name from Opportunity where Amount >= 10.50 "
                  "order by CloseDate desc nulls first, Id limit 5 offset 2")
    assert query.object_name == "Opportunity"
    assert query.fields == (("Id",), ("Account", "Name"))
    assert query.where == Comparison(("Amount",), Op.GE, Decimal("10.50"))
    assert [(o.path, o.descending, o.effective_nulls_last) for o in query.order_by] == [
        (("CloseDate",), True, False), (("Id",), False, False)]
    assert (query.limit, query.offset) == (5, 2)


def test_literals_and_nesting() -> None:
    query = parse("SELECT Id FROM Account WHERE (Name LIKE 'O\\'Brien%' OR Industry = null) "
                  "AND CreatedDate > 2026-01-02T03:04:05.678+01:00 AND CloseDate = 2026-02-01 "
                  "AND NOT Type IN ('Partner', 'Other') AND LastModifiedDate = LAST_N_DAYS:7 "
                  "AND IsDeleted = false")
    assert isinstance(query.where, And)
    first, created, close, negated, recent, deleted = query.where.items
    assert first == Or((Comparison(("Name",), Op.LIKE, "O'Brien%"),
                        Comparison(("Industry",), Op.EQ, None)))
    assert created == Comparison(("CreatedDate",), Op.GT,
                                 datetime(2026, 1, 2, 2, 4, 5, 678000, tzinfo=UTC))
    assert close == Comparison(("CloseDate",), Op.EQ, date(2026, 2, 1))
    assert negated == Not(In(("Type",), ("Partner", "Other")))
    assert recent == Comparison(("LastModifiedDate",), Op.EQ, RelativeDate("LAST_N_DAYS", 7))
    assert deleted == Comparison(("IsDeleted",), Op.EQ, False)


def test_count_query() -> None:
    assert parse("SELECT COUNT() FROM Contact").count_only is True


@pytest.mark.parametrize("text", [
    "SELECT FROM Account",
    "SELECT Id FROM Account WHERE",
    "SELECT Id FROM Account WHERE A = 1 AND B = 2 OR C = 3",
    "SELECT Id FROM Account WHERE Name = 'unterminated",
    "SELECT Id FROM Account LIMIT -1",
    "SELECT Id FROM Account WHERE Name = @x",
    "SELECT Id FROM Account extra",
])
def test_malformed_queries_are_refused(text: str) -> None:
    with pytest.raises(SoqlSyntaxError):
        parse(text)
