"""FakeBill's transport: bearer auth, an ``Idempotency-Key`` on every create, and its error
table (each documented failure -> the accord error that says what happens next)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from accord.connectors.base import (
    ErrorRule,
    HttpFailure,
    Page,
    classify,
    iterate_pages,
    statuses,
)
from accord.errors import DataQualityError, PermanentError, RateLimited, Team, TransientError
from accord.resilience import RetryPolicy
from accord.resilience.retry import call_with_retry
from tests.fakebill.connector.settings import FakeBillSettings

ERROR_TABLE: tuple[ErrorRule, ...] = (
    ErrorRule(RateLimited, statuses(429), description="too many requests"),
    ErrorRule(TransientError, statuses(range(500, 600)), description="FakeBill is down"),
    ErrorRule(DataQualityError, statuses(400), owner=Team.REVENUE_OPERATIONS,
              description="FakeBill refused a field"),
    ErrorRule(PermanentError, statuses(401), description="unknown API key"),
    ErrorRule(PermanentError, statuses(404), description="no such record"),
)


def idempotency_key(canonical_id: str, action: str) -> str:
    return f"accord:{canonical_id}:{action}"


class FakeBillClient:
    def __init__(self, settings: FakeBillSettings, *, system: str = "fakebill",
                 policy: RetryPolicy | None = None, retries: bool = False,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if settings.base_url is None or settings.api_key is None:
            raise PermanentError(f"FakeBill is not configured: {settings.missing}",
                                 system=system)
        self.settings = settings
        self.system = system
        self.policy = policy or RetryPolicy()
        self.retries = retries
        self.sleep = sleep
        self.http = httpx.Client(
            base_url=settings.base_url, timeout=settings.timeout_seconds,
            headers={"Authorization": f"Bearer {settings.api_key.get_secret_value()}"})

    def __repr__(self) -> str:
        return f"FakeBillClient({self.settings.base_url!r})"

    def _send(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            answer = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise TransientError(f"FakeBill unreachable ({type(exc).__name__})",
                                 system=self.system) from None
        if answer.status_code >= 400:
            error = (answer.json().get("error") or {}) if answer.content else {}
            raise classify(ERROR_TABLE, HttpFailure(
                status=answer.status_code, code=error.get("code"),
                message=str(error.get("message") or ""), field=error.get("field"),
                retry_after=float(answer.headers.get("retry-after") or 0) or None),
                system=self.system)
        found: dict[str, Any] = answer.json()
        return found

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One request; retried by the policy only when the client retries (not under the
        flows, where the engine's step budget is the one retry layer)."""
        if not self.retries:
            return self._send(method, path, **kwargs)
        return call_with_retry(lambda: self._send(method, path, **kwargs), self.policy,
                               sleep=self.sleep)

    def create(self, kind: str, body: dict[str, Any], *, key: str) -> dict[str, Any]:
        return self.call("POST", f"/v1/{kind}", json=body, headers={"Idempotency-Key": key})

    def get(self, kind: str, record_id: str) -> dict[str, Any]:
        return self.call("GET", f"/v1/{kind}/{record_id}")

    def list(self, kind: str, **query: str | int) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self.call("GET", f"/v1/{kind}", params=query)["data"]
        return data

    def iterate(self, kind: str, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Every record of ``kind``, following pages (``after`` the last id)."""

        def fetch(cursor: str | None) -> Page[dict[str, Any]]:
            query: dict[str, str | int] = {"limit": page_size}
            if cursor:
                query["after"] = cursor
            items = self.list(kind, **query)
            return Page(items, str(items[-1]["id"]) if len(items) == page_size else None)

        return iterate_pages(fetch, system=self.system)

    def close(self) -> None:
        self.http.close()
