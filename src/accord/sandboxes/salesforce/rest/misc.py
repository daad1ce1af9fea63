"""Version list, resource directory and ``limits/``."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from accord.sandboxes.salesforce.rest.common import API_VERSIONS, PREFIX, api_version, respond
from accord.sandboxes.salesforce.state import SalesforceState


def misc_router(state: SalesforceState) -> APIRouter:
    router = APIRouter()

    @router.get("/services/data")
    @router.get("/services/data/")
    def versions() -> Response:
        return respond([{"label": f"API {number}", "url": f"/services/data/v{number}",
                         "version": number} for number in API_VERSIONS])

    @router.get(PREFIX)
    @router.get(PREFIX + "/")
    def resources(version: str) -> Response:
        base = f"/services/data/v{api_version(version)}"
        return respond({name: f"{base}/{name}" for name in
                        ("sobjects", "query", "queryAll", "composite", "limits")})

    @router.get(PREFIX + "/limits")
    @router.get(PREFIX + "/limits/")
    def limits(version: str) -> Response:
        api_version(version)
        return respond(state.limits.resource())

    return router


__all__ = ["misc_router"]
