"""Stripe's error bodies: ``{"error": {"type", "code", "param", "message", "decline_code"}}``.

HTTP statuses follow Stripe's documented use (stripe-python maps them to exception classes):
400 invalid request (``InvalidRequestError``; ``idempotency_error`` -> ``IdempotencyError``),
401 authentication, 402 card errors (``CardError``), 404 missing resources, 429 rate limits
(``RateLimitError``), 5xx API errors.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from starlette.responses import JSONResponse, Response

from accord.sandboxes.faults import FaultKind


class ErrorType(StrEnum):
    API_ERROR = "api_error"
    CARD_ERROR = "card_error"
    IDEMPOTENCY_ERROR = "idempotency_error"
    INVALID_REQUEST = "invalid_request_error"


class StripeApiError(Exception):
    """Raised by handlers; rendered as Stripe's error body with ``status``."""

    def __init__(self, status: int, error_type: ErrorType, message: str, *,
                 code: str | None = None, param: str | None = None,
                 decline_code: str | None = None, extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.error_type.value, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://docs.stripe.com/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        if self.decline_code:
            error["decline_code"] = self.decline_code
        error.update(self.extra)
        return {"error": error}


def invalid(message: str, *, param: str | None = None, code: str | None = None,
            status: int = 400) -> StripeApiError:
    return StripeApiError(status, ErrorType.INVALID_REQUEST, message, param=param, code=code)


def missing_param(param: str) -> StripeApiError:
    return invalid(f"Missing required param: {param}.", param=param, code="parameter_missing")


def unknown_param(param: str) -> StripeApiError:
    return invalid(f"Received unknown parameter: {param}", param=param,
                   code="parameter_unknown")


def no_such(kind: str, object_id: str, *, param: str | None = "id",
            status: int = 404) -> StripeApiError:
    return invalid(f"No such {kind}: '{object_id}'", param=param, code="resource_missing",
                   status=status)


def unrecognized_url(method: str, path: str) -> StripeApiError:
    return invalid(f"Unrecognized request URL ({method}: {path}). Please see "
                   "https://stripe.com/docs or we can help at https://support.stripe.com/.",
                   status=404)


def render_fault(kind: FaultKind, status: int) -> Response:
    """Injected faults look like Stripe's own 5xx answers."""
    message = {
        FaultKind.OUTAGE: "Stripe is temporarily unavailable. Please try again later.",
        FaultKind.TIMEOUT: "The request timed out.",
    }.get(kind, "An unknown error occurred while processing the request.")
    body = StripeApiError(status, ErrorType.API_ERROR, message).body()
    return JSONResponse(body, status_code=status, headers={"Stripe-Should-Retry": "true"})
