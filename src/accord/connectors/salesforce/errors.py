"""The error table: how Salesforce's answers map to accord errors.

Salesforce answers a failed call with an HTTP status and ``[{message, errorCode, fields}]``;
simple-salesforce raises one exception per status (300 SalesforceMoreThanOneRecord, 400
SalesforceMalformedRequest, 401 SalesforceExpiredSession, 403 SalesforceRefusedRequest, 404
SalesforceResourceNotFound, anything else SalesforceGeneralError) with that array in
``content``. The first row matching status and errorCode wins.
"""

from __future__ import annotations

from typing import Any

import requests
from simple_salesforce.exceptions import SalesforceError

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

SYSTEM = "salesforce"
DAILY_LIMIT_WAIT = 3600.0
CONCURRENCY_WAIT = 5.0

_DATA = statuses(400)
ERROR_TABLE: tuple[ErrorRule, ...] = (
    ErrorRule(RateLimited, statuses(403), code="REQUEST_LIMIT_EXCEEDED",
              description="daily API allocation or concurrent long-running limit reached"),
    ErrorRule(PermanentError, statuses(401), code="INVALID_SESSION_ID",
              description="session expired or invalid: renew the access token"),
    ErrorRule(PermanentError, statuses(401), description="not authenticated"),
    ErrorRule(TransientError, statuses(400, 409, 503), code="UNABLE_TO_LOCK_ROW",
              description="record locked by another transaction"),
    ErrorRule(ConflictError, _DATA, code="DUPLICATE_VALUE",
              description="a unique field already holds this value"),
    ErrorRule(ConflictError, _DATA, code="DUPLICATE_EXTERNAL_ID",
              description="the external id matches several records"),
    ErrorRule(ConflictError, statuses(300), description="the external id matches several records"),
    ErrorRule(ConflictError, statuses(400, 404), code="ENTITY_IS_DELETED",
              description="the record was deleted"),
    *(ErrorRule(DataQualityError, _DATA, code=code, owner=Team.REVENUE_OPERATIONS,
                description=description)
      for code, description in (
          ("REQUIRED_FIELD_MISSING", "a required field is empty"),
          ("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "value not in the restricted picklist"),
          ("FIELD_INTEGRITY_EXCEPTION", "the value breaks a field integrity rule"),
          ("FIELD_CUSTOM_VALIDATION_EXCEPTION", "a validation rule rejected the record"),
          ("INVALID_EMAIL_ADDRESS", "not an email address"),
          ("STRING_TOO_LONG", "value longer than the field allows"),
          ("INVALID_CROSS_REFERENCE_KEY", "the referenced record does not exist"),
          ("NUMBER_OUTSIDE_VALID_RANGE", "number outside the field's range"),
      )),
    ErrorRule(TransientError, statuses(range(500, 600)), description="Salesforce server error"),
    ErrorRule(PermanentError, statuses(400, 403, 404, 405),
              description="malformed request, unknown field or resource, or not permitted"),
)


def failure_from_content(status: int | None, content: Any) -> HttpFailure:
    """Reduce Salesforce's error array (or a collection error) to an HttpFailure."""
    first: dict[str, Any] = {}
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
    elif isinstance(content, dict):
        first = content
    code = first.get("errorCode") or first.get("statusCode")
    fields = first.get("fields") or []
    message = str(first.get("message") or (content if isinstance(content, str) else ""))
    retry_after = None
    if code == "REQUEST_LIMIT_EXCEEDED":
        retry_after = DAILY_LIMIT_WAIT if "TotalRequests" in message else CONCURRENCY_WAIT
    if status == 300:
        message = f"external id matches {len(content) if isinstance(content, list) else 'several'}"\
                  " records"
    return HttpFailure(status=status, code=str(code) if code else None, message=message,
                       retry_after=retry_after, field=str(fields[0]) if fields else None)


def translate(error: Exception) -> AccordError:
    """Classify an exception raised by simple-salesforce or requests."""
    if isinstance(error, SalesforceError):
        return classify(ERROR_TABLE, failure_from_content(error.status, error.content),
                        system=SYSTEM)
    if isinstance(error, requests.exceptions.SSLError):
        return PermanentError("TLS verification failed: check ca_cert / the instance URL",
                              system=SYSTEM)
    if isinstance(error, requests.Timeout | requests.ConnectionError):
        return TransientError(f"{type(error).__name__}: network failure talking to Salesforce",
                              system=SYSTEM)
    return PermanentError(f"{type(error).__name__}: {error}", system=SYSTEM)


def record_error(errors: list[dict[str, Any]]) -> AccordError:
    """Classify the ``errors`` of one failed record in an sObject Collections result."""
    return classify(ERROR_TABLE, failure_from_content(400, errors), system=SYSTEM)


__all__ = ["ERROR_TABLE", "SYSTEM", "failure_from_content", "record_error", "translate"]
