"""Associations (v4): link two records with the default type or with given types, list a
record's associations to one object type (``after`` paging), remove them. Also the deal
pipelines (``/crm/v3/pipelines/deals``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from accord.sandboxes.hubspot.errors import not_found, validation
from accord.sandboxes.hubspot.objects import json_body
from accord.sandboxes.hubspot.schema import PIPELINES, PRIMARY_ASSOCIATIONS, Pipeline
from accord.sandboxes.hubspot.store import HUBSPOT_DEFINED, Store
from accord.sandboxes.hubspot.values import iso

V4 = "/crm/v4/objects"
LIST_MAX = 500


def _label(pair: tuple[str, str], type_id: int) -> str | None:
    return "Primary" if PRIMARY_ASSOCIATIONS.get(pair) == type_id else None


def associations_router(store: Store) -> APIRouter:
    router = APIRouter()

    @router.put(V4 + "/{from_type}/{from_id}/associations/default/{to_type}/{to_id}")
    def create_default(from_type: str, from_id: str, to_type: str, to_id: str
                       ) -> dict[str, Any]:
        kind, to = store.kind(from_type), store.kind(to_type)
        started = store.clock.now()
        types = store.associate(kind, from_id, to, to_id)
        results = [{"from": {"id": from_id}, "to": {"id": to_id},
                    "associationSpec": {"associationCategory": category,
                                        "associationTypeId": type_id}}
                   for category, type_id in types]
        return {"status": "COMPLETE", "results": results, "startedAt": iso(started),
                "completedAt": iso(store.clock.now())}

    @router.put(V4 + "/{from_type}/{from_id}/associations/{to_type}/{to_id}")
    async def create(from_type: str, from_id: str, to_type: str, to_id: str,
                     request: Request) -> Response:
        kind, to = store.kind(from_type), store.kind(to_type)
        given = await json_body(request)
        if not isinstance(given, list) or not given:
            raise validation("Invalid input JSON: a list of association specs is required")
        types = [(str(spec.get("associationCategory") or HUBSPOT_DEFINED),
                  int(spec.get("associationTypeId"))) for spec in given]
        linked = store.associate(kind, from_id, to, to_id, types)
        labels = [label for _c, t in linked if (label := _label((kind.name, to.name), t))]
        return JSONResponse({"fromObjectTypeId": kind.type_id, "fromObjectId": from_id,
                             "toObjectTypeId": to.type_id, "toObjectId": to_id,
                             "labels": labels}, status_code=201)

    @router.get(V4 + "/{from_type}/{from_id}/associations/{to_type}")
    def list_associations(from_type: str, from_id: str, to_type: str, request: Request
                          ) -> dict[str, Any]:
        kind, to = store.kind(from_type), store.kind(to_type)
        store.get(kind, from_id)
        limit = int(request.query_params.get("limit") or LIST_MAX)
        after = int(request.query_params.get("after") or 0)
        linked = list(store.associated(kind, from_id, to).items())
        page = linked[after:after + limit]
        body: dict[str, Any] = {"results": [
            {"toObjectId": to_id, "associationTypes": [
                {"category": category, "typeId": type_id,
                 "label": _label((kind.name, to.name), type_id)}
                for category, type_id in sorted(types)]}
            for to_id, types in page]}
        if after + limit < len(linked):
            body["paging"] = {"next": {"after": str(after + limit)}}
        return body

    @router.delete(V4 + "/{from_type}/{from_id}/associations/{to_type}/{to_id}",
                   status_code=204)
    def remove(from_type: str, from_id: str, to_type: str, to_id: str) -> Response:
        store.dissociate(store.kind(from_type), from_id, store.kind(to_type), to_id)
        return Response(status_code=204)

    def pipeline_body(pipeline: Pipeline) -> dict[str, Any]:
        epoch = "2020-01-01T00:00:00.000Z"
        return {"id": pipeline.id, "label": pipeline.label, "displayOrder": 0,
                "archived": False, "createdAt": epoch, "updatedAt": epoch,
                "stages": [{"id": stage.id, "label": stage.label, "displayOrder": index,
                            "archived": False, "createdAt": epoch, "updatedAt": epoch,
                            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                            "metadata": {"isClosed": str(stage.closed).lower(),
                                         "probability": stage.probability}}
                           for index, stage in enumerate(pipeline.stages)]}

    @router.get("/crm/v3/pipelines/{object_type}")
    def pipelines(object_type: str) -> dict[str, Any]:
        kind = store.kind(object_type)
        return {"results": [pipeline_body(p) for p in PIPELINES.get(kind.name, ())]}

    @router.get("/crm/v3/pipelines/{object_type}/{pipeline_id}")
    def pipeline(object_type: str, pipeline_id: str) -> dict[str, Any]:
        kind = store.kind(object_type)
        for found in PIPELINES.get(kind.name, ()):
            if found.id == pipeline_id:
                return pipeline_body(found)
        raise not_found(f"Pipeline {pipeline_id} not found")

    return router


__all__ = ["associations_router"]
