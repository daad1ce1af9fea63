"""``query/`` and ``queryAll/``: SOQL with ``nextRecordsUrl`` paging.

A result larger than the batch size (2,000, or ``Sforce-Query-Options: batchSize=n`` between
200 and 2,000) is kept under a locator; ``nextRecordsUrl`` is
``/services/data/vXX.X/query/<locator>-<offset>``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from accord.sandboxes.salesforce.cursors import BATCH_SIZE
from accord.sandboxes.salesforce.errors import ApiError, ErrorCode
from accord.sandboxes.salesforce.rest.common import PREFIX, api_version, respond
from accord.sandboxes.salesforce.soql import SoqlSyntaxError, execute, parse
from accord.sandboxes.salesforce.state import SalesforceState


def batch_size(request: Request) -> int:
    for part in request.headers.get("sforce-query-options", "").split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "batchsize" and value.strip().isdigit():
            return min(BATCH_SIZE, max(200, int(value)))
    return BATCH_SIZE


def query_router(state: SalesforceState) -> APIRouter:
    router = APIRouter(prefix=PREFIX)

    def page(number: str, endpoint: str, locator: str, records: list[dict[str, Any]], *,
             start: int, size: int) -> dict[str, Any]:
        end = start + size
        body: dict[str, Any] = {"totalSize": len(records), "done": end >= len(records),
                                "records": records[start:end]}
        if end < len(records):
            body["nextRecordsUrl"] = f"/services/data/v{number}/{endpoint}/{locator}-{end}"
        return body

    def run(version: str, request: Request, include_deleted: bool) -> Response:
        number = api_version(version)
        text = request.query_params.get("q")
        if not text:
            raise ApiError.one(400, ErrorCode.MALFORMED_QUERY, "No query string specified")
        try:
            query = parse(text)
        except SoqlSyntaxError as exc:
            raise ApiError.one(400, ErrorCode.MALFORMED_QUERY, f"\n{text}\n{exc}") from None
        total, records = execute(query, state.store, now=state.control.clock.now(),
                                 version=number, include_deleted=include_deleted)
        if query.count_only:
            return respond({"totalSize": total, "done": True, "records": []})
        size = batch_size(request)
        endpoint = "queryAll" if include_deleted else "query"
        locator = state.cursors.open(records, include_deleted) if total > size else ""
        return respond(page(number, endpoint, locator, records, start=0, size=size))

    def more(version: str, cursor: str, request: Request, endpoint: str) -> Response:
        number = api_version(version)
        locator, _, offset = cursor.rpartition("-")
        found = state.cursors.get(locator)
        if found is None or not offset.isdigit():
            raise ApiError.one(400, ErrorCode.INVALID_QUERY_LOCATOR, "invalid query locator")
        return respond(page(number, endpoint, locator, found.records, start=int(offset),
                            size=batch_size(request)))

    @router.get("/query")
    @router.get("/query/")
    def query(version: str, request: Request) -> Response:
        return run(version, request, include_deleted=False)

    @router.get("/queryAll")
    @router.get("/queryAll/")
    def query_all(version: str, request: Request) -> Response:
        return run(version, request, include_deleted=True)

    @router.get("/query/{cursor}")
    def query_more(version: str, cursor: str, request: Request) -> Response:
        return more(version, cursor, request, "query")

    @router.get("/queryAll/{cursor}")
    def query_all_more(version: str, cursor: str, request: Request) -> Response:
        return more(version, cursor, request, "queryAll")

    return router


__all__ = ["query_router"]
