"""HubSpot as the CRM of a running accord: ``accord serve`` on the HubSpot, Stripe and
NetSuite sandboxes, with routing sending every deal's CRM role to HubSpot by configuration.
The product sync publishes the catalog to HubSpot; a deal moved to closed won there reaches
accord as a signed webhook batch (the poll is too slow to be the one that sees it), becomes
a Stripe customer and subscription, its ids and billing status are written back on the deal
and company, the console traces it by its HubSpot id and shows the company's HubSpot id on the
customer, and the subscription's first invoice becomes a NetSuite invoice."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hubspot.crm.objects import PublicObjectSearchRequest

from accord.canonical.money import Money
from accord.connectors.stripe import CONNECTOR as STRIPE_CONNECTOR
from accord.demo.processes import Stack, free_port, run_accord
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.hubspot import SANDBOX as HUBSPOT
from accord.sandboxes.netsuite import SANDBOX as NETSUITE
from accord.sandboxes.server import RunningSandbox, start_in_thread
from accord.sandboxes.stripe import SANDBOX as STRIPE
from hubspot import HubSpot
from tests.hubspot.deals import product_id, win_deal
from tests.service.deals import (
    eventually,
    finalized_first_invoice,
    netsuite_invoice,
    stripe_client,
)

SKU = "BW-PLAT-SEAT"


@dataclass
class World:
    hubspot: RunningSandbox
    stripe: RunningSandbox
    netsuite: RunningSandbox


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    found = World(*(start_in_thread(sandbox, SandboxOptions(data_dir=tmp_path / sandbox.name))
                    for sandbox in (HUBSPOT, STRIPE, NETSUITE)))
    try:
        yield found
    finally:
        for running in (found.hubspot, found.stripe, found.netsuite):
            running.stop()


def _table(name: str, values: dict[str, Any]) -> str:
    lines = [f"[{name}]"] + [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def configuration(world: World) -> str:
    return "\n".join([
        '[[routing.rules]]\nname = "every legal entity sells from HubSpot"\n'
        'targets = { crm = "hubspot", billing = "stripe", erp = "netsuite" }\n',
        _table("systems.hubspot", world.hubspot.credentials()),
        _table("systems.stripe", {**world.stripe.credentials(),
                                  **STRIPE_CONNECTOR.sandbox_settings}),
        _table("systems.netsuite", world.netsuite.credentials()),
        _table("systems.salesforce", {"enabled": False}),
        # the webhook must be what brings the won deal in: the poll comes too late
        _table('schedules."poll.hubspot.deals"', {"every": 3600}),
        _table('schedules."poll.stripe.events"', {"every": 2}),
    ])


def test_a_deal_won_in_hubspot_becomes_a_stripe_subscription_and_a_netsuite_invoice(
        world: World, tmp_path: Path) -> None:
    (tmp_path / "accord.toml").write_text(configuration(world), encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    env.update({"ACCORD_CONFIG": str(tmp_path / "accord.toml"),
                "ACCORD_DATA_DIR": str(tmp_path / ".accord"), "ACCORD_LOG_LEVEL": "WARNING"})
    stack = Stack(tmp_path, env)
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    credentials = world.hubspot.credentials()
    crm = HubSpot(access_token=credentials["access_token"], host=credentials["base_url"])
    try:
        serve = stack.start("serve", ["serve", "--port", str(port)])
        stack.wait_ready(serve, f"{api}/readyz", ready=lambda answer: answer.status_code == 200)
        ready = httpx.get(f"{api}/readyz", timeout=30).json()
        assert ready["systems"]["hubspot"]["status"] == "ok"
        assert "poll.hubspot.deals" in ready["schedules"]
        assert ready["systems"]["salesforce"]["status"] == "disabled"
        token = run_accord(["tokens", "create", "--role", "admin", "--name", "test"],
                           cwd=tmp_path, env=env)
        assert token.returncode == 0, token.stderr
        headers = {"Authorization": f"Bearer {token.stdout.strip()}"}
        httpx.post(f"{api}/v1/schedules/products.sync/run", headers=headers,
                   timeout=60).raise_for_status()
        eventually(lambda: product_id(crm, SKU), timeout=60, what="the catalog in HubSpot")
        httpx.put(f"{credentials['base_url']}/__sandbox/hubspot/webhooks",
                  json={"target_url": f"{api}/hooks/hubspot"}).raise_for_status()

        deal = win_deal(crm, sku=SKU, quantity=5, unit_price=Money.of("49.00", "USD"),
                        legal_entity="US01", name="Hubco")

        def written() -> dict[str, Any] | None:
            found = crm.crm.objects.basic_api.get_by_id(
                "deals", deal, properties=["billing_subscription_id", "billing_status"])
            properties: dict[str, Any] = found.properties
            return properties if properties.get("billing_subscription_id") else None

        on_deal = eventually(written, timeout=90, what=f"the subscription written on {deal}")
        billing = stripe_client(world.stripe.credentials())
        subscription = billing.v1.subscriptions.retrieve(on_deal["billing_subscription_id"])
        assert subscription.status == "active"
        assert subscription.metadata["opportunity_id"] == deal
        customer = billing.v1.customers.retrieve(str(subscription.customer))
        assert customer.name == "Hubco Inc."
        assert customer.email == "billing@example.com"
        assert eventually(lambda: (written() and written()["billing_status"] == "active")  # type: ignore[index]
                          or None, timeout=30, what="the billing status on the deal")
        attempts = httpx.get(f"{credentials['base_url']}/__sandbox/hubspot/webhooks/attempts"
                             ).json()
        assert attempts
        assert {attempt["status"] for attempt in attempts} <= {200, 202}

        # the console traces the deal by its HubSpot id and shows the company's HubSpot id
        # on accord's customer (the id accord wrote back on the company)
        company = crm.crm.objects.search_api.do_search("companies", PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": "domain", "operator": "EQ",
                                         "value": "hubco.example"}]}],
            properties=["accord_id"], limit=1)).results[0]
        with httpx.Client(base_url=api, timeout=30, headers={"Origin": api}) as console:
            assert console.post("/console/login", data={"token": token.stdout.strip()},
                                follow_redirects=False).status_code == 303
            timeline = console.get("/console/timeline", params={"q": deal})
            assert timeline.status_code == 200
            assert "closed_won" in timeline.text
            assert "closed_won" not in console.get("/console/timeline",
                                                   params={"q": "no-such-deal"}).text
            page = console.get(f"/console/customers/{company.properties['accord_id']}")
            assert page.status_code == 200
            assert f"<th>hubspot</th><td>{company.id}</td>" in page.text
            assert f"<th>stripe</th><td>{customer.id}</td>" in page.text

        invoice = finalized_first_invoice(billing, subscription)
        posted = eventually(lambda: netsuite_invoice(world.netsuite.credentials(), invoice.id),
                            timeout=60, what=f"the NetSuite invoice of {invoice.id}")
        assert Decimal(str(posted["foreigntotal"])) == Decimal(invoice.total) / 100
        assert Decimal(invoice.total) / 100 == 5 * Decimal("49.00")
    finally:
        stack.stop()
