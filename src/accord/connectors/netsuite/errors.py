"""NetSuite's error table: ``o:errorCode`` and status -> accord error class.

| status | o:errorCode                        | accord error      | owner                  |
|--------|------------------------------------|-------------------|------------------------|
| 429    | CONCURRENCY_LIMIT_EXCEEDED (any)   | RateLimited       | -                      |
| 401    | INVALID_LOGIN (any)                | PermanentError    | integration eng.       |
| 403    | (any)                              | PermanentError    | integration eng.       |
| 400    | DUP_RCRD                           | ConflictError     | -                      |
| 400    | IDEMPOTENCY_ERROR                  | ConflictError     | -                      |
| 400    | USER_ERROR / INVALID_KEY_OR_REF /  | DataQualityError  | by ``o:errorPath``:    |
|        | INVALID_CONTENT                    |                   | periods, applications, |
|        |                                    |                   | GL lines -> finance;   |
|        |                                    |                   | items -> revenue ops;  |
|        |                                    |                   | else master data       |
| 400    | INVALID_PARAMETER                  | PermanentError    | integration eng. (bug) |
| 404    | NONEXISTENT_ID (any)               | PermanentError    | integration eng.       |
| 5xx    | (any)                              | TransientError    | -                      |
"""

from __future__ import annotations

from typing import Any

import httpx

from accord.connectors.base import ErrorRule, HttpFailure, classify, statuses
from accord.errors import (
    AccordError,
    ConflictError,
    DataQualityError,
    PermanentError,
    RateLimited,
    Team,
    TransientError,
)
from accord.resilience.retry import retry_after_seconds

SYSTEM = "netsuite"

TABLE: tuple[ErrorRule, ...] = (
    ErrorRule(RateLimited, statuses(429), description="account concurrency limit exceeded"),
    ErrorRule(PermanentError, statuses(401), code="INVALID_LOGIN",
              description="token-based authentication refused"),
    ErrorRule(PermanentError, statuses(401, 403), description="not authorized"),
    ErrorRule(ConflictError, statuses(400, 409), code="DUP_RCRD",
              description="a record with this external id exists"),
    ErrorRule(ConflictError, statuses(400, 409), code="IDEMPOTENCY_ERROR",
              description="idempotency key already used"),
    ErrorRule(DataQualityError, statuses(400), code="USER_ERROR", owner=Team.MASTER_DATA,
              description="NetSuite refused the record"),
    ErrorRule(DataQualityError, statuses(400), code="INVALID_KEY_OR_REF",
              owner=Team.MASTER_DATA, description="a reference does not exist"),
    ErrorRule(DataQualityError, statuses(400), code="INVALID_CONTENT", owner=Team.MASTER_DATA,
              description="a field value is invalid"),
    ErrorRule(PermanentError, statuses(400), code="INVALID_PARAMETER",
              description="the request itself is malformed"),
    ErrorRule(PermanentError, statuses(404), description="no such record or resource"),
    ErrorRule(TransientError, statuses(range(500, 600)), description="NetSuite unavailable"),
)

FINANCE_PATHS = ("postingPeriod", "tranDate", "apply", "line", "payment", "account",
                 "taxDetails", "dueDate")
REVENUE_PATHS = ("item",)


def owner_for(path: str | None, default: Team) -> Team:
    """Who fixes a refused field: finance owns periods, applications and GL lines."""
    if not path:
        return default
    head = path.split(".", 1)[0].split("[", 1)[0]
    if head in FINANCE_PATHS:
        return Team.FINANCE_OPERATIONS
    if head in REVENUE_PATHS:
        return Team.REVENUE_OPERATIONS
    return default


def failure_from(response: httpx.Response) -> HttpFailure:
    code = message = path = None
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        details = body.get("o:errorDetails") or []
        if details and isinstance(details[0], dict):
            code = details[0].get("o:errorCode")
            message = details[0].get("detail")
            path = details[0].get("o:errorPath")
        message = message or body.get("title")
    return HttpFailure(status=response.status_code, code=code,
                       message=str(message or response.reason_phrase),
                       retry_after=retry_after_seconds(response.headers.get("Retry-After")),
                       field=path)


def classify_failure(failure: HttpFailure) -> AccordError:
    error = classify(TABLE, failure, system=SYSTEM)
    if isinstance(error, DataQualityError):
        return DataQualityError(error.field, error.reason,
                                owner=owner_for(failure.field, error.owner), system=SYSTEM,
                                status=error.status, detail=error.detail)
    return error


def error_for(response: httpx.Response) -> AccordError:
    return classify_failure(failure_from(response))


__all__ = ["SYSTEM", "TABLE", "classify_failure", "error_for", "failure_from", "owner_for"]
