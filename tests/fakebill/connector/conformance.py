"""FakeBill's kit for the role conformance suite (``tests/roles``): FakeBill's app on a free
port, and its first invoice read with FakeBill's own API."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from accord.sandboxes.server import ThreadedServer, serve_in_thread
from tests.fakebill.app import DEFAULT_KEY, create_app


@dataclass
class FakeBillKit:
    server: ThreadedServer
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    def issued_invoice(self, subscription_id: str) -> str:
        """FakeBill issues a subscription's first invoice as it creates it."""
        answer = httpx.get(f"{self.base_url}/v1/invoices", params={
            "subscription": subscription_id}, headers={"Authorization": f"Bearer {DEFAULT_KEY}"})
        answer.raise_for_status()
        return str(answer.json()["data"][0]["id"])

    def stop(self) -> None:
        self.server.stop()


def start(_directory: Path) -> FakeBillKit:
    server = serve_in_thread(create_app(DEFAULT_KEY), name="fakebill")
    kit = FakeBillKit(server)
    kit.settings = {"base_url": kit.base_url, "api_key": DEFAULT_KEY}
    return kit
