"""Stripe's error table: stripe-python exception -> :class:`HttpFailure` -> accord error.

| failure                                            | accord error      | owner             |
|----------------------------------------------------|-------------------|-------------------|
| ``Stripe-Should-Retry: true`` (any status)          | TransientError    |                   |
| ``Stripe-Should-Retry: false`` on a 5xx            | PermanentError    | integration eng.  |
| 429, or code ``rate_limit``                        | RateLimited       |                   |
| code ``lock_timeout``                              | TransientError    |                   |
| connection failure / timeout                       | TransientError    |                   |
| 5xx, 409                                           | TransientError    |                   |
| 401 authentication                                 | PermanentError    | integration eng.  |
| 403 permission                                     | PermanentError    | integration eng.  |
| ``parameter_unknown`` (accord's own bug)           | PermanentError    | integration eng.  |
| ``idempotency_error`` (key reused, other params)   | ConflictError     |                   |
| 402 card error (decline, expired, CVC ...)         | DataQualityError  | finance operations|
| 404 / ``resource_missing``                         | DataQualityError  | master data       |
| 400 naming a ``param``                             | DataQualityError  | master data       |
| anything else (400 without a param: our bug)       | PermanentError    | integration eng.  |

A card decline is a business outcome: payment flows catch it before it gets here (see
:meth:`StripeClient.pay_invoice`), and record a failed Payment. Only a decline where none is
expected (e.g. attaching a card) reaches this table, and then finance operations own it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe
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

SYSTEM = "stripe"
SHOULD_RETRY = "stripe_should_retry"
SHOULD_NOT_RETRY = "stripe_should_not_retry"
CONNECTION = "api_connection_error"
PARAMETER = "parameter_invalid"

ERROR_TABLE: tuple[ErrorRule, ...] = (
    ErrorRule(TransientError, code=SHOULD_RETRY,
              description="Stripe asked for a retry (Stripe-Should-Retry: true)"),
    ErrorRule(PermanentError, code=SHOULD_NOT_RETRY,
              description="Stripe asked not to retry (Stripe-Should-Retry: false)"),
    ErrorRule(RateLimited, statuses(429), description="too many requests"),
    ErrorRule(RateLimited, code="rate_limit", description="too many requests"),
    ErrorRule(TransientError, code="lock_timeout", description="object locked; retry"),
    ErrorRule(TransientError, code=CONNECTION, description="network failure or timeout"),
    ErrorRule(TransientError, statuses(409, range(500, 600)), description="Stripe error"),
    ErrorRule(PermanentError, statuses(401), description="invalid or revoked API key"),
    ErrorRule(PermanentError, statuses(403), description="key lacks permission"),
    ErrorRule(PermanentError, code="parameter_unknown",
              description="accord sent a parameter Stripe does not take (a bug)"),
    ErrorRule(ConflictError, code="idempotency_error",
              description="idempotency key reused with different parameters"),
    ErrorRule(DataQualityError, statuses(402), owner=Team.FINANCE_OPERATIONS,
              description="the card was declined"),
    ErrorRule(DataQualityError, statuses(404), owner=Team.MASTER_DATA,
              description="referenced record does not exist"),
    ErrorRule(DataQualityError, statuses(400), code="resource_missing", owner=Team.MASTER_DATA,
              description="referenced record does not exist"),
    ErrorRule(DataQualityError, statuses(400), code=PARAMETER, owner=Team.MASTER_DATA,
              description="a value Stripe refuses"),
)

# Stripe codes for a refused value; a 400 with one of these (or any param) is data quality.
_PARAMETER_CODES = frozenset({
    "parameter_missing", "parameter_invalid_empty", "parameter_invalid_integer",
    "parameter_invalid_string_blank", "parameter_invalid_string_empty",
    "amount_too_large", "amount_too_small", "invalid_charge_amount", "email_invalid",
    "url_invalid", "country_code_invalid", "postal_code_invalid", "tax_id_invalid",
    "invalid_characters", "string_length_exceeds_maximum",
})


def _header(headers: Mapping[str, str] | Any, name: str) -> str | None:
    if not headers:
        return None
    for key, value in dict(headers).items():
        if key.lower() == name:
            return str(value)
    return None


def failure_from(exc: stripe.StripeError) -> HttpFailure:
    """Reduce a stripe-python exception to what the table needs (no secrets are kept)."""
    if isinstance(exc, stripe.APIConnectionError):
        return HttpFailure(None, CONNECTION, exc.user_message or "connection failed")
    status = exc.http_status
    error = exc.error
    param = getattr(error, "param", None) if error is not None else None
    error_type = getattr(error, "type", None) if error is not None else None
    code = exc.code or error_type
    decline = getattr(error, "decline_code", None) if error is not None else None
    message = exc.user_message or type(exc).__name__
    if decline:
        message = f"{message} (decline_code={decline})"
    should_retry = _header(exc.headers, "stripe-should-retry")
    if should_retry == "true" and status != 429:
        code = SHOULD_RETRY
    elif should_retry == "false" and status is not None and status >= 500:
        code = SHOULD_NOT_RETRY
    elif status == 400 and code not in ("resource_missing", "idempotency_error", "rate_limit",
                                        "lock_timeout", "parameter_unknown") and (
            param or code in _PARAMETER_CODES):
        code = PARAMETER
    field = param or ("payment_method" if status == 402 else None)
    if field is None and status == 404:
        field = "id"
    return HttpFailure(status, code, message,
                       retry_after_seconds(_header(exc.headers, "retry-after")), field)


def to_accord_error(exc: stripe.StripeError) -> AccordError:
    return classify(ERROR_TABLE, failure_from(exc), system=SYSTEM)


__all__ = ["ERROR_TABLE", "SYSTEM", "failure_from", "to_accord_error"]
