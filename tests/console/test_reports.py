"""Invoice status, KPIs and reconciliation pages in a real browser, with the invoice held by
the Stripe and NetSuite sandboxes. Screenshots of each page are saved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from tests.netsuite import documents
from tests.steps import write_keys, write_step

import stripe
from accord import connectors
from accord.api import create_app
from accord.api.tokens import Access, create_token
from accord.canonical.ids import EntityType
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.connectors.stripe import StripeSettings
from accord.engine.timeline import Milestone
from accord.flows.keys import Key
from accord.registry import Xrefs
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.netsuite import SANDBOX as NETSUITE
from accord.sandboxes.server import RunningSandbox, serve_in_thread, start_in_thread
from accord.sandboxes.stripe import SANDBOX as STRIPE
from accord.settings import load_settings
from accord.store import Database, upgrade
from accord.store.models import ReconDifference, ReconRun


@pytest.fixture
def boxes(tmp_path: Path) -> Iterator[tuple[RunningSandbox, RunningSandbox]]:
    billing = start_in_thread(STRIPE, SandboxOptions(data_dir=tmp_path / "stripe",
                                                     settings={"rate_limit": 0}))
    erp = start_in_thread(NETSUITE, SandboxOptions(data_dir=tmp_path / "netsuite"))
    yield billing, erp
    billing.stop()
    erp.stop()


def netsuite_settings(sandbox: RunningSandbox) -> NetSuiteSettings:
    creds = sandbox.credentials()
    return NetSuiteSettings(base_url=sandbox.base_url, account_id=creds["account_id"],
                            consumer_key=creds["consumer_key"],
                            consumer_secret=SecretStr(creds["consumer_secret"]),
                            token_id=creds["token_id"],
                            token_secret=SecretStr(creds["token_secret"]))


def seed(db: Database, billing: RunningSandbox, erp: RunningSandbox) -> dict[str, Any]:
    client = stripe.StripeClient(billing.credentials()["api_key"],
                                 base_addresses={"api": billing.base_url},
                                 max_network_retries=0)
    stripe_customer = client.v1.customers.create(params={"name": "Acme Inc"})
    draft = client.v1.invoices.create(params={"customer": stripe_customer.id,
                                              "currency": "usd"})
    client.v1.invoice_items.create(params={"customer": stripe_customer.id, "invoice": draft.id,
                                           "amount": 108500, "currency": "usd"})
    invoice = client.v1.invoices.finalize_invoice(draft.id)
    day = datetime.fromisoformat(httpx.get(f"{erp.base_url}/__sandbox/clock").json()["now"])
    customer = documents.customer()
    canonical = documents.invoice(customer.id, day.date(), number=invoice.number)
    poster = NetSuitePoster.from_settings(netsuite_settings(erp))
    try:
        poster.post_customer(customer)
        internal_id = poster.post_invoice(canonical)
    finally:
        poster.client.close()
    now = datetime.now(UTC)
    write_keys(db, "inv-trace", {Key.INVOICE_NUMBER: str(invoice.number)})
    write_step(db, "inv-trace", "stripe.read_invoice", system="stripe",
               at=now - timedelta(hours=3))
    write_step(db, "inv-trace", "netsuite.post_invoice", system="netsuite",
               at=now - timedelta(hours=2), milestone=Milestone.INVOICE_POSTED)
    write_keys(db, "waiting", {Key.INVOICE_NUMBER: "INV-WAITING"})
    write_step(db, "waiting", "stripe.read_invoice", system="stripe",
               at=now - timedelta(hours=2))
    with db.session() as session:
        # an operator: the systems page's Check probes a vendor, which viewers may not
        token = create_token(session, "controller", Access.OPERATOR)
        Xrefs(session).link(canonical.id, EntityType.INVOICE, "stripe", invoice.id)
        run = ReconRun(period="2026-02", systems="stripe,netsuite", status="finished",
                       started_at=now - timedelta(days=1), finished_at=now - timedelta(days=1),
                       totals={"stripe": {"invoiced": "2085.00"}}, difference_count=2)
        session.add(run)
        session.flush()
        session.add_all([
            ReconDifference(run_id=run.id, fingerprint="a", kind="missing", entity="invoice",
                            key="INV-A", source_system="stripe", target_system="netsuite",
                            expected="1000.00", owner="finance_operations"),
            ReconDifference(run_id=run.id, fingerprint="b", kind="amount", entity="invoice",
                            key="INV-B", source_system="stripe", target_system="netsuite",
                            expected="1085.00", actual="1080.00",
                            owner="finance_operations")])
        run_id = run.id
    return {"token": token, "number": invoice.number, "internal_id": internal_id,
            "run_id": run_id}


SHIPPED = {path.name for path in (Path(connectors.__file__).parent).iterdir()
           if (path / "__init__.py").exists()}


def test_invoice_status_kpis_and_reconciliation_pages(
        sqlite_url: str, boxes: tuple[RunningSandbox, RunningSandbox], browser: Any,
        screenshots: Path) -> None:
    billing, erp = boxes
    db = Database(sqlite_url)
    upgrade(db.engine)
    seeded = seed(db, billing, erp)
    settings = {"stripe": StripeSettings(base_url=billing.base_url,
                                         api_key=SecretStr(billing.credentials()["api_key"]),
                                         webhook_secret=SecretStr("whsec_console")),
                "netsuite": netsuite_settings(erp)}
    server = serve_in_thread(create_app(load_settings(), db, system_settings=settings),
                             name="console")
    base = f"http://127.0.0.1:{server.port}"
    try:
        page = browser.new_page()
        page.goto(f"{base}/console/login")
        page.fill("#token", seeded["token"])
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/console")

        page.click("nav >> text=Invoices")
        assert "Enter an invoice number" in page.inner_text("main")
        page.fill("#number", seeded["number"])
        page.click("button:has-text('Look up')")
        billing_card = page.locator("[data-section=billing]")
        assert billing_card.locator("[data-lookup]").inner_text() == "found"
        assert billing_card.locator("[data-field=billing-status]").inner_text() == "open"
        assert "1085.00 USD" in billing_card.inner_text()
        erp_card = page.locator("[data-section=erp]")
        assert erp_card.locator("[data-field=erp-posted]").inner_text() == "yes"
        assert "netsuite" in erp_card.locator("h2").inner_text()
        assert seeded["number"] in erp_card.inner_text()
        assert seeded["internal_id"] in erp_card.inner_text()
        assert page.locator("[data-section=crm] [data-lookup]").inner_text() == "not found"
        page.screenshot(path=str(screenshots / "invoice-status.png"), full_page=True)
        page.fill("#number", "NOPE-1")
        page.click("button:has-text('Look up')")
        assert "No system knows invoice NOPE-1" in page.inner_text("[role=alert]")

        page.click("nav >> text=KPIs")
        waiting = page.locator("[data-kpi=invoices_not_posted]")
        assert waiting.locator(".n").inner_text() == "1"
        assert "2.0 h" in waiting.inner_text()
        latency = page.locator("[data-kpi=invoice_posting_latency]")
        assert latency.locator(".p50").inner_text() == "60 min"
        assert "has not run on this database" in page.inner_text("main")
        assert page.locator("[data-system=netsuite]").count() == 1
        chart = page.locator("[data-chart=invoices_posted]")
        assert chart.locator("rect").count() == 14
        assert "peak 1" in chart.inner_text()
        page.screenshot(path=str(screenshots / "kpis.png"), full_page=True)

        page.click("nav >> text=Reconciliation")
        page.click(f"a:has-text('#{seeded['run_id']}')")
        keys = page.locator("table.differences tbody tr")
        assert [keys.nth(i).get_attribute("data-key") for i in range(2)] == ["INV-A", "INV-B"]
        page.click("table.differences thead th:has-text('kind')")
        assert keys.first.get_attribute("data-key") == "INV-B"  # amount before missing
        page.select_option("select[name=kind]", "missing")
        page.click("button:has-text('Filter')")
        assert keys.count() == 1
        assert "1000.00" in keys.first.inner_text()
        page.screenshot(path=str(screenshots / "reconciliation.png"), full_page=True)

        page.click("nav >> text=Systems")
        rows = page.locator("tr[data-system]")
        listed = {rows.nth(i).get_attribute("data-system") for i in range(rows.count())}
        # every connector accord ships (metering: accord's usage intake); toy ones other
        # tests register in this process aside
        assert {name for name in listed if name and not name.startswith("toy")} == SHIPPED
        page.locator("tr[data-system=stripe] button:has-text('Check')").click()
        assert page.inner_text("[data-probe=stripe] strong") == "stripe: ok"
        page.screenshot(path=str(screenshots / "systems.png"), full_page=True)
    finally:
        server.stop()
        db.dispose()
