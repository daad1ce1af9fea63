"""The NetSuite REST client: TBA-signed httpx, accord's retry policy and a concurrency gate.

Every request passes through ``gate`` (a :class:`~accord.resilience.SlotGate`; by default a
process-local gate sized to ``max_concurrency``) so that the engine can inject a gate shared
across processes. A slot is held for one HTTP exchange, never during a retry's back-off.
Creates that must be idempotent go through :meth:`NetSuiteClient.upsert` (``PUT
.../{type}/eid:{externalId}``), whose external id accord derives from canonical ids.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from accord.connectors.base import Page, iterate_pages
from accord.connectors.netsuite import wire
from accord.connectors.netsuite.auth import TokenAuth
from accord.connectors.netsuite.errors import SYSTEM, error_for
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.errors import PermanentError, TransientError
from accord.resilience.limits import LocalGate, SlotGate
from accord.resilience.retry import RetryPolicy, call_with_retry

SUITEQL_PAGE = 1000
RECORD = "/record/v1"


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
    def _once(self, method: str, path: str, body: Any, params: Mapping[str, Any] | None,
              headers: Mapping[str, str] | None) -> httpx.Response:
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
        if response.status_code >= 400:
            raise error_for(response)
        return response

    def request(self, method: str, path: str, *, body: Any = None,
                params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None) -> httpx.Response:
        """One call, retried under the policy; failures raise classified accord errors."""
        def attempt() -> httpx.Response:
            return self._once(method, path, body, params, headers)

        if not self.retry:
            return attempt()
        return call_with_retry(attempt, self.policy, sleep=self._sleep, rng=self._rng)

    # -- records --------------------------------------------------------------------------
    def create(self, record_type: str, body: Mapping[str, Any]) -> str:
        """POST a new record; return its internal id. Not idempotent: prefer ``upsert``."""
        return location_id(self.request("POST", f"{RECORD}/{record_type}", body=dict(body)))

    def upsert(self, record_type: str, external_id: str, body: Mapping[str, Any]) -> str:
        """Create or update the record with this external id; return its internal id."""
        payload = {key: value for key, value in body.items() if key != "externalId"}
        return location_id(self.request("PUT", f"{RECORD}/{record_type}/{_eid(external_id)}",
                                        body=payload))

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


__all__ = ["NetSuiteClient", "QueryPage", "location_id"]
