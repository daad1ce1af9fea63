"""The Salesforce client: simple-salesforce in session-id mode, wrapped in accord's policy.

* every call goes through :func:`accord.resilience.call_with_retry` (simple-salesforce never
  retries) and a concurrency :class:`~accord.resilience.SlotGate`;
* failures are classified by :mod:`.errors`;
* responses are parsed with ``parse_float=Decimal`` and bodies are written by :mod:`.wire`, so
  amounts never pass through a float;
* every call sends ``Sforce-Call-Options: client=<client_id>`` so change events show accord's
  own writes;
* bulk writes use sObject Collections, 200 records per call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from simple_salesforce.api import Salesforce

from accord.connectors.base import Page
from accord.connectors.salesforce.errors import SYSTEM, record_error, translate
from accord.connectors.salesforce.mapping import update_fields
from accord.connectors.salesforce.settings import SalesforceSettings
from accord.connectors.salesforce.wire import dumps
from accord.errors import AccordError, PermanentError
from accord.resilience import LocalGate, RetryPolicy, SlotGate, call_with_retry

T = TypeVar("T")
COLLECTION_SIZE = 200
CONCURRENT_LONG_RUNNING = 25


class TrustingSession(requests.Session):
    """A requests session whose own ``verify`` (a CA bundle) wins over REQUESTS_CA_BUNDLE and
    CURL_CA_BUNDLE in the environment, which requests would otherwise prefer."""

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> Any:
        merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None or verify is True:
            merged["verify"] = self.verify
        return merged


def build_session(ca_cert: Path | None) -> requests.Session:
    session = TrustingSession()
    if ca_cert is not None:
        session.verify = str(ca_cert)
    return session


@dataclass(frozen=True)
class RecordResult:
    """One record's outcome in an sObject Collections call."""

    id: str | None
    success: bool
    created: bool | None = None
    error: AccordError | None = None


@dataclass(frozen=True)
class UpsertOutcome:
    id: str
    created: bool


