"""The error table: how HubSpot's answers map to accord errors.

HubSpot answers a failed call with an HTTP status and ``{status, message, correlationId,
category, errors[{message, code, context}]}``; ``hubspot-api-client`` raises each API
package's ``ApiException`` (``UnauthorizedException``, ``NotFoundException``, ...) with the
status, headers and that body. The category is the code matched here; the first matching
row wins.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

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

SYSTEM = "hubspot"
TEN_SECOND_WAIT = 10.0
DAILY_WAIT = 3600.0

ERROR_TABLE: tuple[ErrorRule, ...] = (
    ErrorRule(RateLimited, statuses(429),
              description="the ten-second window or the daily allocation is spent"),
    ErrorRule(PermanentError, statuses(401),
              description="the access token is missing, wrong or revoked"),
    ErrorRule(PermanentError, statuses(403),
              description="the private app lacks a scope for this object"),
    ErrorRule(ConflictError, statuses(409),
              description="a unique property already holds this value"),
    ErrorRule(DataQualityError, statuses(400), code="VALIDATION_ERROR",
              owner=Team.REVENUE_OPERATIONS,
              description="a property value HubSpot refuses (type, option, unknown)"),
    ErrorRule(PermanentError, statuses(404), description="no such record"),
    ErrorRule(TransientError, statuses(range(500, 600)), description="HubSpot server error"),
    ErrorRule(PermanentError, statuses(400, 405, 415),
              description="malformed request"),
)


def failure_from(status: int | None, body: Any, headers: Mapping[str, str] | None = None
                 ) -> HttpFailure:
    """Reduce HubSpot's error body (and, for a 429, its limit headers) to an HttpFailure."""
    found: dict[str, Any] = {}
    if isinstance(body, bytes | str):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        found = parsed if isinstance(parsed, dict) else {}
    elif isinstance(body, dict):
        found = body
    details = [d for d in found.get("errors") or [] if isinstance(d, dict)]
    field = None
    for detail in details:
        names = (detail.get("context") or {}).get("propertyName") or []
        if names:
            field = str(names[0])
            break
    message = str(found.get("message") or "")
    if details and details[0].get("message"):
        message = str(details[0]["message"])
    retry_after = None
    if status == 429:
        daily = found.get("policyName") == "DAILY" or str(
            (headers or {}).get("X-HubSpot-RateLimit-Daily-Remaining", "")) == "0"
        retry_after = DAILY_WAIT if daily else TEN_SECOND_WAIT
    return HttpFailure(status=status, code=str(found.get("category") or "") or None,
                       message=message, retry_after=retry_after, field=field)


def classify_failure(status: int | None, body: Any, headers: Mapping[str, str] | None = None
                     ) -> AccordError:
    return classify(ERROR_TABLE, failure_from(status, body, headers), system=SYSTEM)


__all__ = ["ERROR_TABLE", "SYSTEM", "classify_failure", "failure_from"]
