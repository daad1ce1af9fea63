"""The error table: how AvaTax's answers map to accord errors.

AvaTax answers a failed call with an HTTP status and ``{"error": {code, message, target,
details[{code, message, description, refersTo, severity, ...}]}}``. ``error.code`` is the
code matched here and ``details[0].refersTo`` names the field; the first matching row wins.
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
from accord.resilience.retry import retry_after_seconds

SYSTEM = "avatax"
THROTTLE_WAIT = 60.0

ERROR_TABLE: tuple[ErrorRule, ...] = (
    ErrorRule(RateLimited, statuses(429), description="AvaTax throttled the account"),
    ErrorRule(PermanentError, statuses(401),
              description="the account id or license key is wrong, or the key was reset"),
    ErrorRule(PermanentError, statuses(403),
              description="the account lacks the service or role this call needs"),
    ErrorRule(ConflictError, statuses(400), code="DocumentCodeConflict",
              description="a committed document already has this code"),
    ErrorRule(ConflictError, statuses(400), code="InvalidDocumentStatusForVoid",
              description="the document is already voided or adjusted"),
    ErrorRule(ConflictError, statuses(400), code="InvalidDocumentStatusForRefund",
              description="the document cannot be refunded in its status"),
    ErrorRule(ConflictError, statuses(400), code="InvalidDocumentStatusForCommit",
              description="the document cannot be committed in its status"),
    ErrorRule(ConflictError, statuses(400), code="CannotAdjustDocumentType",
              description="the document cannot be adjusted in its status"),
    ErrorRule(DataQualityError, statuses(400), code="InvalidAddress",
              owner=Team.REVENUE_OPERATIONS,
              description="an address AvaTax cannot resolve"),
    ErrorRule(DataQualityError, statuses(400), code="InvalidBusinessIdentificationNo",
              owner=Team.REVENUE_OPERATIONS,
              description="a VAT id that is not the destination country's"),
    ErrorRule(DataQualityError, statuses(400), code="InvalidTaxCode", owner=Team.MASTER_DATA,
              description="a product's tax code AvaTax does not know"),
    ErrorRule(PermanentError, statuses(404), description="no such document or record"),
    ErrorRule(TransientError, statuses(range(500, 600)), description="AvaTax server error"),
    ErrorRule(PermanentError, statuses(400, 405, 415),
              description="a malformed request (a missing or invalid field)"),
)


def _error_of(body: Any) -> dict[str, Any]:
    found: Any = body
    if isinstance(body, bytes | str):
        try:
            found = json.loads(body)
        except ValueError:
            found = None
    error = found.get("error") if isinstance(found, dict) else None
    return error if isinstance(error, dict) else {}


def failure_from(status: int | None, body: Any, headers: Mapping[str, str] | None = None
                 ) -> HttpFailure:
    """Reduce AvaTax's error body (and a 429's ``Retry-After``) to an HttpFailure."""
    error = _error_of(body)
    details = [d for d in error.get("details") or [] if isinstance(d, dict)]
    field = next((str(d["refersTo"]) for d in details if d.get("refersTo")), None)
    message = str(error.get("message") or "")
    retry_after = None
    if status == 429:
        retry_after = retry_after_seconds((headers or {}).get("Retry-After")) or THROTTLE_WAIT
    return HttpFailure(status=status, code=str(error.get("code") or "") or None,
                       message=message, retry_after=retry_after, field=field)


def classify_failure(status: int | None, body: Any, headers: Mapping[str, str] | None = None
                     ) -> AccordError:
    return classify(ERROR_TABLE, failure_from(status, body, headers), system=SYSTEM)


__all__ = ["ERROR_TABLE", "SYSTEM", "classify_failure", "failure_from"]
