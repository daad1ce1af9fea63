"""AvaTax's error body (``ErrorResult``)::

    {"error": {"code", "message", "target", "details": [{"code", "number", "message",
               "description", "faultCode", "helpLink", "refersTo", "severity"}]}}

``target`` says whose fault it is (``HttpRequest``, ``IncorrectData``, ``Unknown``,
``AvaTaxApiServer``); ``refersTo`` in a detail names the field that is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from accord.sandboxes.avatax.wire import json_response
from accord.sandboxes.faults import FaultKind

HELP = "http://developer.avalara.com/avatax/errors/"

NUMBERS = {"AuthenticationException": 34, "EntityNotFoundError": 4, "ValueRequiredError": 5,
           "RangeSetError": 8, "InvalidAddress": 300, "DocumentCodeConflict": 303,
           "InvalidDocumentStatusForVoid": 1203, "InvalidDocumentStatusForRefund": 1210,
           "CannotAdjustDocumentType": 1206, "JsonFormatError": 70, "ServerConfiguration": 1,
           "ServiceUnavailable": 52, "InvalidTaxCode": 320, "UnsupportedCountry": 313}


class Target:
    REQUEST = "HttpRequest"
    DATA = "IncorrectData"
    SERVER = "AvaTaxApiServer"
    UNKNOWN = "Unknown"


@dataclass
class AvaTaxError(Exception):
    """A failed request, rendered as AvaTax renders it."""

    status: int
    code: str
    message: str
    target: str = Target.DATA
    refers_to: str | None = None
    description: str = ""

    def body(self) -> dict[str, Any]:
        detail: dict[str, Any] = {
            "code": self.code, "number": NUMBERS.get(self.code, 0), "message": self.message,
            "description": self.description or self.message,
            "faultCode": "Server" if self.status >= 500 else "Client",
            "helpLink": f"{HELP}{self.code}",
            "severity": "Exception" if self.status >= 500 else "Error"}
        if self.refers_to:
            detail["refersTo"] = self.refers_to
        return {"error": {"code": self.code, "message": self.message, "target": self.target,
                          "details": [detail]}}

    def response(self) -> Response:
        return json_response(self.body(), self.status)


def required(field: str) -> AvaTaxError:
    return AvaTaxError(400, "ValueRequiredError", f"The field named '{field}' is required.",
                       refers_to=field)


def invalid(field: str, message: str, code: str = "RangeSetError") -> AvaTaxError:
    return AvaTaxError(400, code, message, refers_to=field)


def not_found(what: str, key: str) -> AvaTaxError:
    return AvaTaxError(404, "EntityNotFoundError", f"{what} '{key}' not found.",
                       target=Target.REQUEST)


def unauthenticated(reason: str) -> AvaTaxError:
    return AvaTaxError(401, "AuthenticationException", "Authentication failed.",
                       target=Target.REQUEST,
                       description=f"Missing authentication or unable to authenticate the "
                                   f"user or the account. ({reason})")


def render_fault(kind: FaultKind, status: int) -> Response:
    if kind is FaultKind.OUTAGE:
        error = AvaTaxError(status, "ServiceUnavailable",
                            "The service is unavailable (sandbox outage).", Target.SERVER)
    else:
        error = AvaTaxError(status, "ServerConfiguration",
                            "Internal server error (injected by the sandbox).", Target.SERVER)
    return error.response()


__all__ = ["AvaTaxError", "Target", "invalid", "not_found", "render_fault", "required",
           "unauthenticated"]
