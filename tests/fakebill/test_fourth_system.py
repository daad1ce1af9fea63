"""A fourth system through configuration alone: FakeBill - a billing vendor accord has never
heard of, its own HTTP app and its own connector package outside accord's source tree - is
wired in by ``accord.toml`` only (``[connectors] packages``, a routing rule sending the
billing role to it, its ``[systems.fakebill]`` table). ``accord serve`` then runs the month
slice as it does for the bundled systems: a deal closed in the Salesforce sandbox becomes a
FakeBill customer and subscription, FakeBill's invoice reaches accord through its signed
webhook and becomes a NetSuite invoice, its card payment a NetSuite payment with the
processor fee journalled, and ``accord reconcile`` finds FakeBill, Salesforce and NetSuite in
agreement - with no edit to accord's flows or engine.

The test speaks to each system with its own API only (simple-salesforce, FakeBill's HTTP
API, NetSuite's SuiteQL) and to accord through its command line and HTTP API."""

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
import requests

from accord.demo.processes import Stack, free_port, run_accord
from accord.flows.skus import load_skus
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.netsuite import SANDBOX as NETSUITE
from accord.sandboxes.salesforce import SANDBOX as SALESFORCE
from accord.sandboxes.server import RunningSandbox, ThreadedServer, serve_in_thread, start_in_thread
from tests.fakebill.app import create_app
from tests.netsuite.signing import oauthlib_auth
from tests.service.deals import close_deal, eventually, price_book_ready, salesforce

REPOSITORY = Path(__file__).parents[2]
API_KEY = "fb_test_fourth_system"


@dataclass
class World:
    salesforce: RunningSandbox
    netsuite: RunningSandbox
    fakebill: ThreadedServer

    @property
    def fakebill_url(self) -> str:
        return f"http://{self.fakebill.host}:{self.fakebill.port}"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    sf = start_in_thread(SALESFORCE, SandboxOptions(data_dir=tmp_path / "sf"))
    ns = start_in_thread(NETSUITE, SandboxOptions(data_dir=tmp_path / "ns"))
    fb = serve_in_thread(create_app(API_KEY), name="fakebill")
    try:
        yield World(sf, ns, fb)
    finally:
        sf.server.force_exit = True
        for running in (fb, sf, ns):
            running.stop()


