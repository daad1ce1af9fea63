"""CRM v3 objects: basic CRUD with ``after`` paging, batch read/create/update/upsert/archive
(at most 100 inputs; 201 or 200 when every input succeeded, 207 with per-input errors when
some failed) and search."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from accord.sandboxes.hubspot import search
from accord.sandboxes.hubspot.errors import Detail, HubSpotError, validation
from accord.sandboxes.hubspot.schema import DEFAULT_ASSOCIATIONS, PRIMARY_ASSOCIATIONS, ObjectType
from accord.sandboxes.hubspot.shapes import batch_body, names, record_body, with_associations
from accord.sandboxes.hubspot.store import Record, Store

BATCH_MAX = 100
LIST_MAX = 100
BASE = "/crm/v3/objects"


async def json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        raise validation("Invalid input JSON on line 1: the body is not JSON") from None


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise validation(f"Invalid input JSON: {what} must be an object")
    return value


def _flag(value: str | None) -> bool:
    return (value or "").lower() == "true"


Links = list[tuple[str, str, list[tuple[str, int]]]]


def association_inputs(kind: ObjectType, given: Any) -> Links:
    """A create's ``associations``: the target's type follows from the association type."""
    found: Links = []
    for entry in given or []:
        item = _dict(entry, "associations[]")
        to_id = str(_dict(item.get("to"), "associations[].to").get("id"))
        types = [(str(t.get("associationCategory")), int(t.get("associationTypeId")))
                 for t in item.get("types") or []]
        targets = {to for (src, to), type_id in (*DEFAULT_ASSOCIATIONS.items(),
                                                 *PRIMARY_ASSOCIATIONS.items())
                   if src == kind.name and any(type_id == t for _c, t in types)}
        if len(targets) != 1:
            raise validation("associations: cannot infer the target object type from "
                             f"associationTypeId {[t for _c, t in types]}",
                             Detail("unknown association type", "INVALID_ASSOCIATION"))
        found.append((targets.pop(), to_id, types))
    return found


def objects_router(store: Store) -> APIRouter:
    router = APIRouter()

    def body_of(kind: ObjectType, record: Record, properties: list[str] | None,
                associations: list[str] | None = None) -> dict[str, Any]:
        body = record_body(kind, record, properties)
        return with_associations(store, kind, record, body, associations or [])

    @router.get(BASE + "/{object_type}")
    def list_page(object_type: str, request: Request) -> dict[str, Any]:
        kind = store.kind(object_type)
        query = request.query_params
        limit = int(query.get("limit") or 10)
        if not 0 < limit <= LIST_MAX:
            raise validation(f"limit: must be between 1 and {LIST_MAX}")
        rows, after = store.page(kind, query.get("after"), limit,
                                 archived=_flag(query.get("archived")))
        properties = names(query.getlist("properties"))
        associations = names(query.getlist("associations"))
        body: dict[str, Any] = {"results": [body_of(kind, r, properties, associations)
                                            for r in rows]}
        if after is not None:
            link = f"{str(request.base_url).rstrip('/')}{BASE}/{kind.name}?after={after}"
            body["paging"] = {"next": {"after": after, "link": link}}
        return body

    @router.post(BASE + "/{object_type}", status_code=201)
    async def create(object_type: str, request: Request) -> dict[str, Any]:
        kind = store.kind(object_type)
        given = _dict(await json_body(request), "body")
        properties = _dict(given.get("properties") or {}, "properties")
        record = store.create(kind, properties, association_inputs(kind,
                                                                   given.get("associations")))
        return body_of(kind, record, sorted({*kind.defaults, *properties}))

    @router.get(BASE + "/{object_type}/{object_id}")
    def read(object_type: str, object_id: str, request: Request) -> dict[str, Any]:
        kind = store.kind(object_type)
        query = request.query_params
        record = store.get(kind, object_id, id_property=query.get("idProperty"),
                           archived=_flag(query.get("archived")))
        return body_of(kind, record, names(query.getlist("properties")),
                       names(query.getlist("associations")))

    @router.patch(BASE + "/{object_type}/{object_id}")
    async def update(object_type: str, object_id: str, request: Request) -> dict[str, Any]:
        kind = store.kind(object_type)
        given = _dict(await json_body(request), "body")
        properties = _dict(given.get("properties") or {}, "properties")
        record = store.update(kind, object_id, properties,
                              id_property=request.query_params.get("idProperty"))
        return body_of(kind, record, sorted({*kind.defaults, *properties}))

    @router.delete(BASE + "/{object_type}/{object_id}", status_code=204)
    def archive(object_type: str, object_id: str) -> Response:
        store.archive(store.kind(object_type), object_id)
        return Response(status_code=204)

    @router.post(BASE + "/{object_type}/search")
    async def search_records(object_type: str, request: Request) -> dict[str, Any]:
        kind = store.kind(object_type)
        given = _dict(await json_body(request), "body")
        after, limit = search.check(given)
        with store.lock:
            found = search.run(kind, list(store.of(kind.name).values()), given)
        page = found[after:after + limit]
        properties = [str(p) for p in given.get("properties") or []]
        body: dict[str, Any] = {"total": len(found),
                                "results": [body_of(kind, r, properties) for r in page]}
        if after + limit < len(found):
            body["paging"] = {"next": {"after": str(after + limit)}}
        return body

    @router.post(BASE + "/{object_type}/batch/{action}")
    async def batch(object_type: str, action: str, request: Request) -> Response:
        kind = store.kind(object_type)
        given = _dict(await json_body(request), "body")
        inputs = given.get("inputs")
        if not isinstance(inputs, list):
            raise validation("inputs: required, a list")
        if len(inputs) > BATCH_MAX:
            raise validation(f"Batch input cannot exceed {BATCH_MAX} inputs",
                             Detail(f"inputs: {len(inputs)} given, at most {BATCH_MAX}",
                                    "TOO_MANY_INPUTS"))
        started = store.clock.now()
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        if action == "archive":
            for item in inputs:
                store.archive(kind, str(_dict(item, "inputs[]").get("id")))
            return Response(status_code=204)
        for index, item in enumerate(inputs):
            try:
                results.append(_one(store, kind, action, _dict(item, "inputs[]"), given))
            except HubSpotError as error:
                if error.status >= 500 or action not in ("read", "create", "update", "upsert"):
                    raise
                entry = error.batch_entry()
                entry["context"] = {**entry["context"],
                                    "ids": [str(item.get("id", index))]}
                errors.append(entry)
        if action not in ("read", "create", "update", "upsert"):
            raise HubSpotError(404, "OBJECT_NOT_FOUND", f"Unknown batch action {action!r}")
        status = 207 if errors else (201 if action == "create" else 200)
        return JSONResponse(batch_body(results, errors, started, store.clock.now()),
                            status_code=status)

    return router


def _one(store: Store, kind: ObjectType, action: str, item: dict[str, Any],
         request: dict[str, Any]) -> dict[str, Any]:
    properties = _dict(item.get("properties") or {}, "inputs[].properties")
    if action == "read":
        record = store.get(kind, str(item.get("id")), id_property=request.get("idProperty"))
        return record_body(kind, record, [str(p) for p in request.get("properties") or []])
    if action == "create":
        record = store.create(kind, properties, association_inputs(kind,
                                                                   item.get("associations")))
        return record_body(kind, record, sorted({*kind.defaults, *properties}))
    if action == "update":
        record = store.update(kind, str(item.get("id")), properties,
                              id_property=item.get("idProperty"))
        return record_body(kind, record, sorted({*kind.defaults, *properties}))
    id_property = item.get("idProperty")
    key = str(item.get("id"))
    if not id_property:
        raise validation("idProperty: required for an upsert",
                         Detail("idProperty is required", "MISSING_ID_PROPERTY"))
    existing = store.find(kind, key, id_property=str(id_property))
    if existing is not None:
        record = store.update(kind, existing.id, properties)
    else:
        record = store.create(kind, {**properties, str(id_property): key})
    body = record_body(kind, record, sorted({*kind.defaults, *properties}))
    body["new"] = existing is None
    return body


__all__ = ["BATCH_MAX", "objects_router"]
