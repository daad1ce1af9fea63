"""Salesforce's error format: a JSON array of ``{message, errorCode, fields}``.

REST resources answer a failed request with an HTTP status and that array; sObject Collections
report per-record errors inside a 200 response as ``{statusCode, message, fields}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    INVALID_SESSION_ID = "INVALID_SESSION_ID"
    REQUEST_LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"
    NOT_FOUND = "NOT_FOUND"
    ENTITY_IS_DELETED = "ENTITY_IS_DELETED"
    MALFORMED_ID = "MALFORMED_ID"
    MALFORMED_QUERY = "MALFORMED_QUERY"
    INVALID_FIELD = "INVALID_FIELD"
    INVALID_TYPE = "INVALID_TYPE"
    INVALID_FIELD_FOR_INSERT_UPDATE = "INVALID_FIELD_FOR_INSERT_UPDATE"
    REQUIRED_FIELD_MISSING = "REQUIRED_FIELD_MISSING"
    INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST = "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    FIELD_INTEGRITY_EXCEPTION = "FIELD_INTEGRITY_EXCEPTION"
    INVALID_CROSS_REFERENCE_KEY = "INVALID_CROSS_REFERENCE_KEY"
    INVALID_EMAIL_ADDRESS = "INVALID_EMAIL_ADDRESS"
    STRING_TOO_LONG = "STRING_TOO_LONG"
    DUPLICATE_VALUE = "DUPLICATE_VALUE"
    DUPLICATE_EXTERNAL_ID = "DUPLICATE_EXTERNAL_ID"
    JSON_PARSER_ERROR = "JSON_PARSER_ERROR"
    INVALID_QUERY_LOCATOR = "INVALID_QUERY_LOCATOR"
    INVALID_REPLICATION_DATE = "INVALID_REPLICATION_DATE"
    ALL_OR_NONE_OPERATION_ROLLED_BACK = "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    EXCEEDED_ID_LIMIT = "EXCEEDED_ID_LIMIT"
    INVALID_ID_FIELD = "INVALID_ID_FIELD"
    MISSING_ARGUMENT = "MISSING_ARGUMENT"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    SERVER_UNAVAILABLE = "SERVER_UNAVAILABLE"
    UNKNOWN_EXCEPTION = "UNKNOWN_EXCEPTION"


@dataclass(frozen=True)
class ErrorItem:
    message: str
    code: ErrorCode
    fields: tuple[str, ...] = ()

    def rest(self) -> dict[str, Any]:
        return {"message": self.message, "errorCode": self.code.value, "fields": list(self.fields)}

    def collection(self) -> dict[str, Any]:
        return {"statusCode": self.code.value, "message": self.message,
                "fields": list(self.fields)}


@dataclass
class ApiError(Exception):
    """A failed request: ``status`` and Salesforce's error array. ``headers`` are extra
    response headers."""

    status: int
    items: list[ErrorItem]
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def one(cls, status: int, code: ErrorCode, message: str, *fields: str) -> ApiError:
        return cls(status, [ErrorItem(message, code, tuple(fields))])

    def body(self) -> list[dict[str, Any]]:
        return [item.rest() for item in self.items]

    def __str__(self) -> str:
        return "; ".join(f"{item.code}: {item.message}" for item in self.items)


def not_found() -> ApiError:
    return ApiError.one(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")


__all__ = ["ApiError", "ErrorCode", "ErrorItem", "not_found"]
