"""``composite/sobjects``: sObject Collections (up to 200 records per call).

Per-record results are ``{id, success, errors}`` (plus ``created`` for upserts); failures carry
``{statusCode, message, fields}``. With ``allOrNone`` one failure rolls the whole call back and
every other record reports ``ALL_OR_NONE_OPERATION_ROLLED_BACK``. The HTTP status is 200 either
way; only a malformed call as a whole gets an error status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from accord.sandboxes.salesforce import records
from accord.sandboxes.salesforce.errors import ApiError, ErrorCode, ErrorItem
from accord.sandboxes.salesforce.rest.common import (
    PREFIX,
    api_version,
    origin,
    read_json,
    render,
    respond,
    sobject,
    split_fields,
)
from accord.sandboxes.salesforce.schema import ObjectDef, object_def
from accord.sandboxes.salesforce.state import SalesforceState
from accord.sandboxes.salesforce.store import Transaction

MAX_RECORDS = 200
ROLLED_BACK = ErrorItem("Record rolled back because not all records were valid and the "
                        "request was using AllOrNone header",
                        ErrorCode.ALL_OR_NONE_OPERATION_ROLLED_BACK)

Result = dict[str, Any]


def _collection_body(body: Any) -> tuple[list[Any], bool]:
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise ApiError.one(400, ErrorCode.JSON_PARSER_ERROR,
                           "Collections need a body with a records array")
    items: list[Any] = body["records"]
    if len(items) > MAX_RECORDS:
        raise ApiError.one(400, ErrorCode.EXCEEDED_ID_LIMIT,
                           f"record limit reached. cannot submit more than {MAX_RECORDS} "
                           "records into this call")
    return items, bool(body.get("allOrNone", False))


def _record_type(item: Any) -> ObjectDef:
    attributes = item.get("attributes") if isinstance(item, dict) else None
    name = attributes.get("type") if isinstance(attributes, dict) else None
    obj = object_def(name) if isinstance(name, str) else None
    if obj is None:
        raise ApiError.one(400, ErrorCode.INVALID_TYPE,
                           "sObject type is missing or not supported in the record attributes")
    return obj


def _run_each(tx: Transaction, items: list[Any], all_or_none: bool,
              operation: Callable[[Transaction, Any], Result]) -> list[Result]:
    """Apply ``operation`` per record with a savepoint each; honour allOrNone."""
    results: list[Result] = []
    failed = False
    for item in items:
        mark = tx.mark()
        try:
            results.append(operation(tx, item))
        except ApiError as error:
            tx.rollback_to(mark)
            failed = True
            results.append({"success": False,
                            "errors": [entry.collection() for entry in error.items]})
    if failed and all_or_none:
        tx.rollback_to()
        results = [result if not result["success"] else
                   {"id": result.get("id"), "success": False,
                    "errors": [ROLLED_BACK.collection()]}
                   for result in results]
    return results


def composite_router(state: SalesforceState) -> APIRouter:
    router = APIRouter(prefix=PREFIX + "/composite/sobjects")
    store = state.store

    @router.post("")
    @router.post("/")
    async def create_many(version: str, request: Request) -> Response:
        number = api_version(version)
        items, all_or_none = _collection_body(await read_json(request))

        def create_one(tx: Transaction, item: Any) -> Result:
            obj = _record_type(item)
            if isinstance(item, dict) and item.get("Id"):
                raise ApiError.one(400, ErrorCode.INVALID_FIELD_FOR_INSERT_UPDATE,
                                   "cannot specify Id in an insert call", "Id")
            return {"id": records.create(tx, obj, item), "success": True, "errors": []}

        with store.transaction(origin(request, number)) as tx:
            results = _run_each(tx, items, all_or_none, create_one)
        return respond(results)

    @router.patch("")
    @router.patch("/")
    async def update_many(version: str, request: Request) -> Response:
        number = api_version(version)
        items, all_or_none = _collection_body(await read_json(request))

        def update_one(tx: Transaction, item: Any) -> Result:
            obj = _record_type(item)
            record_id = item.get("Id") if isinstance(item, dict) else None
            if not record_id:
                raise ApiError.one(400, ErrorCode.MISSING_ARGUMENT,
                                   "Id not specified in an update call", "Id")
            body = {key: value for key, value in item.items() if key != "Id"}
            try:
                records.update(tx, obj, str(record_id), body)
            except ApiError as error:
                if error.status == 404:
                    raise ApiError.one(400, ErrorCode.ENTITY_IS_DELETED
                                       if error.items[0].code is ErrorCode.ENTITY_IS_DELETED
                                       else ErrorCode.INVALID_CROSS_REFERENCE_KEY,
                                       "invalid cross reference id", "Id") from None
                raise
            return {"id": str(record_id), "success": True, "errors": []}

        with store.transaction(origin(request, number)) as tx:
            results = _run_each(tx, items, all_or_none, update_one)
        return respond(results)

    @router.delete("")
    @router.delete("/")
    def delete_many(version: str, request: Request) -> Response:
        number = api_version(version)
        ids = split_fields(request.query_params.get("ids")) or []
        if len(ids) > MAX_RECORDS:
            raise ApiError.one(400, ErrorCode.EXCEEDED_ID_LIMIT,
                               f"cannot delete more than {MAX_RECORDS} records in one call")
        all_or_none = request.query_params.get("allOrNone", "false").lower() == "true"

        def delete_one(tx: Transaction, record_id: Any) -> Result:
            found = tx.store.find(str(record_id))
            if found is None:
                raise ApiError.one(400, ErrorCode.ENTITY_IS_DELETED, "entity is deleted")
            records.delete(tx, found[0], str(record_id))
            return {"id": found[1]["Id"], "success": True, "errors": []}

        with store.transaction(origin(request, number)) as tx:
            results = _run_each(tx, list(ids), all_or_none, delete_one)
        return respond(results)

    @router.get("/{type_name}")
    def read_many(version: str, type_name: str, request: Request) -> Response:
        number = api_version(version)
        obj = sobject(type_name)
        ids = split_fields(request.query_params.get("ids")) or []
        fields = split_fields(request.query_params.get("fields"))
        out: list[Any] = []
        for record_id in ids:
            try:
                out.append(render(obj, store.get(obj, record_id), number, fields))
            except ApiError as error:
                if error.status != 404:
                    raise
                out.append(None)
        return respond(out)

    @router.patch("/{type_name}/{field_name}")
    async def upsert_many(version: str, type_name: str, field_name: str,
                          request: Request) -> Response:
        number = api_version(version)
        obj = sobject(type_name)
        field = records.external_id_field(obj, field_name)
        items, all_or_none = _collection_body(await read_json(request))
        keys = [str(item.get(field, "")).lower() if isinstance(item, dict) else ""
                for item in items]

        def upsert_one(tx: Transaction, item: Any) -> Result:
            if _record_type(item) is not obj:
                raise ApiError.one(400, ErrorCode.INVALID_TYPE,
                                   f"records must all be of type {obj.name}")
            value = item.get(field)
            if value in (None, ""):
                raise ApiError.one(400, ErrorCode.MISSING_ARGUMENT,
                                   f"{field} not specified", field)
            if keys.count(str(value).lower()) > 1:
                raise ApiError.one(400, ErrorCode.DUPLICATE_EXTERNAL_ID,
                                   f"Duplicate external id specified: {value}", field)
            try:
                result = records.upsert(tx, obj, field, str(value), item)
            except records.MultipleMatches as many:
                raise ApiError.one(400, ErrorCode.DUPLICATE_EXTERNAL_ID,
                                   f"{field}: more than one record found for external id "
                                   f"field: {many.ids}", field) from None
            return {"id": result.id, "success": True, "errors": [],
                    "created": result.created}

        with store.transaction(origin(request, number)) as tx:
            results = _run_each(tx, items, all_or_none, upsert_one)
        return respond(results)

    return router


__all__ = ["composite_router"]
