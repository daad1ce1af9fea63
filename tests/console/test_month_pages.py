"""The console after ``accord demo --keep-running``, in Chromium: the Overview and KPIs pages
show the figures the timeline and the sandboxes bear out, every customer page reads as text
(no Python value), and each open exception lists the reconciliation differences it explains
(issue 24)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.demo_month import STARTUP_SECONDS, DemoMonth, settled_report, truth

from accord.engine.timeline import StepOutcome

pytestmark = pytest.mark.timeout(STARTUP_SECONDS + 600)
REPRS = ("{'", "None", "[{")


def _signed_in(browser: Any, month: DemoMonth) -> Any:
    page = browser.new_page()
    page.goto(f"{month.console}/login")
    page.fill("#token", month.token)
    page.click("button[type=submit]")
    page.wait_for_url(month.console)
    return page


def test_overview_and_kpis_pages_show_the_months_true_figures(
        demo_month: DemoMonth, browser: Any, screenshots: Path) -> None:
    systems = truth(demo_month)
    kpis, steps = settled_report(demo_month)
    failed = sum(step["outcome"] == StepOutcome.FAILED for step in steps)
    rate = f"{round(failed / len(steps), 4) * 100:.2f}%"
    posted = len(systems.erp_invoices)
    page = _signed_in(browser, demo_month)

    def tile(name: str) -> str:
        return str(page.inner_text(f"[data-kpi={name}] .n"))

    assert tile("error_rate") == rate
    assert f"{failed} failed of {len(steps)} steps" in page.inner_text("[data-kpi=error_rate]")
    assert tile("invoices_posted") == str(posted)
    assert tile("orders_pending_activation") == str(len(systems.deals_without_subscription))
    assert tile("invoices_not_posted") == str(len(systems.invoices_missing_in_erp))
    assert f"over {posted} invoices" in page.inner_text("[data-kpi=invoice_posting_latency]")
    assert tile("open_exceptions") == "4"
    assert "explaining 5 reconciliation differences" in page.inner_text(
        "[data-kpi=open_exceptions]")
    page.screenshot(path=str(screenshots / "overview.png"), full_page=True)

    page.click("nav >> text=KPIs")
    assert page.inner_text("[data-kpi=error_rate] .n") == rate
    assert f"{failed} failed of {len(steps)} steps" in page.inner_text("[data-kpi=error_rate]")
    assert page.inner_text("[data-kpi=invoices_posted] .n") == str(posted)
    assert page.inner_text("[data-kpi=invoice_posting_latency] .count") == f"{posted} invoices"
    orders = page.locator("[data-kpi=orders_pending_activation]")
    assert orders.locator(".n").inner_text() == "3"
    assert {orders.locator("[data-key]").nth(n).get_attribute("data-key")
            for n in range(orders.locator("[data-key]").count())} == \
        systems.deals_without_subscription
    invoices = page.locator("[data-kpi=invoices_not_posted]")
    assert invoices.locator(".n").inner_text() == "1"
    assert {invoices.locator("[data-key]").first.get_attribute("data-key")} == \
        systems.invoices_missing_in_erp
    assert kpis["business"]["invoices_posted"] == posted


def test_customer_pages_read_as_text_and_exceptions_list_their_differences(
        demo_month: DemoMonth, browser: Any) -> None:
    page = _signed_in(browser, demo_month)
    page.click("nav >> text=Customers")
    ids = [page.locator("table.customers tbody tr[data-id]").nth(n).get_attribute("data-id")
           for n in range(page.locator("table.customers tbody tr[data-id]").count())]
    assert len(ids) >= 20
    for canonical_id in ids:
        page.goto(f"{demo_month.console}/customers/{canonical_id}")
        shown = page.inner_text("main")
        for mark in REPRS:
            assert mark not in shown, (canonical_id, mark)
        assert page.locator("[data-field=billing_address] .value").inner_text() != ""
    # the last customer page read: an address on one line, contacts by name and e-mail
    assert re.search(r", [A-Z]{2}$", page.inner_text("[data-field=billing_address] .value"))
    assert "@" in page.inner_text("[data-field=contacts] .value")

    page.goto(f"{demo_month.console}/exceptions")
    rows = page.locator("table.exceptions tbody tr[data-id]")
    assert rows.count() == 4
    counts = sorted(int(rows.nth(n).locator("[data-field=differences]").inner_text())
                    for n in range(4))
    assert counts == [1, 1, 1, 2]
    for n in range(4):
        page.goto(f"{demo_month.console}/exceptions")
        row = page.locator("table.exceptions tbody tr[data-id]").nth(n)
        expected = int(row.locator("[data-field=differences]").inner_text())
        row.locator("a[aria-label^='exception']").click()
        listed = page.locator("table.differences tbody tr")
        assert listed.count() == expected
        assert f"Reconciliation differences it explains ({expected})" in page.inner_text("main")
