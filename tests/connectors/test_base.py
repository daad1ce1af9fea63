"""The connector contract's shared pieces: error tables and paging."""

from __future__ import annotations

import pytest

from accord.connectors.base import (
    ErrorRule,
    HttpFailure,
    Page,
    classify,
    iterate_pages,
    statuses,
)
from accord.errors import (
    ConflictError,
    DataQualityError,
    PermanentError,
    RateLimited,
    Team,
    TransientError,
)

TABLE = (
    ErrorRule(RateLimited, statuses(429)),
    ErrorRule(ConflictError, statuses(400), code="DUP_RECORD"),
    ErrorRule(DataQualityError, statuses(400), owner=Team.FINANCE_OPERATIONS,
              description="invalid field"),
    ErrorRule(TransientError, statuses(range(500, 600))),
)


@pytest.mark.parametrize(("failure", "expected"), [
    (HttpFailure(429, retry_after=3.0), RateLimited),
    (HttpFailure(400, code="DUP_RECORD"), ConflictError),
    (HttpFailure(400, code="INVALID_FLD", field="currency"), DataQualityError),
    (HttpFailure(503), TransientError),
    (HttpFailure(401, code="INVALID_LOGIN"), PermanentError),
])
def test_first_matching_rule_wins(failure: HttpFailure, expected: type) -> None:
    error = classify(TABLE, failure, system="netsuite")
    assert type(error) is expected
    assert error.system == "netsuite"


def test_classification_carries_hint_field_and_owner() -> None:
    limited = classify(TABLE, HttpFailure(429, retry_after=3.0), system="stripe")
    assert isinstance(limited, RateLimited)
    assert limited.retry_after == 3.0
    quality = classify(TABLE, HttpFailure(400, field="currency", message="EUR not allowed"),
                       system="netsuite")
    assert isinstance(quality, DataQualityError)
    assert (quality.field, quality.owner) == ("currency", Team.FINANCE_OPERATIONS)


def test_pages_are_followed_to_the_end() -> None:
    data = list(range(10))

    def fetch(cursor: str | None) -> Page[int]:
        start = int(cursor or 0)
        nxt = start + 3
        return Page(data[start:nxt], str(nxt) if nxt < len(data) else None)

    assert list(iterate_pages(fetch, system="x")) == data


def test_a_repeating_cursor_is_refused() -> None:
    with pytest.raises(PermanentError, match="repeated"):
        list(iterate_pages(lambda _c: Page([1], "same"), system="x"))
