"""``sobjects/``: describe, create, read, update, delete, and upsert by external id."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from accord.sandboxes.salesforce import records
from accord.sandboxes.salesforce.errors import ApiError, ErrorCode, not_found
from accord.sandboxes.salesforce.rest.common import (
    PREFIX,
    api_version,
    no_content,
    origin,
    read_json,
    render,
    respond,
    sobject,
    split_fields,
)
from accord.sandboxes.salesforce.rest.describe import (
    describe_global,
    describe_object,
    object_summary,
)
from accord.sandboxes.salesforce.soql import record_url
from accord.sandboxes.salesforce.state import SalesforceState
from accord.sandboxes.salesforce.values import parse_datetime


def _window(start: str, end: str) -> tuple[datetime, datetime]:
    """The ``start``/``end`` of the updated and deleted resources (whole minutes, as
    Salesforce truncates them)."""
    try:
        since, until = parse_datetime(start), parse_datetime(end)
    except ValueError:
        raise ApiError.one(400, ErrorCode.INVALID_REPLICATION_DATE,
                           "start and end must be ISO 8601 date-times with a zone") from None
    if until <= since:
        raise ApiError.one(400, ErrorCode.INVALID_REPLICATION_DATE,
                           "end must be after start")
    return since.replace(second=0, microsecond=0), until.replace(second=0, microsecond=0)


def sobjects_router(state: SalesforceState) -> APIRouter:
    router = APIRouter(prefix=PREFIX + "/sobjects")
    store = state.store

    @router.get("")
    @router.get("/")
    def global_describe(version: str) -> Response:
        return respond(describe_global(api_version(version)))

    @router.get("/{type_name}")
    @router.get("/{type_name}/")
    def basic_info(version: str, type_name: str) -> Response:
        number = api_version(version)
        return respond({"objectDescribe": object_summary(sobject(type_name), number),
                        "recentItems": []})

    @router.get("/{type_name}/describe")
    @router.get("/{type_name}/describe/")
    def describe(version: str, type_name: str) -> Response:
        return respond(describe_object(sobject(type_name), api_version(version)))

    @router.get("/{type_name}/updated/")
    @router.get("/{type_name}/updated")
    def updated(version: str, type_name: str, start: str, end: str) -> Response:
        api_version(version)
        obj = sobject(type_name)
        since, until = _window(start, end)
        ids = [record["Id"] for record in store.rows(obj)
               if since <= record["SystemModstamp"] < until]
        return respond({"ids": ids, "latestDateCovered": until})

    @router.get("/{type_name}/deleted/")
    @router.get("/{type_name}/deleted")
    def deleted(version: str, type_name: str, start: str, end: str) -> Response:
        api_version(version)
        obj = sobject(type_name)
        since, until = _window(start, end)
        gone = [{"id": record["Id"], "deletedDate": record["SystemModstamp"]}
                for record in store.rows(obj, include_deleted=True)
                if record["IsDeleted"] and since <= record["SystemModstamp"] < until]
        return respond({"deletedRecords": gone, "earliestDateAvailable": since,
                        "latestDateCovered": until})

    @router.post("/{type_name}")
    @router.post("/{type_name}/")
    async def create(version: str, type_name: str, request: Request) -> Response:
        number = api_version(version)
        obj = sobject(type_name)
        body = await read_json(request)
        with store.transaction(origin(request, number)) as tx:
            record_id = records.create(tx, obj, body)
        return respond({"id": record_id, "success": True, "errors": []}, 201)

    @router.get("/{type_name}/{record_id}")
    def read(version: str, type_name: str, record_id: str, request: Request) -> Response:
        number = api_version(version)
        obj = sobject(type_name)
        record = store.get(obj, record_id)
        return respond(render(obj, record, number, split_fields(request.query_params.get(
            "fields"))))

    @router.patch("/{type_name}/{record_id}")
    async def update(version: str, type_name: str, record_id: str,
                     request: Request) -> Response:
        number = api_version(version)
        obj = sobject(type_name)
        body = await read_json(request)
        with store.transaction(origin(request, number)) as tx:
            records.update(tx, obj, record_id, body)
        return no_content()

    @router.delete("/{type_name}/{record_id}")
    def delete(version: str, type_name: str, record_id: str, request: Request) -> Response:
        number = api_version(version)
        obj = sobject(type_name)
        with store.transaction(origin(request, number)) as tx:
            records.delete(tx, obj, record_id)
        return no_content()

    @router.get("/{type_name}/{field_name}/{value}")
    def read_by_external_id(version: str, type_name: str, field_name: str, value: str,
                            request: Request) -> Response:
        number = api_version(version)
        obj = sobject(type_name)
        field = records.external_id_field(obj, field_name)
        with store.transaction(origin(request, number)) as tx:
            found = records.matches(tx, obj, field, value)
        if not found:
            raise not_found()
        if len(found) > 1:
            return respond([record_url(number, obj.name, record["Id"]) for record in found], 300)
        return respond(render(obj, found[0], number, split_fields(
            request.query_params.get("fields"))))

    @router.patch("/{type_name}/{field_name}/{value}")
    async def upsert(version: str, type_name: str, field_name: str, value: str,
                     request: Request) -> Response:
        number = api_version(version)
        obj = sobject(type_name)
        body = await read_json(request)
        try:
            with store.transaction(origin(request, number)) as tx:
                result = records.upsert(tx, obj, field_name, value, body)
        except records.MultipleMatches as many:
            return respond([record_url(number, obj.name, record_id) for record_id in many.ids],
                           300)
        return respond({"id": result.id, "success": True, "errors": [],
                        "created": result.created}, 201 if result.created else 200)

    @router.delete("/{type_name}/{field_name}/{value}")
    def delete_by_external_id(version: str, type_name: str, field_name: str, value: str,
                              request: Request) -> Response:
        number = api_version(version)
        obj = sobject(type_name)
        field = records.external_id_field(obj, field_name)
        with store.transaction(origin(request, number)) as tx:
            found = records.matches(tx, obj, field, value)
            if len(found) == 1:
                records.delete(tx, obj, found[0]["Id"])
        if not found:
            raise not_found()
        if len(found) > 1:
            return respond([record_url(number, obj.name, record["Id"]) for record in found], 300)
        return no_content()

    return router


__all__ = ["sobjects_router"]
