"""The AvaTax client: the official ``avalara`` package (``AvataxClient``) pointed at
``base_url`` through its ``environment`` argument, wrapped in accord's policy.

* every call goes through :func:`accord.resilience.call_with_retry` and a concurrency gate;
* failures are classified by :mod:`.errors`, network failures are transient;
* answers are parsed with ``parse_float=Decimal`` and amounts are sent as decimal strings
  (AvaTax reads a numeric string as the number), so money never passes through a float.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import requests
from avalara.client import AvataxClient

from accord.connectors.avatax.errors import SYSTEM, classify_failure
from accord.connectors.avatax.settings import AvaTaxSettings
from accord.connectors.base import Page
from accord.errors import AccordError, PermanentError, TransientError
from accord.resilience import LocalGate, RetryPolicy, SlotGate, call_with_retry

CONCURRENCY = 8
APP_NAME = "accord"
APP_VERSION = "0.1"
# the client logs each call (URL, status, timing; never the credentials) on this logger
LOGGER = logging.getLogger("accord.connectors.avatax.http")


class AvaTaxClient:
    def __init__(self, settings: AvaTaxSettings, *, policy: RetryPolicy | None = None,
                 gate: SlotGate | None = None, sleep: Callable[[float], None] = time.sleep,
                 retries: bool = True) -> None:
        if not settings.configured or settings.license_key is None:
            raise PermanentError(f"account_id, license_key: not configured ({settings.missing})",
                                 system=SYSTEM)
        self.settings = settings
        self.policy = policy or RetryPolicy()
        self.gate: SlotGate = gate or LocalGate(CONCURRENCY)
        self._sleep = sleep
        self.retries = retries
        self.company_code = settings.company_code
        self.api = AvataxClient(APP_NAME, APP_VERSION, socket.gethostname(),
                                settings.base_url.rstrip("/"),
                                timeout_limit=settings.timeout_seconds, logger=LOGGER)
        self.api.add_credentials(settings.account_id,
                                 settings.license_key.get_secret_value())
        self._company_id: int | None = None

    def __repr__(self) -> str:
        return f"AvaTaxClient(base_url={self.settings.base_url!r})"

    def call(self, fn: Callable[[], requests.Response]) -> Any:
        """Run one client call under the gate; its JSON answer, or the classified error."""

        def once() -> Any:
            with self.gate.slot():
                try:
                    response = fn()
                except requests.RequestException as exc:
                    raise TransientError(f"{type(exc).__name__}: network failure talking "
                                         "to AvaTax", system=SYSTEM) from exc
                except AccordError:
                    raise
                except Exception as exc:
                    raise PermanentError(f"{type(exc).__name__}: {exc}", system=SYSTEM) \
                        from exc
            if response.status_code >= 400:
                raise classify_failure(response.status_code, response.content,
                                       dict(response.headers))
            try:
                return json.loads(response.content, parse_float=Decimal) \
                    if response.content else {}
            except ValueError as exc:
                raise TransientError(f"AvaTax answered {response.status_code} with a body "
                                     "that is not JSON", system=SYSTEM) from exc

        if not self.retries:
            return once()
        return call_with_retry(once, self.policy, sleep=self._sleep)

    # -- the calls accord makes -----------------------------------------------------------
    def ping(self) -> dict[str, Any]:
        found: dict[str, Any] = self.call(self.api.ping)
        return found

    def company_id(self) -> int:
        """The id of ``company_code`` (certificates are addressed by it)."""
        if self._company_id is None:
            found = self.call(lambda: self.api.query_companies(
                {"$filter": f"companyCode eq '{self.company_code}'"}))
            values = found.get("value") or []
            if not values:
                raise PermanentError(f"company_code: AvaTax has no company "
                                     f"{self.company_code!r}", system=SYSTEM)
            self._company_id = int(values[0]["id"])
        return self._company_id

    def create_transaction(self, model: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = self.call(lambda: self.api.create_transaction(model))
        return found

    def transaction(self, code: str, document_type: str | None = None
                    ) -> dict[str, Any] | None:
        params = {"documentType": document_type} if document_type else None
        try:
            found: dict[str, Any] = self.call(lambda: self.api.get_transaction_by_code(
                self.company_code, code, params))
        except PermanentError as exc:
            if exc.status == 404:
                return None
            raise
        return found

    def transactions_page(self, size: int, cursor: str | None) -> Page[dict[str, Any]]:
        """One page of the company's current documents (AvaTax's ``$top``/``$skip``); the
        cursor is the next ``$skip`` while ``@nextLink`` says more follow."""
        skip = int(cursor or 0)
        found = self.call(lambda: self.api.list_transactions_by_company(
            self.company_code, {"$top": size, "$skip": skip, "$include": "SummaryOnly"}))
        values: list[dict[str, Any]] = list(found.get("value") or [])
        following = str(skip + len(values)) if found.get("@nextLink") and values else None
        return Page(items=values, next_cursor=following)

    def commit(self, code: str) -> dict[str, Any]:
        found: dict[str, Any] = self.call(lambda: self.api.commit_transaction(
            self.company_code, code, {"commit": True}))
        return found

    def void(self, code: str) -> dict[str, Any]:
        found: dict[str, Any] = self.call(lambda: self.api.void_transaction(
            self.company_code, code, {"code": "DocVoided"}))
        return found

    def adjust(self, code: str, reason: str, description: str, model: dict[str, Any]
               ) -> dict[str, Any]:
        body = {"adjustmentReason": reason, "adjustmentDescription": description,
                "newTransaction": model}
        found: dict[str, Any] = self.call(lambda: self.api.adjust_transaction(
            self.company_code, code, body))
        return found

    def refund(self, code: str, model: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = self.call(lambda: self.api.refund_transaction(
            self.company_code, code, model))
        return found


__all__ = ["AvaTaxClient"]
