"""The console in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.steps import write_keys, write_step

from accord.api import create_app
from accord.api.tokens import Access, create_token
from accord.engine.timeline import StepOutcome
from accord.errors import PermanentError
from accord.flows.keys import Key
from accord.sandboxes.server import serve_in_thread
from accord.settings import load_settings
from accord.store import Database, upgrade
from accord.store.models import ExceptionRecord


@pytest.fixture
def console(sqlite_url: str) -> Iterator[tuple[str, str]]:
    db = Database(sqlite_url)
    upgrade(db.engine)
    write_step(db, "corr-77", "salesforce.validate_deal", flow="closed_won")
    write_step(db, "corr-77", "stripe.create_customer", system="stripe", flow="closed_won")
    write_step(db, "corr-77", "netsuite.post_invoice", system="netsuite", flow="invoice_posting",
               outcome=StepOutcome.FAILED,
               error=PermanentError("period 2026-10 is closed", system="netsuite"))
    write_keys(db, "corr-77", {Key.INVOICE_NUMBER: "INV-2026-0042"})
    with db.session() as session:
        token = create_token(session, "ops-lead", Access.OPERATOR)
        session.add(ExceptionRecord(fingerprint="f", kind="data_quality",
                                    owner="finance_operations", system="netsuite",
                                    reason="posting period 2026-10 is closed",
                                    correlation_id="corr-77", record_ref="INV-2026-0042"))
    server = serve_in_thread(create_app(load_settings(), db), name="console")
    yield f"http://127.0.0.1:{server.port}", token
    server.stop()
    db.dispose()


def test_sign_in_overview_trace_and_exceptions(console: tuple[str, str], browser: object,
                                               tmp_path: Path) -> None:
    base, token = console
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{base}/console")
    assert page.url.endswith("/console/login")

    page.fill("#token", "acc_not-a-token")
    page.click("button[type=submit]")
    assert "unknown, expired or revoked" in page.inner_text("[role=alert]")

    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/console")
    assert page.inner_text("[data-kpi=open_exceptions] .n") == "1"
    assert "ops-lead (operator)" in page.inner_text("header")

    page.click("text=Trace a deal")
    page.fill("#q", "INV-2026-0042")
    page.click("button:has-text('Trace')")
    trace = page.locator("[data-correlation=corr-77]")
    rows = trace.locator("tbody tr")
    assert rows.count() == 3
    assert "period 2026-10 is closed" in rows.nth(2).inner_text()
    page.screenshot(path=os.environ.get("ACCORD_TEST_SCREENSHOT", str(tmp_path / "trace.png")),
                    full_page=True)

    trace.locator("a:has-text('post_invoice')").click()
    assert page.inner_text("[data-field=outcome]") == StepOutcome.FAILED
    assert "period 2026-10 is closed" in page.inner_text("main")
    assert "recorded no payload" in page.inner_text("main")

    page.click("nav >> text=Exceptions")
    assert page.locator("table.exceptions tbody tr[data-id]").count() == 1
    page.fill("input[name=note]", "period reopened by the controller")
    page.click("button:has-text('Resolve')")
    assert "No exceptions match" in page.inner_text("table.exceptions")
    page.select_option("select[name=status_]", "resolved")
    page.click("button:has-text('Filter')")
    assert page.locator("table.exceptions tbody tr[data-id]").count() == 1
    page.select_option("select[name=owner]", "master_data")
    page.click("button:has-text('Filter')")
    assert "No exceptions match" in page.inner_text("table.exceptions")

    page.click("text=Sign out")
    page.goto(f"{base}/console/exceptions")
    assert page.url.endswith("/console/login")
