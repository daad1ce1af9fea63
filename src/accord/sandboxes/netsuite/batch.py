"""REST batch operations: upsert up to 100 records of one type in one request.

NetSuite's REST record service takes a batch as ``PUT /services/rest/record/v1/{type}``
(no key in the path) with ``Prefer: respond-async``, ``Content-Type:
application/vnd.oracle.resource+json; type=collection`` and a body ``{"items": [...]}``;
each item names its record by ``externalId`` (a batch PUT is an upsert by external id). At
most 100 records go in one batch, and a batch always runs as an asynchronous job (202 and a
job ``Location``), optionally under an ``X-NetSuite-Idempotency-Key``.

Each record is saved on its own: one refused record does not stop the others. The job's
single task result is a collection with one entry per item, in request order::

    {"count": 2, "items": [
        {"externalId": "a", "status": 204, "id": "17",
         "links": [{"rel": "self", "href": ".../record/v1/invoice/17"}]},
        {"externalId": "b", "status": 400, "o:errorDetails": [{...}]}]}

Oracle documents the request (headers, body, limit of 100) but not the shape of a batch
job's result; the sandbox answers per record with the same status and error details a single
upsert of that record would have had.
"""

from __future__ import annotations

from typing import Any

from starlette.types import Scope

from accord.sandboxes.netsuite.errors import ErrorCode, NetSuiteError, envelope, invalid
from accord.sandboxes.netsuite.governance import JOB_SCOPE_KEY
from accord.sandboxes.netsuite.records.convert import record_href
from accord.sandboxes.netsuite.records.service import RecordService

MAX_BATCH = 100
COLLECTION = "type=collection"


def is_collection(content_type: str | None) -> bool:
    return COLLECTION in (content_type or "").replace(" ", "").lower()


def _bad_request(detail: str, path: str) -> NetSuiteError:
    return NetSuiteError(400, ErrorCode.INVALID_PARAMETER, detail, path)


def check_batch_request(scope: Scope, content_type: str | None, body: Any) -> list[Any]:
    """The batch's items, or a 400 naming what is wrong with the request."""
    if not is_collection(content_type):
        raise _bad_request("A batch request needs 'Content-Type: application/vnd.oracle.resource"
                      "+json; type=collection'.", "Content-Type")
    if scope.get(JOB_SCOPE_KEY) is None:
        raise _bad_request("Batch requests are asynchronous only: send 'Prefer: respond-async'.",
                      "Prefer")
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise _bad_request("The batch body must hold the records in a non-empty 'items' list.",
                      "items")
    if len(items) > MAX_BATCH:
        raise _bad_request(f"A batch request can hold at most {MAX_BATCH} records; it held "
                      f"{len(items)}.", "items")
    return items


def upsert_batch(records: RecordService, record_type: str, items: list[Any], root: str,
                 *, strict: bool = False) -> dict[str, Any]:
    """Upsert every item on its own; the per-record results, in request order."""
    results: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        external_id = item.get("externalId") if isinstance(item, dict) else None
        entry: dict[str, Any] = {"externalId": external_id}
        try:
            if not isinstance(item, dict):
                raise invalid(f"Item {index} of the batch is not an object.", f"items[{index}]")
            if not isinstance(external_id, str) or not external_id:
                raise invalid("A batch upsert names each record by its externalId.",
                              f"items[{index}].externalId")
            body = {key: value for key, value in item.items() if key != "externalId"}
            saved = records.upsert(record_type, f"eid:{external_id}", body, strict=strict)
            href = record_href(root, saved.record.type, saved.record.id)
            entry.update(status=204, id=saved.record.id,
                         links=[{"rel": "self", "href": href}])
        except NetSuiteError as error:
            entry.update(envelope(error.status, error.code, error.detail, error.path))
        results.append(entry)
    return {"count": len(results), "items": results}


__all__ = ["COLLECTION", "JOB_SCOPE_KEY", "MAX_BATCH", "check_batch_request", "is_collection",
           "upsert_batch"]
