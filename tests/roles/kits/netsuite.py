"""NetSuite's kit for the role conformance suite: its sandbox, its open period's day, and
records read back over NetSuite's REST API (records and SuiteQL), signed with OAuth 1.0a
TBA as NetSuite's clients sign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from accord.canonical.money import Money
from accord.connectors.netsuite import CONNECTOR
from tests.netsuite.signing import authlib_auth
from tests.roles.kit import SandboxKit

RECORD_TYPES = {"customer": "customer", "invoice": "invoice", "payment": "customerPayment",
                "credit_note": "creditMemo", "refund": "customerRefund",
                "journal": "journalEntry"}
AMOUNT_FIELDS = {"payment": "payment"}
"""The field holding a record's amount, where it is not ``total``."""


@dataclass
class NetSuiteKit:
    sandbox: SandboxKit
    http: httpx.Client

    @property
    def settings(self) -> dict[str, object]:
        return dict(self.sandbox.settings)

    def today(self) -> date:
        answer = httpx.get(f"{self.sandbox.running.base_url}/__sandbox/clock", timeout=30)
        return datetime.fromisoformat(answer.json()["now"]).date()

    def total(self, kind: str, erp_id: str) -> Money:
        record = self._record(kind, erp_id)
        currency = self._get(f"/record/v1/currency/{record['currency']['id']}")["symbol"]
        return Money.of(Decimal(str(record[AMOUNT_FIELDS.get(kind, "total")])), currency)

    def count(self, kind: str, external_id: str) -> int:
        table = "customer" if kind == "customer" else "transaction"
        return len(self._query(f"SELECT id FROM {table} "
                               f"WHERE externalid = '{external_id}'"))

    def _record(self, kind: str, erp_id: str) -> dict[str, Any]:
        return self._get(f"/record/v1/{RECORD_TYPES[kind]}/{erp_id}")

    def _get(self, path: str) -> dict[str, Any]:
        answer = self.http.get(path)
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
        return found

    def _query(self, query: str) -> list[dict[str, Any]]:
        answer = self.http.post("/query/v1/suiteql", json={"q": query},
                                headers={"Prefer": "transient"})
        answer.raise_for_status()
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    def stop(self) -> None:
        self.http.close()
        self.sandbox.stop()


def start(directory: Path) -> NetSuiteKit:
    sandbox = SandboxKit.start(CONNECTOR, directory)
    http = httpx.Client(base_url=f"{sandbox.running.base_url}/services/rest",
                        auth=authlib_auth(sandbox.credentials), timeout=30)
    return NetSuiteKit(sandbox, http)
