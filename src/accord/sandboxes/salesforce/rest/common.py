"""Helpers shared by the REST resources: versions, bodies, responses, call options."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from starlette.responses import Response

from accord.sandboxes.salesforce.cdc import change_origin
from accord.sandboxes.salesforce.errors import ApiError, ErrorCode, not_found
from accord.sandboxes.salesforce.schema import ObjectDef, object_def
from accord.sandboxes.salesforce.soql import record_url
from accord.sandboxes.salesforce.store import Record
from accord.sandboxes.salesforce.values import dumps, loads, to_wire

API_VERSIONS = tuple(f"{major}.0" for major in range(52, 63))
PREFIX = "/services/data/{version}"
JSON = "application/json;charset=UTF-8"


def api_version(version: str) -> str:
    """``v62.0`` -> ``62.0``; unknown versions are 404 as on Salesforce."""
    number = version[1:] if version.startswith("v") else ""
    if number not in API_VERSIONS:
        raise not_found()
    return number


def respond(body: Any, status: int = 200) -> Response:
    return Response(dumps(to_wire(body)), status_code=status, media_type=JSON)


def no_content() -> Response:
    return Response(status_code=204)


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise ApiError.one(400, ErrorCode.JSON_PARSER_ERROR,
                           "The HTTP entity body is required, but this request has no entity "
                           "body.")
    try:
        return loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError.one(400, ErrorCode.JSON_PARSER_ERROR,
                           f"Unexpected character at [line:{getattr(exc, 'lineno', 1)}]") from None


def client_id(request: Request) -> str | None:
    """``Sforce-Call-Options: client=accord, defaultNamespace=x`` -> ``accord``."""
    for part in request.headers.get("sforce-call-options", "").split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "client" and value.strip():
            return value.strip()
    return None


def origin(request: Request, version: str) -> str:
    return change_origin(version, client_id(request))


def sobject(name: str) -> ObjectDef:
    obj = object_def(name)
    if obj is None:
        raise not_found()
    return obj


def render(obj: ObjectDef, record: Record, version: str,
           fields: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"attributes": {"type": obj.name,
                                          "url": record_url(version, obj.name, record["Id"])}}
    if fields is None:
        out.update({field.name: record.get(field.name) for field in obj.fields})
        return out
    for name in fields:
        field = obj.field(name)
        if field is None:
            raise ApiError.one(400, ErrorCode.INVALID_FIELD,
                               f"No such column '{name}' on sobject of type {obj.name}")
        out[field.name] = record.get(field.name)
    return out


def split_fields(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [name.strip() for name in value.split(",") if name.strip()]


__all__ = ["API_VERSIONS", "JSON", "PREFIX", "api_version", "client_id", "no_content",
           "origin", "read_json", "render", "respond", "sobject", "split_fields"]
