"""Stripe's kit for the role conformance suite: its sandbox, and issuing an invoice with
Stripe's own client (``stripe``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import stripe
from accord.connectors.stripe import CONNECTOR
from tests.roles.kit import SandboxKit
from tests.service.deals import stripe_client


@dataclass
class StripeKit:
    sandbox: SandboxKit
    client: stripe.StripeClient

    @property
    def settings(self) -> dict[str, object]:
        return dict(self.sandbox.settings)

    def issued_invoice(self, subscription_id: str) -> str:
        invoice = self.client.v1.invoices.list(params={"subscription": subscription_id}).data[-1]
        if invoice.status == "draft":
            invoice = self.client.v1.invoices.finalize_invoice(str(invoice.id))
        return str(invoice.id)

    def stop(self) -> None:
        self.sandbox.stop()


def start(directory: Path) -> StripeKit:
    sandbox = SandboxKit.start(CONNECTOR, directory, rate_limit=0)
    return StripeKit(sandbox, stripe_client(sandbox.credentials))
