"""The error table, row by row (the HTTP side is covered against the sandbox)."""

from __future__ import annotations

import httpx
import pytest

from accord.connectors.base import HttpFailure
from accord.connectors.netsuite.errors import classify_failure, failure_from, owner_for
from accord.errors import (
    AccordError,
    ConflictError,
    DataQualityError,
    PermanentError,
    RateLimited,
    Team,
    TransientError,
)


@pytest.mark.parametrize(("failure", "expected", "owner"), [
    (HttpFailure(429, "CONCURRENCY_LIMIT_EXCEEDED"), RateLimited, None),
    (HttpFailure(401, "INVALID_LOGIN"), PermanentError, None),
    (HttpFailure(403, "INSUFFICIENT_PERMISSION"), PermanentError, None),
    (HttpFailure(400, "DUP_RCRD", field="externalId"), ConflictError, None),
    (HttpFailure(400, "IDEMPOTENCY_ERROR"), ConflictError, None),
    (HttpFailure(400, "USER_ERROR", field="postingPeriod"), DataQualityError,
     Team.FINANCE_OPERATIONS),
    (HttpFailure(400, "USER_ERROR", field="apply.items[0].amount"), DataQualityError,
     Team.FINANCE_OPERATIONS),
    (HttpFailure(400, "USER_ERROR", field="line"), DataQualityError, Team.FINANCE_OPERATIONS),
    (HttpFailure(400, "INVALID_KEY_OR_REF", field="item.items[0].item"), DataQualityError,
     Team.REVENUE_OPERATIONS),
    (HttpFailure(400, "INVALID_KEY_OR_REF", field="entity"), DataQualityError,
     Team.MASTER_DATA),
    (HttpFailure(400, "INVALID_CONTENT", field="currency"), DataQualityError, Team.MASTER_DATA),
    (HttpFailure(400, "INVALID_PARAMETER", field="q"), PermanentError, None),
    (HttpFailure(404, "NONEXISTENT_ID"), PermanentError, None),
    (HttpFailure(500, "UNEXPECTED_ERROR"), TransientError, None),
    (HttpFailure(503), TransientError, None),
    (HttpFailure(418), PermanentError, None),
])
def test_error_table(failure: HttpFailure, expected: type[AccordError], owner: Team | None
                     ) -> None:
    error = classify_failure(failure)
    assert type(error) is expected
    assert error.system == "netsuite"
    if owner is not None:
        assert isinstance(error, DataQualityError)
        assert (error.field, error.owner) == (failure.field, owner)


def test_failure_is_read_from_the_envelope() -> None:
    response = httpx.Response(400, json={
        "type": "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.1",
        "title": "Bad Request", "status": 400,
        "o:errorDetails": [{"detail": "The accounting period Oct 2026 is closed.",
                            "o:errorCode": "USER_ERROR", "o:errorPath": "postingPeriod"}]},
        headers={"Retry-After": "3"})
    failure = failure_from(response)
    assert failure == HttpFailure(400, "USER_ERROR", "The accounting period Oct 2026 is closed.",
                                  3.0, "postingPeriod")
    bare = failure_from(httpx.Response(502, text="<html>bad gateway</html>"))
    assert (bare.status, bare.code, bare.message) == (502, None, "Bad Gateway")
    assert owner_for(None, Team.MASTER_DATA) is Team.MASTER_DATA