def _table(name: str, values: dict[str, Any]) -> str:
    lines = [f"[{name}]"] + [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def configuration(world: World, webhook_secret: str) -> str:
    """All that tells accord about FakeBill: what a deployment's accord.toml would say.
    FakeBill's events come by webhook; its feed's poll, the fallback, is left at an hour
    here so that the webhooks are what carries them."""
    return "\n".join([
        '[connectors]\npackages = ["tests.fakebill.connector"]\n',
        '[[routing.rules]]\nname = "every legal entity bills through FakeBill"\n'
        'targets = { crm = "salesforce", billing = "fakebill", erp = "netsuite" }\n',
        _table("systems.fakebill", {"base_url": world.fakebill_url, "api_key": API_KEY,
                                    "webhook_secret": webhook_secret}),
        _table("systems.salesforce", world.salesforce.credentials()),
        _table("systems.netsuite", world.netsuite.credentials()),
        _table("systems.stripe", {"enabled": False}),
        _table('schedules."poll.salesforce.opportunity"', {"every": 2}),
        _table('schedules."poll.fakebill.events"', {"every": 3600}),
    ])


def fakebill(world: World, path: str, **params: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{world.fakebill_url}/v1/{path}", params=params,
                       headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30)
    answer.raise_for_status()
    data: list[dict[str, Any]] = answer.json()["data"]
    return data


def subscription_of(world: World, deal: str) -> dict[str, Any] | None:
    return next((s for s in fakebill(world, "subscriptions")
                 if s["metadata"].get("deal_id") == deal), None)


def netsuite(world: World, query: str) -> list[dict[str, Any]]:
    creds = world.netsuite.credentials()
    answer = requests.post(f"{creds['base_url']}/services/rest/query/v1/suiteql",
                           json={"q": query}, headers={"Prefer": "transient"},
                           auth=oauthlib_auth(creds), timeout=30)
    answer.raise_for_status()
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_a_won_deal_runs_through_fakebill_to_netsuite_by_configuration_alone(
        world: World, tmp_path: Path) -> None:
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    # FakeBill's admin subscribes accord to its events and hands over the signing secret
    endpoint = httpx.post(f"{world.fakebill_url}/v1/webhook-endpoints",
                          json={"url": f"{api}/hooks/fakebill"},
                          headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30)
    endpoint.raise_for_status()
    (tmp_path / "accord.toml").write_text(configuration(world, endpoint.json()["secret"]),
                                          encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    env.update({"ACCORD_CONFIG": str(tmp_path / "accord.toml"),
                "ACCORD_DATA_DIR": str(tmp_path / ".accord"), "ACCORD_LOG_LEVEL": "WARNING",
                # the connector package is installed as any package would be: importable
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY),
                                                            env.get("PYTHONPATH")]))})
    stack = Stack(tmp_path, env)
    try:
        serve = stack.start("serve", ["serve", "--port", str(port)])
        stack.wait_ready(serve, f"{api}/readyz", ready=lambda answer: answer.status_code == 200)
        ready = httpx.get(f"{api}/readyz", timeout=30).json()
        assert ready["systems"]["fakebill"]["status"] == "ok"
        assert "poll.fakebill.events" in ready["schedules"]

        token = run_accord(["tokens", "create", "--role", "admin", "--name", "test"],
                           cwd=tmp_path, env=env)
        assert token.returncode == 0, token.stderr
        headers = {"Authorization": f"Bearer {token.stdout.strip()}"}
        httpx.post(f"{api}/v1/schedules/products.sync/run", headers=headers,
                   timeout=60).raise_for_status()
        sf = salesforce(world.salesforce.credentials())
        eventually(lambda: price_book_ready(sf), timeout=60, what="the catalog in Salesforce")
        # the product sync published the catalog to the billing system the routing names
        assert {p["code"] for p in fakebill(world, "products")} >= {"BW-PLAT-SEAT"}

        deal = close_deal(sf, name="fourthco", quantity=5)
        subscription = eventually(lambda: subscription_of(world, deal), timeout=60,
                                  what=f"the FakeBill subscription of {deal}")
        assert subscription["state"] == "running"
        [customer] = [c for c in fakebill(world, "customers")
                      if c["id"] == subscription["customer"]]
        assert (customer["name"], customer["currency"]) == ("fourthco Inc.", "USD")
        written = eventually(lambda: sf.Opportunity.get(deal).get("Billing_Status__c"),
                             timeout=30, what="the billing status written back")
        assert written == "Active"

        [invoice] = fakebill(world, "invoices", subscription=subscription["id"])
        assert invoice["state"] == "issued"
        posted = eventually(lambda: netsuite(world, (
            "SELECT id, tranid, foreigntotal FROM transaction WHERE type = 'CustInvc' AND "
            f"tranid = '{invoice['number']}'")), timeout=60,
            what=f"the NetSuite invoice of FakeBill's {invoice['number']}")
        assert len(posted) == 1
        assert Decimal(str(posted[0]["foreigntotal"])) == Decimal(invoice["total"]) / 100
        # five seats at the SKU's list price, as the deal sold them
        assert Decimal(invoice["total"]) / 100 == 5 * Decimal(
            load_skus().entry("BW-PLAT-SEAT").prices["USD"])
        assert netsuite(world, "SELECT id FROM customer WHERE companyname = 'fourthco Inc.'")

        # the customer pays by card in FakeBill: the payment, and the fee FakeBill kept on
        # it as a journal, reach NetSuite
        paid = httpx.post(f"{world.fakebill_url}/v1/payments", json={"invoice": invoice["id"]},
                          headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30)
        paid.raise_for_status()
        payment = paid.json()
        [received] = eventually(lambda: netsuite(
            world, "SELECT id, foreigntotal FROM transaction WHERE type = 'CustPymt'"),
            timeout=60, what=f"the NetSuite payment of FakeBill's {payment['id']}")
        assert Decimal(str(received["foreigntotal"])) == Decimal(payment["amount"]) / 100
        [fee] = eventually(lambda: netsuite(
            world, "SELECT id FROM transaction WHERE type = 'Journal'"),
            timeout=30, what="the processor fee's journal")
        assert fee["id"]

        # and the month reconciles: the routing table pairs FakeBill with Salesforce and
        # NetSuite, its reader gives the same control totals as the ERP's
        done = run_accord(["reconcile", "--json"], cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        outcome = json.loads(done.stdout)
        assert (outcome["clean"], outcome["gl_clean"]) == (True, True)
        totals = {(row["system"], row["measure"]): Decimal(row["total"])
                  for row in outcome["control_totals"]}
        billed = {measure: total for (system, measure), total in totals.items()
                  if system == "fakebill"}
        assert billed == {measure: total for (system, measure), total in totals.items()
                          if system == "netsuite"}
        assert billed["invoiced"] == billed["cash"] == Decimal(invoice["total"]) / 100
        assert billed["fees"] == Decimal(payment["fee"]) / 100
    finally:
        stack.stop()
