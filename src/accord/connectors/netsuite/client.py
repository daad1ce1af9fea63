"""The NetSuite REST client: TBA-signed httpx, accord's retry policy and a concurrency gate.

Every request passes through ``gate`` (a :class:`~accord.resilience.SlotGate`; by default a
process-local gate sized to ``max_concurrency``) so that the engine can inject a gate shared
across processes. A slot is held for one HTTP exchange, never during a retry's back-off.
Creates that must be idempotent go through :meth:`NetSuiteClient.upsert` (``PUT
.../{type}/eid:{externalId}``), whose external id accord derives from canonical ids, or, many
at once, :meth:`NetSuiteClient.upsert_batch` (REST batch operations: up to 100 records per
asynchronous request, one result per record).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from accord.connectors.base import Page, iterate_pages
from accord.connectors.netsuite import wire
from accord.connectors.netsuite.auth import TokenAuth
from accord.connectors.netsuite.errors import SYSTEM, error_for
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.errors import AccordError, ConflictError, PermanentError, TransientError
from accord.resilience.limits import LocalGate, SlotGate
from accord.resilience.retry import RetryPolicy, call_with_retry

SUITEQL_PAGE = 1000
RECORD = "/record/v1"
BATCH_LIMIT = 100
"""Records per REST batch request (NetSuite's documented maximum)."""
COLLECTION_TYPE = "application/vnd.oracle.resource+json; type=collection"
JOB_POLL_SECONDS = 0.2
T = TypeVar("T")


@dataclass(frozen=True)
class BatchResult:
    """One record's outcome in a batch: its internal id, or the error that refused it."""

    external_id: str
    internal_id: str | None = None
    error: AccordError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _batch_result(external_id: str, entry: Any) -> BatchResult:
    if not isinstance(entry, dict):
        return BatchResult(external_id, error=PermanentError(
            "NetSuite's batch result has no entry for this record", system=SYSTEM))
    status = int(entry.get("status") or 0)
    if 200 <= status < 300 and entry.get("id") is not None:
        return BatchResult(external_id, internal_id=str(entry["id"]))
    response = httpx.Response(status or 500, content=wire.dumps(entry).encode())
    return BatchResult(external_id, error=error_for(response))


@dataclass(frozen=True)
class QueryPage:
    """One page of SuiteQL rows (values are strings; nulls are absent)."""

    rows: list[dict[str, str]]
    has_more: bool
    offset: int
    total: int


def location_id(response: httpx.Response) -> str:
    """The internal id at the end of the ``Location`` header of a create or upsert."""
    location = response.headers.get("Location")
    if not location:
        raise PermanentError("NetSuite answered without a Location header", system=SYSTEM,
                             status=response.status_code)
    return str(urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1])


def _eid(external_id: str) -> str:
    return "eid:" + quote(external_id, safe="-_.")


