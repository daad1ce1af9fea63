"""HubSpot's error body: ``{status: "error", message, correlationId, category, errors[]}``
with the HTTP status HubSpot uses for each category, and the per-input errors of a batch."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from accord.sandboxes.faults import FaultKind


class Category:
    VALIDATION_ERROR = "VALIDATION_ERROR"
    OBJECT_NOT_FOUND = "OBJECT_NOT_FOUND"
    CONFLICT = "CONFLICT"
    INVALID_AUTHENTICATION = "INVALID_AUTHENTICATION"
    RATE_LIMITS = "RATE_LIMITS"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


@dataclass(frozen=True)
class Detail:
    """One entry of ``errors[]``: what is wrong with one property or input."""

    message: str
    code: str | None = None
    context: dict[str, list[str]] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        found: dict[str, Any] = {"message": self.message}
        if self.code:
            found["code"] = self.code
        if self.context:
            found["context"] = self.context
        return found


class HubSpotError(Exception):
    """A failed request, rendered in HubSpot's error body."""

    def __init__(self, status: int, category: str, message: str,
                 errors: list[Detail] | None = None, context: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None
                 ) -> None:
        super().__init__(message)
        self.status = status
        self.category = category
        self.message = message
        self.errors = errors or []
        self.context = context or {}
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        found: dict[str, Any] = {"status": "error", "message": self.message,
                                 "correlationId": str(uuid.uuid4()),
                                 "category": self.category, **self.extra}
        if self.errors:
            found["errors"] = [detail.body() for detail in self.errors]
        if self.context:
            found["context"] = self.context
        return found

    def response(self) -> Response:
        return Response(json.dumps(self.body()), status_code=self.status,
                        media_type="application/json;charset=utf-8", headers=self.headers)

    def batch_entry(self) -> dict[str, Any]:
        """The error as one entry of a batch's ``errors`` (a 207 answer)."""
        return {"status": "error", "category": self.category, "message": self.message,
                "context": self.context, "links": {},
                "errors": [detail.body() for detail in self.errors]}


def validation(message: str, *details: Detail) -> HubSpotError:
    return HubSpotError(400, Category.VALIDATION_ERROR, message, list(details))


def not_found(message: str = "resource not found", ids: list[str] | None = None) -> HubSpotError:
    return HubSpotError(404, Category.OBJECT_NOT_FOUND, message,
                        context={"ids": ids} if ids else None)


def conflict(message: str) -> HubSpotError:
    return HubSpotError(409, Category.CONFLICT, message)


def unauthenticated() -> HubSpotError:
    return HubSpotError(401, Category.INVALID_AUTHENTICATION,
                        "Authentication credentials not found. This API supports OAuth 2.0 "
                        "authentication and you can find more details at "
                        "https://developers.hubspot.com/docs/methods/auth/oauth-overview")


def render_fault(kind: FaultKind, status: int) -> Response:
    if kind is FaultKind.OUTAGE:
        error = HubSpotError(status, Category.SERVICE_UNAVAILABLE,
                             "Service unavailable (sandbox outage)")
    else:
        error = HubSpotError(status, Category.INTERNAL_ERROR,
                             "internal error (injected by the sandbox)")
    return error.response()


__all__ = ["Category", "Detail", "HubSpotError", "conflict", "not_found", "render_fault",
           "unauthenticated", "validation"]