class SalesforceClient:
    def __init__(self, settings: SalesforceSettings, *, policy: RetryPolicy | None = None,
                 gate: SlotGate | None = None, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep, retries: bool = True) -> None:
        if settings.session_id is None:
            raise PermanentError("session_id: not configured (ACCORD_SALESFORCE_SESSION_ID)",
                                 system=SYSTEM)
        self.settings = settings
        self.policy = policy or RetryPolicy()
        self.gate: SlotGate = gate or LocalGate(CONCURRENT_LONG_RUNNING)
        self._sleep = sleep
        self.retries = retries
        self.session = session or build_session(settings.ca_cert)
        self.sf = Salesforce(instance_url=settings.instance_url,
                             session_id=settings.session_id.get_secret_value(),
                             version=settings.api_version, session=self.session,
                             parse_float=Decimal)
        self.headers = {"Sforce-Call-Options": f"client={settings.client_id}"}

    def __repr__(self) -> str:
        return f"SalesforceClient(instance_url={self.settings.instance_url!r})"

    # -- plumbing -------------------------------------------------------------------------
    def call(self, fn: Callable[[], T]) -> T:
        """Run one simple-salesforce call under the gate, classified and retried."""

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

    def rest(self, method: str, path: str, body: Any = None,
             params: Mapping[str, str] | None = None) -> Any:
        data = dumps(body) if body is not None else None
        return self.call(lambda: self.sf.restful(
            path, params=dict(params) if params else None, method=method, data=data,
            headers=self.headers, timeout=self.settings.timeout_seconds))

    @property
    def api_usage(self) -> tuple[int, int] | None:
        """(used, allocation) from the last response's Sforce-Limit-Info header."""
        usage = self.sf.api_usage.get("api-usage")
        return (usage.used, usage.total) if usage else None

    # -- records --------------------------------------------------------------------------
    def create(self, type_name: str, fields: Mapping[str, Any]) -> str:
        return str(self.rest("POST", f"sobjects/{type_name}/", dict(fields))["id"])

    def get(self, type_name: str, record_id: str,
            fields: Sequence[str] | None = None) -> dict[str, Any]:
        params = {"fields": ",".join(fields)} if fields else None
        return dict(self.rest("GET", f"sobjects/{type_name}/{record_id}", params=params))

    def update(self, type_name: str, record_id: str, fields: Mapping[str, Any]) -> None:
        self.rest("PATCH", f"sobjects/{type_name}/{record_id}", dict(fields))

    def delete(self, type_name: str, record_id: str) -> None:
        self.rest("DELETE", f"sobjects/{type_name}/{record_id}")

    def upsert(self, type_name: str, field: str, value: str,
               fields: Mapping[str, Any]) -> UpsertOutcome:
        answer = self.rest("PATCH", f"sobjects/{type_name}/{field}/{quote(value, safe='')}",
                           dict(fields))
        return UpsertOutcome(str(answer["id"]), bool(answer.get("created")))

    def save_by_external_id(self, type_name: str, field: str, value: str,
                            fields: Mapping[str, Any]) -> UpsertOutcome:
        """Like :meth:`upsert`, but an existing record is updated without the fields
        Salesforce only takes on create (price book, product, currency of a price book entry),
        which a plain upsert of the same body would have refused."""
        try:
            existing = self.rest("GET", f"sobjects/{type_name}/{field}/{quote(value, safe='')}",
                                 params={"fields": "Id"})
        except PermanentError as exc:
            if exc.status != 404:
                raise
            existing = None
        if existing is None:
            return UpsertOutcome(self.create(type_name, {**fields, field: value}), created=True)
        self.update(type_name, str(existing["Id"]), update_fields(type_name, fields))
        return UpsertOutcome(str(existing["Id"]), created=False)

    def describe(self, type_name: str) -> dict[str, Any]:
        return dict(self.rest("GET", f"sobjects/{type_name}/describe"))

    def limits(self) -> dict[str, Any]:
        return dict(self.rest("GET", "limits/"))

    # -- queries --------------------------------------------------------------------------
    def query_page(self, soql_or_next: str) -> Page[dict[str, Any]]:
        """One page: pass SOQL for the first page, then the returned cursor."""
        if soql_or_next.startswith("/services/"):
            answer = self.call(lambda: self.sf.query_more(
                soql_or_next, identifier_is_url=True, headers=self.headers,
                timeout=self.settings.timeout_seconds))
        else:
            answer = self.call(lambda: self.sf.query(
                soql_or_next, headers=self.headers, timeout=self.settings.timeout_seconds))
        return Page(items=list(answer["records"]), next_cursor=answer.get("nextRecordsUrl"))

    def query(self, soql: str) -> Iterator[dict[str, Any]]:
        """Every record of ``soql``, following ``nextRecordsUrl``."""
        cursor: str | None = soql
        while cursor is not None:
            page = self.query_page(cursor)
            yield from page.items
            cursor = page.next_cursor

    def keyset_page(self, type_name: str, fields: Sequence[str], after: str | None,
                    size: int) -> Page[dict[str, Any]]:
        """Records ordered by Id after the record id ``after``: a cursor that stays valid
        while records are added, unlike OFFSET."""
        if after is not None and not after.isalnum():
            raise PermanentError(f"cursor {after!r} is not a record id", system=SYSTEM)
        where = f" WHERE Id > '{after}'" if after else ""
        soql = (f"SELECT {', '.join(fields)} FROM {type_name}{where} "  # noqa: S608
                f"ORDER BY Id ASC LIMIT {size}")
        rows = list(self.query(soql))
        return Page(items=rows, next_cursor=str(rows[-1]["Id"]) if len(rows) == size else None)

    # -- collections ----------------------------------------------------------------------
    def _collection(self, method: str, path: str, type_name: str,
                    records: Sequence[Mapping[str, Any]], all_or_none: bool
                    ) -> list[RecordResult]:
        results: list[RecordResult] = []
        for start in range(0, len(records), COLLECTION_SIZE):
            chunk = [{"attributes": {"type": type_name}, **record}
                     for record in records[start:start + COLLECTION_SIZE]]
            answer = self.rest(method, path, {"allOrNone": all_or_none, "records": chunk})
            for item in answer or []:
                error = None if item["success"] else record_error(item.get("errors") or [])
                results.append(RecordResult(item.get("id"), bool(item["success"]),
                                            item.get("created"), error))
        return results

    def create_many(self, type_name: str, records: Sequence[Mapping[str, Any]], *,
                    all_or_none: bool = False) -> list[RecordResult]:
        return self._collection("POST", "composite/sobjects", type_name, records, all_or_none)

    def update_many(self, type_name: str, records: Sequence[Mapping[str, Any]], *,
                    all_or_none: bool = False) -> list[RecordResult]:
        """Each record needs its ``Id``."""
        return self._collection("PATCH", "composite/sobjects", type_name, records, all_or_none)

    def upsert_many(self, type_name: str, field: str, records: Sequence[Mapping[str, Any]], *,
                    all_or_none: bool = False) -> list[RecordResult]:
        return self._collection("PATCH", f"composite/sobjects/{type_name}/{field}", type_name,
                                records, all_or_none)


def client_from_settings(settings: SalesforceSettings, **kwargs: Any) -> SalesforceClient:
    return SalesforceClient(settings, **kwargs)


__all__ = ["COLLECTION_SIZE", "RecordResult", "SalesforceClient", "TrustingSession",
           "UpsertOutcome", "build_session", "client_from_settings"]
