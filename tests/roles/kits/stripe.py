"""Stripe's kit for the role conformance suite: its sandbox, and issuing an invoice with
Stripe's own client (``stripe``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import stripe
from accord.canonical.money import Money
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

    def paid_invoice(self, billing_customer_id: str, subscription_id: str) -> str:
        v1 = self.client.v1
        card = v1.payment_methods.attach("pm_card_visa",
                                         params={"customer": billing_customer_id})
        v1.customers.update(billing_customer_id, params={
            "invoice_settings": {"default_payment_method": str(card.id)}})
        invoice = v1.invoices.retrieve(self.issued_invoice(subscription_id))
        if invoice.status != "paid":
            invoice = v1.invoices.pay(str(invoice.id), params={"payment_method": str(card.id)})
        return str(invoice.id)

    def refund(self, payment_id: str, amount: Money) -> None:
        self.client.v1.refunds.create(params={"charge": payment_id,
                                              "amount": amount.to_minor_units()})

    def customer_name(self, billing_customer_id: str) -> str:
        return str(self.client.v1.customers.retrieve(billing_customer_id).name)

    def item_quantities(self, subscription_id: str) -> dict[str, int]:
        found = self.client.v1.subscriptions.retrieve(subscription_id)
        return {str(item.price.id): int(item.quantity or 0) for item in found["items"].data}

    def stop(self) -> None:
        self.sandbox.stop()


def start(directory: Path) -> StripeKit:
    sandbox = SandboxKit.start(CONNECTOR, directory, rate_limit=0)
    return StripeKit(sandbox, stripe_client(sandbox.credentials))
