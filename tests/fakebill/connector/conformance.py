"""FakeBill's kit for the role conformance suite (``tests/roles``): FakeBill's app on a free
port, and its first invoice read with FakeBill's own API."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from accord.canonical.money import Money
from accord.sandboxes.server import ThreadedServer, serve_in_thread
from tests.fakebill.app import DEFAULT_KEY, create_app


@dataclass
class FakeBillKit:
    server: ThreadedServer
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = httpx.request(method, f"{self.base_url}/v1/{path}", timeout=30,
                               headers={"Authorization": f"Bearer {DEFAULT_KEY}"}, **kwargs)
        answer.raise_for_status()
        return answer.json()

    def issued_invoice(self, subscription_id: str) -> str:
        """FakeBill issues a subscription's first invoice as it creates it."""
        found = self._call("GET", "invoices", params={"subscription": subscription_id})
        return str(found["data"][0]["id"])

    def paid_invoice(self, billing_customer_id: str, subscription_id: str) -> str:
        invoice = self.issued_invoice(subscription_id)
        self._call("POST", "payments", json={"invoice": invoice})
        return invoice

    def refund(self, payment_id: str, amount: Money) -> None:
        self._call("POST", "refunds", json={"payment": payment_id,
                                            "amount": amount.to_minor_units()})

    def customer_name(self, billing_customer_id: str) -> str:
        return str(self._call("GET", f"customers/{billing_customer_id}")["name"])

    def item_quantities(self, subscription_id: str) -> dict[str, int]:
        found = self._call("GET", f"subscriptions/{subscription_id}")
        return {str(item["plan"]): int(item["quantity"]) for item in found["items"]}

    def stop(self) -> None:
        self.server.stop()


def start(_directory: Path) -> FakeBillKit:
    server = serve_in_thread(create_app(DEFAULT_KEY), name="fakebill")
    kit = FakeBillKit(server)
    kit.settings = {"base_url": kit.base_url, "api_key": DEFAULT_KEY}
    return kit
