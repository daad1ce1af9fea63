"""NetSuite's REST error envelope and the sandbox's error type.

Every failure answers ``{"type", "title", "status", "o:errorDetails": [{"detail",
"o:errorCode", "o:errorPath"?}]}`` as SuiteTalk REST web services do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from http import HTTPStatus
from typing import Any

from starlette.responses import Response

from accord.sandboxes.faults import FaultKind
from accord.sandboxes.netsuite import wire

_RFC = "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"
_SECTIONS = {400: "#sec10.4.1", 401: "#sec10.4.2", 403: "#sec10.4.4", 404: "#sec10.4.5",
             405: "#sec10.4.6", 409: "#sec10.4.10", 415: "#sec10.4.16", 429: "",
             500: "#sec10.5.1", 502: "#sec10.5.3", 503: "#sec10.5.4", 504: "#sec10.5.5"}


class ErrorCode(StrEnum):
    """``o:errorCode`` values the sandbox answers with."""

    INVALID_LOGIN = "INVALID_LOGIN"
    INVALID_CONTENT = "INVALID_CONTENT"
    INVALID_KEY_OR_REF = "INVALID_KEY_OR_REF"
    USER_ERROR = "USER_ERROR"
    DUP_RCRD = "DUP_RCRD"
    NONEXISTENT_ID = "NONEXISTENT_ID"
    INVALID_PARAMETER = "INVALID_PARAMETER"
    INVALID_SEARCH = "INVALID_SEARCH"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    CONCURRENCY_LIMIT_EXCEEDED = "CONCURRENCY_LIMIT_EXCEEDED"
    IDEMPOTENCY_ERROR = "IDEMPOTENCY_ERROR"
    UNEXPECTED_ERROR = "UNEXPECTED_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    TIMEOUT = "TIMEOUT"


@dataclass
class NetSuiteError(Exception):
    """A failure rendered in NetSuite's envelope."""

    status: int
    code: ErrorCode
    detail: str
    path: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.detail}"


def envelope(status: int, code: ErrorCode, detail: str, path: str | None = None
             ) -> dict[str, Any]:
    item: dict[str, Any] = {"detail": detail, "o:errorCode": code.value}
    if path:
        item["o:errorPath"] = path
    return {"type": _RFC + _SECTIONS.get(status, ""), "title": HTTPStatus(status).phrase,
            "status": status, "o:errorDetails": [item]}


def error_response(error: NetSuiteError) -> Response:
    body = wire.dumps(envelope(error.status, error.code, error.detail, error.path))
    return Response(body, status_code=error.status, headers=error.headers,
                    media_type="application/vnd.oracle.resource+json; type=error")


def render_fault(kind: FaultKind, status: int) -> Response:
    """Injected faults, in the same envelope."""
    if kind is FaultKind.OUTAGE:
        error = NetSuiteError(status, ErrorCode.SERVICE_UNAVAILABLE,
                              "The service is temporarily unavailable.")
    elif kind is FaultKind.TIMEOUT:
        error = NetSuiteError(status, ErrorCode.TIMEOUT, "The request timed out.")
    else:
        error = NetSuiteError(status, ErrorCode.UNEXPECTED_ERROR,
                              "An unexpected error occurred. Error ID: sandbox-injected")
    return error_response(error)


def invalid(detail: str, path: str | None = None,
            code: ErrorCode = ErrorCode.INVALID_CONTENT) -> NetSuiteError:
    return NetSuiteError(400, code, detail, path)


def user_error(detail: str, path: str | None = None) -> NetSuiteError:
    return NetSuiteError(400, ErrorCode.USER_ERROR, detail, path)


def bad_ref(path: str, value: object) -> NetSuiteError:
    return NetSuiteError(400, ErrorCode.INVALID_KEY_OR_REF,
                         f"Invalid Field Value {value} for the following field: {path}", path)


def not_found(record_type: str, key: str) -> NetSuiteError:
    return NetSuiteError(404, ErrorCode.NONEXISTENT_ID,
                         f"The record instance does not exist. Record type: {record_type}, "
                         f"id: {key}.")


__all__ = ["ErrorCode", "NetSuiteError", "bad_ref", "envelope", "error_response", "invalid",
           "not_found", "render_fault", "user_error"]
