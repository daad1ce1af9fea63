"""Errors keep their class and fields through storage (the exception queue reloads them)."""

from __future__ import annotations

import json

import pytest

from accord.errors import (
    AccordError,
    ConflictError,
    DataQualityError,
    Outcome,
    PermanentError,
    RateLimited,
    Team,
    TransientError,
    error_from_record,
)


@pytest.mark.parametrize("error", [
    TransientError("timeout", system="netsuite", status=504),
    RateLimited("429", retry_after=2.5, system="stripe"),
    DataQualityError("customer.tax_id", "missing", owner=Team.FINANCE_OPERATIONS,
                     system="salesforce"),
    ConflictError("duplicate externalId", system="netsuite", status=409),
    PermanentError("bad credentials", system="stripe", status=401),
])
def test_round_trip_through_json(error: AccordError) -> None:
    again = error_from_record(json.loads(json.dumps(error.to_record())))
    assert type(again) is type(error)
    assert again == error


def test_outcomes_follow_the_taxonomy() -> None:
    assert TransientError("x").outcome is Outcome.RETRY
    assert RateLimited("x").outcome is Outcome.RETRY
    assert DataQualityError("f", "r").outcome is Outcome.EXCEPTION
    assert PermanentError("x").outcome is Outcome.EXCEPTION


def test_unknown_code_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown error code"):
        error_from_record({"code": "nope", "message": "x"})