class NetSuiteClient:
    def __init__(self, settings: NetSuiteSettings, *, gate: SlotGate | None = None,
                 policy: RetryPolicy | None = None, retry: bool = True,
                 sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.gate: SlotGate = gate or LocalGate(settings.max_concurrency)
        self.policy = policy or RetryPolicy()
        self.retry = retry
        self._sleep = sleep
        self._rng = rng
        auth = TokenAuth(account_id=settings.account_id, consumer_key=settings.consumer_key,
                         consumer_secret=settings.consumer_secret.get_secret_value(),
                         token_id=settings.token_id,
                         token_secret=settings.token_secret.get_secret_value())
        self._http = httpx.Client(
            base_url=f"{settings.rest_root}/services/rest", auth=auth,
            timeout=settings.timeout_seconds, transport=transport,
            headers={"Accept": "application/json", "Content-Type": "application/json"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NetSuiteClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"NetSuiteClient(account={self.settings.account_id!r})"

    # -- transport ------------------------------------------------------------------------
    def _exchange(self, method: str, path: str, body: Any, params: Mapping[str, Any] | None,
                  headers: Mapping[str, str] | None) -> httpx.Response:
        """One HTTP exchange under the gate; the status is the caller's to judge."""
        content = wire.dumps(body).encode() if body is not None else None
        with self.gate.slot():
            try:
                response = self._http.request(method, path, content=content, params=params,
                                              headers=headers)
            except httpx.TimeoutException as exc:
                raise TransientError(f"timed out: {type(exc).__name__}", system=SYSTEM) from exc
            except httpx.TransportError as exc:
                raise TransientError(f"connection failed: {type(exc).__name__}",
                                     system=SYSTEM) from exc
        return response

    def _once(self, method: str, path: str, body: Any, params: Mapping[str, Any] | None,
              headers: Mapping[str, str] | None) -> httpx.Response:
        response = self._exchange(method, path, body, params, headers)
        if response.status_code >= 400:
            raise error_for(response)
        return response

    def _retried(self, attempt: Callable[[], T]) -> T:
        if not self.retry:
            return attempt()
        return call_with_retry(attempt, self.policy, sleep=self._sleep, rng=self._rng)

    def request(self, method: str, path: str, *, body: Any = None,
                params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None) -> httpx.Response:
        """One call, retried under the policy; failures raise classified accord errors."""
        return self._retried(lambda: self._once(method, path, body, params, headers))

    # -- records --------------------------------------------------------------------------
    def create(self, record_type: str, body: Mapping[str, Any]) -> str:
        """POST a new record; return its internal id. Not idempotent: prefer ``upsert``."""
        return location_id(self.request("POST", f"{RECORD}/{record_type}", body=dict(body)))

    def upsert(self, record_type: str, external_id: str, body: Mapping[str, Any]) -> str:
        """Create or update the record with this external id; return its internal id."""
        payload = {key: value for key, value in body.items() if key != "externalId"}
        return location_id(self.request("PUT", f"{RECORD}/{record_type}/{_eid(external_id)}",
                                        body=payload))

    def upsert_batch(self, record_type: str,
                     records: Sequence[tuple[str, Mapping[str, Any]]], *,
                     idempotency_key: str | None = None) -> list[BatchResult]:
        """Upsert many records of one type through REST batch operations (at most
        :data:`BATCH_LIMIT` per request, each batch an asynchronous job). Returns one result
        per record, in order: a refused record carries its classified error and does not
        affect the others. ``idempotency_key`` (suffixed with the batch's number) makes a
        resent batch return the first submission's job instead of running again."""
        results: list[BatchResult] = []
        for number, start in enumerate(range(0, len(records), BATCH_LIMIT)):
            chunk = records[start:start + BATCH_LIMIT]
            key = f"{idempotency_key}-{number}" if idempotency_key else None
            results.extend(self._upsert_chunk(record_type, chunk, key))
        return results

    def _upsert_chunk(self, record_type: str, chunk: Sequence[tuple[str, Mapping[str, Any]]],
                      key: str | None) -> list[BatchResult]:
        items = [{**{k: v for k, v in body.items() if k != "externalId"}, "externalId": eid}
                 for eid, body in chunk]
        headers = {"Prefer": "respond-async", "Content-Type": COLLECTION_TYPE}
        if key:
            headers["X-NetSuite-Idempotency-Key"] = key
        path = f"{RECORD}/{record_type}"
        job = self._retried(lambda: self._submit(path, {"items": items}, headers))
        outcome = self._job_result(job)
        entries = outcome.get("items") if isinstance(outcome, dict) else None
        entries = entries if isinstance(entries, list) else []
        results = []
        for index, (external_id, _body) in enumerate(chunk):
            entry = entries[index] if index < len(entries) else None
            results.append(_batch_result(external_id, entry))
        return results

    def _submit(self, path: str, body: Any, headers: Mapping[str, str]) -> str:
        """Send an asynchronous request; the job's URL (also for a key already used)."""
        response = self._exchange("PUT", path, body, None, headers)
        location = response.headers.get("Location")
        if response.status_code == 202 and location:
            return str(location)
        error = error_for(response)
        if location and isinstance(error, ConflictError) and response.status_code == 400:
            return str(location)  # IDEMPOTENCY_ERROR: the first submission's job
        if response.status_code < 400:
            raise PermanentError("NetSuite did not run the batch as a job", system=SYSTEM,
                                 status=response.status_code)
        raise error

    def _job_result(self, job_url: str) -> Any:
        """Wait for the job, then read its (single) task's result."""
        waited = 0.0
        while True:
            job = wire.loads(self.request("GET", job_url).content)
            if job.get("completed"):
                break
            if waited >= self.settings.timeout_seconds:
                raise TransientError(f"batch job still {job.get('progress')!r} after "
                                     f"{waited:.0f} s", system=SYSTEM)
            self._sleep(JOB_POLL_SECONDS)
            waited += JOB_POLL_SECONDS
        tasks = wire.loads(self.request("GET", f"{job_url}/task").content).get("items") or []
        if not tasks:
            raise PermanentError("NetSuite's batch job has no task", system=SYSTEM)
        links = tasks[0].get("links") or []
        task_url = links[0]["href"] if links else f"{job_url}/task/{tasks[0]['id']}"
        response = self._exchange("GET", f"{task_url}/result", None, None, None)
        if response.status_code >= 400:  # the whole batch was refused (e.g. malformed)
            raise error_for(response)
        return wire.loads(response.content)

    def update(self, record_type: str, internal_id: str, body: Mapping[str, Any]) -> None:
        self.request("PATCH", f"{RECORD}/{record_type}/{internal_id}", body=dict(body))

    def delete(self, record_type: str, internal_id: str) -> None:
        self.request("DELETE", f"{RECORD}/{record_type}/{internal_id}")

    def get(self, record_type: str, key: str, *, expand: bool = True) -> dict[str, Any]:
        """A record by internal id (or ``eid:<externalId>``), sublists expanded by default."""
        params = {"expandSubResources": "true"} if expand else None
        data: dict[str, Any] = wire.loads(
            self.request("GET", f"{RECORD}/{record_type}/{key}", params=params).content)
        return data

    def get_by_external_id(self, record_type: str, external_id: str, *, expand: bool = True
                           ) -> dict[str, Any]:
        return self.get(record_type, _eid(external_id), expand=expand)

    def list_page(self, record_type: str, *, limit: int, offset: int, query: str | None = None
                  ) -> Page[str]:
        """One page of internal ids; ``query`` is a record-collection filter (``q``)."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if query:
            params["q"] = query
        data = wire.loads(self.request("GET", f"{RECORD}/{record_type}", params=params).content)
        ids = [str(item["id"]) for item in data.get("items", [])]
        following = str(offset + len(ids)) if data.get("hasMore") else None
        return Page(ids, following)

    def iter_ids(self, record_type: str, *, page_size: int = 1000, query: str | None = None
                 ) -> Iterator[str]:
        """Every internal id of a record type (matching ``query``), page after page."""
        return iterate_pages(lambda cursor: self.list_page(
            record_type, limit=page_size, offset=int(cursor or 0), query=query), system=SYSTEM)

    # -- SuiteQL --------------------------------------------------------------------------
    def suiteql_page(self, query: str, *, limit: int = SUITEQL_PAGE, offset: int = 0
                     ) -> QueryPage:
        data = wire.loads(self.request(
            "POST", "/query/v1/suiteql", body={"q": query}, headers={"Prefer": "transient"},
            params={"limit": limit, "offset": offset}).content)
        rows = [{key: str(value) for key, value in item.items() if key != "links"}
                for item in data.get("items", [])]
        return QueryPage(rows, bool(data.get("hasMore")), int(data.get("offset", offset)),
                         int(data.get("totalResults", len(rows))))

    def suiteql(self, query: str, *, page_size: int = SUITEQL_PAGE) -> Iterator[dict[str, str]]:
        """Every row of a query, page after page."""
        def fetch(cursor: str | None) -> Page[dict[str, str]]:
            page = self.suiteql_page(query, limit=page_size, offset=int(cursor or 0))
            following = str(page.offset + len(page.rows)) if page.has_more else None
            return Page(page.rows, following)

        return iterate_pages(fetch, system=SYSTEM)


__all__ = ["BATCH_LIMIT", "BatchResult", "NetSuiteClient", "QueryPage", "location_id"]
