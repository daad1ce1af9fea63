"""The HubSpot client: ``hubspot-api-client`` (its generic CRM objects, search, batch and
v4 associations APIs) pointed at ``base_url`` through the client's public ``host`` option,
wrapped in accord's policy.

* every call goes through :func:`accord.resilience.call_with_retry` and a concurrency gate;
* failures are classified by :mod:`.errors` (429s wait out the ten-second window, or an
  hour when the daily allocation is spent);
* property values travel as strings both ways, so amounts never pass through a float.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import urllib3
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInputUpsert,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)

from accord.connectors.base import Page
from accord.connectors.hubspot.errors import SYSTEM, classify_failure
from accord.connectors.hubspot.settings import HubSpotSettings
from accord.errors import AccordError, PermanentError, TransientError
from accord.resilience import LocalGate, RetryPolicy, SlotGate, call_with_retry
from hubspot import HubSpot

T = TypeVar("T")
SEARCH_PAGE = 200
SEARCH_CEILING = 10_000
CONCURRENCY = 10
Properties = dict[str, str | None]


def translate(error: Exception) -> AccordError:
    """Classify an exception raised by hubspot-api-client or urllib3."""
    status = getattr(error, "status", None)
    if isinstance(status, int) and status > 0:
        headers = getattr(error, "headers", None) or {}
        return classify_failure(status, getattr(error, "body", None), dict(headers))
    if isinstance(error, urllib3.exceptions.HTTPError) or status == 0:
        return TransientError(f"{type(error).__name__}: network failure talking to HubSpot",
                              system=SYSTEM)
    return PermanentError(f"{type(error).__name__}: {error}", system=SYSTEM)


def record_of(found: Any) -> dict[str, Any]:
    """A ``SimplePublicObject`` as a plain record: its id and its properties."""
    return {"id": str(found.id), **dict(found.properties or {})}


class HubSpotClient:
    def __init__(self, settings: HubSpotSettings, *, policy: RetryPolicy | None = None,
                 gate: SlotGate | None = None, sleep: Callable[[float], None] = time.sleep,
                 retries: bool = True) -> None:
        if settings.access_token is None:
            raise PermanentError("access_token: not configured (ACCORD_HUBSPOT_ACCESS_TOKEN)",
                                 system=SYSTEM)
        self.settings = settings
        self.policy = policy or RetryPolicy()
        self.gate: SlotGate = gate or LocalGate(CONCURRENCY)
        self._sleep = sleep
        self.retries = retries
        self.api = HubSpot(access_token=settings.access_token.get_secret_value(),
                           host=settings.base_url.rstrip("/"))
        self.timeout = settings.timeout_seconds
        # each attribute of the client's discovery builds a new API client (and connection
        # pool): build the ones accord uses once
        crm = self.api.crm
        self.basic = crm.objects.basic_api
        self.batch = crm.objects.batch_api
        self.searching = crm.objects.search_api
        self.links = crm.associations.v4.basic_api

    def close(self) -> None:
        for api in (self.basic, self.batch, self.searching, self.links):
            api.api_client.rest_client.pool_manager.clear()

    def __repr__(self) -> str:
        return f"HubSpotClient(base_url={self.settings.base_url!r})"

    # -- plumbing -------------------------------------------------------------------------
    def call(self, fn: Callable[[], T]) -> T:
        """Run one client call under the gate, classified and retried."""

        def once() -> T:
            with self.gate.slot():
                try:
                    return fn()
                except AccordError:
                    raise
                except Exception as exc:
                    raise translate(exc) from exc

        if not self.retries:
            return once()
        return call_with_retry(once, self.policy, sleep=self._sleep)

    # -- records --------------------------------------------------------------------------
    def read(self, kind: str, record_id: str, properties: Sequence[str], *,
             id_property: str | None = None) -> dict[str, Any]:
        found = self.call(lambda: self.basic.get_by_id(
            kind, record_id, properties=list(properties), id_property=id_property,
            _request_timeout=self.timeout))
        return record_of(found)

    def find(self, kind: str, value: str, id_property: str, properties: Sequence[str]
             ) -> dict[str, Any] | None:
        """The record whose unique ``id_property`` is ``value``, or None."""
        try:
            return self.read(kind, value, properties, id_property=id_property)
        except PermanentError as exc:
            if exc.status == 404:
                return None
            raise

    def create(self, kind: str, properties: Mapping[str, Any]) -> str:
        found = self.call(lambda: self.basic.create(
            kind, SimplePublicObjectInputForCreate(properties=_strings(properties)),
            _request_timeout=self.timeout))
        return str(found.id)

    def update(self, kind: str, record_id: str, properties: Mapping[str, Any]) -> None:
        self.call(lambda: self.basic.update(
            kind, record_id, SimplePublicObjectInput(properties=_strings(properties)),
            _request_timeout=self.timeout))

    def upsert(self, kind: str, id_property: str, value: str,
               properties: Mapping[str, Any]) -> str:
        """Create or update the record whose unique ``id_property`` is ``value``."""
        body = BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
            SimplePublicObjectBatchInputUpsert(id=value, id_property=id_property,
                                               properties=_strings(properties))])
        answer = self.call(lambda: self.batch.upsert(
            kind, body, _request_timeout=self.timeout))
        if getattr(answer, "errors", None):
            error = answer.errors[0]
            raise classify_failure(400 if error.category == "VALIDATION_ERROR" else 409,
                                   {"category": error.category, "message": error.message})
        return str(answer.results[0].id)

    # -- associations ---------------------------------------------------------------------
    def associated(self, kind: str, record_id: str, to_kind: str) -> list[str]:
        """The ids of the ``to_kind`` records associated with the record, in id order."""
        found: list[str] = []
        after: str | None = None
        while True:
            page = self.call(lambda after=after: self.links.get_page(  # type: ignore[misc]
                kind, record_id, to_kind, after=after, limit=500,
                _request_timeout=self.timeout))
            found += [str(item.to_object_id) for item in page.results]
            after = page.paging.next.after if page.paging and page.paging.next else None
            if after is None:
                return sorted(found, key=lambda value: (len(value), value))

    def associate(self, kind: str, record_id: str, to_kind: str, to_id: str) -> None:
        self.call(lambda: self.links.create_default(
            kind, record_id, to_kind, to_id, _request_timeout=self.timeout))

    # -- search ---------------------------------------------------------------------------
    def search_page(self, kind: str, request: Mapping[str, Any], after: str | None
                    ) -> Page[dict[str, Any]]:
        body = PublicObjectSearchRequest(**{**request, "after": after})
        answer = self.call(lambda: self.searching.do_search(
            kind, body, _request_timeout=self.timeout))
        following = answer.paging.next.after if answer.paging and answer.paging.next else None
        if following is not None and int(following) + SEARCH_PAGE > SEARCH_CEILING:
            following = None  # HubSpot pages no further: callers narrow the filter instead
        return Page(items=[record_of(r) for r in answer.results], next_cursor=following)

    def search(self, kind: str, filters: Sequence[Mapping[str, Any]],
               properties: Sequence[str], sorts: Sequence[Mapping[str, str]] = ()
               ) -> Iterator[dict[str, Any]]:
        """Every record matching all ``filters``, page after page (up to the ceiling)."""
        request = {"filter_groups": [{"filters": list(filters)}] if filters else [],
                   "properties": list(properties), "sorts": list(sorts),
                   "limit": SEARCH_PAGE}
        after: str | None = None
        while True:
            page = self.search_page(kind, request, after)
            yield from page.items
            if page.next_cursor is None:
                return
            after = page.next_cursor

    def pipelines(self) -> list[Any]:
        answer = self.call(lambda: self.api.crm.pipelines.pipelines_api.get_all(
            "deals", _request_timeout=self.timeout))
        return list(answer.results)


def _strings(properties: Mapping[str, Any]) -> dict[str, str]:
    """HubSpot takes every property value as a string ("" clears one)."""
    return {name: "" if value is None else str(value) for name, value in properties.items()}


__all__ = ["SEARCH_CEILING", "SEARCH_PAGE", "HubSpotClient", "record_of", "translate"]
