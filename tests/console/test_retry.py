"""In the browser: an invoice posting stopped on a closed NetSuite period, the controller
reopens the period in NetSuite, an operator opens the exception, presses Retry and sees it
clear. Everything is real: the three sandboxes over HTTP, the flows on the engine in this
process, the API and console served by uvicorn, Debian's Chromium."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOS
from sqlalchemy import select
from tests.flows.conftest import Sandboxes, sandbox_deployment
from tests.flows.vendors import Vendors, opportunity_poller, poll, stripe_events_poller

from accord import bootstrap
from accord.api import create_app
from accord.api.tokens import Access, create_token
from accord.demo.scenario import Defect, generate
from accord.demo.seeding import payment_methods, seed_scenario, win_deals
from accord.engine import EngineOptions
from accord.engine.exception_queue import RETRY_MARK
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.netsuite import SANDBOX as NETSUITE
from accord.sandboxes.salesforce import SANDBOX as SALESFORCE
from accord.sandboxes.server import serve_in_thread, start_in_thread
from accord.sandboxes.stripe import SANDBOX as STRIPE
from accord.settings import load_settings
from accord.store import Database
from accord.store.models import ExceptionRecord


@dataclass
class Live:
    base: str
    token: str
    database: Database
    found: Vendors


def _finish(started: list[Any]) -> None:
    for intake in started:
        with contextlib.suppress(Exception):  # a failed flow is in the exception queue
            DBOS.retrieve_workflow(intake.workflow_id).get_result()


@pytest.fixture
def live(sqlite_url: str, tmp_path: Path) -> Iterator[Live]:
    """One deal dated in last month (a closed NetSuite period) run through the flows."""
    sandboxes = [start_in_thread(STRIPE, SandboxOptions(data_dir=tmp_path / "stripe",
                                                        settings={"rate_limit": 0})),
                 start_in_thread(SALESFORCE, SandboxOptions(data_dir=tmp_path / "sf")),
                 start_in_thread(NETSUITE, SandboxOptions(data_dir=tmp_path / "ns"))]
    stripe, salesforce, netsuite = sandboxes
    deployment = sandbox_deployment(Sandboxes(stripe, salesforce, netsuite), sqlite_url)
    found = Vendors(deployment.systems)
    service = bootstrap.start(deployment, EngineOptions(
        database_url=sqlite_url, rng=random.Random(7), worker_concurrency=8))
    runtime = service.runtime
    server = None
    try:
        month = generate(seed=1, accounts=12, month=datetime.now(UTC).strftime("%Y-%m"))
        deal = next(d for d in month.deals if d.defect is Defect.CLOSED_PERIOD)
        scenario = month.model_copy(update={
            "deals": (deal,),
            "accounts": tuple(a for a in month.accounts if a.ref == deal.account_ref)})
        seeded = seed_scenario(found.salesforce, scenario)
        found.payment_method_for = payment_methods(scenario, seeded)
        win_deals(found.salesforce, seeded, [deal.ref])
        _finish(poll(runtime.database, "salesforce", "opportunity",
                     opportunity_poller(found.salesforce)).started)
        _finish(poll(runtime.database, "stripe", "events",
                     stripe_events_poller(found.stripe)).started)
        with runtime.database.session() as session:
            token = create_token(session, "controller", Access.OPERATOR)
        # the engine runs in this process: the app serves, and its Retry forks the flow here
        server = serve_in_thread(create_app(load_settings(), runtime.database), name="console")
        yield Live(f"http://127.0.0.1:{server.port}", token, runtime.database, found)
    finally:
        if server is not None:
            server.stop()
        bootstrap.stop(service)
        deployment.close()
        sandboxes[1].server.force_exit = True
        for running in sandboxes:
            running.stop()


def _reopen(found: Vendors, period_name: str) -> None:
    """What the controller does in NetSuite: reopen the accounting period."""
    ns = found.netsuite["netsuite"].client
    [row] = ns.suiteql(f"SELECT id FROM accountingperiod WHERE periodname = '{period_name}'")
    ns.update("accountingPeriod", str(row["id"]), {
        "isClosed": False, "arLocked": False, "apLocked": False, "allLocked": False})


def _retried_result() -> Any:
    [retried] = [s for s in DBOS.list_workflows(load_input=False, load_output=False)
                 if RETRY_MARK in s.workflow_id]
    return DBOS.retrieve_workflow(retried.workflow_id).get_result()


def test_retry_after_reopening_the_period_clears_the_exception(
        live: Live, browser: object, screenshots: Path) -> None:
    with live.database.session() as session:
        # the posting's exception (the payment waiting on it has one of its own)
        record = session.scalars(select(ExceptionRecord).where(
            ExceptionRecord.owner == "finance_operations",
            ExceptionRecord.step == "erp.post_invoice")).one()
        exception_id, invoice = record.id, record.record_ref
    assert invoice is not None
    assert invoice.startswith("in_")

    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{live.base}/console/login")
    page.fill("#token", live.token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.base}/console")

    page.click("nav >> text=Exceptions")
    row = page.locator(f"table.exceptions tbody tr[data-id='{exception_id}']")
    assert invoice in row.inner_text()
    row.locator(f"a[aria-label='exception {exception_id}']").click()
    page.wait_for_url(f"{live.base}/console/exceptions/{exception_id}")
    assert page.inner_text("[data-field=status]") == "open"
    reason = page.inner_text("[data-field=reason]")
    assert "is closed" in reason
    period = reason.split("accounting period ", 1)[1].split(" is closed", 1)[0]

    page.screenshot(path=str(screenshots / "exception.png"), full_page=True)

    _reopen(live.found, period)  # fix the data where it lives, then retry
    page.fill("input[name=note]", f"{period} reopened by the controller")
    page.click("button:has-text('Retry')")
    page.wait_for_url(f"{live.base}/console/exceptions/{exception_id}")
    assert page.inner_text("[data-field=status]") in {"retrying", "resolved"}

    # the forked flow ended ok (DBOS is asked from a plain thread: Playwright's sync API
    # keeps an event loop on this one)
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(_retried_result).result()
    assert result["outcome"] == "posted"
    page.reload()
    assert page.inner_text("[data-field=status]") == "resolved"
    assert "by engine" in page.inner_text("[data-field=resolved]")
    assert "reopened by the controller" in page.inner_text("[data-field=note]")
    page.screenshot(path=str(screenshots / "exception-retried.png"), full_page=True)

    page.click("nav >> text=Exceptions")  # gone from the open queue, listed as resolved
    assert page.locator(f"table.exceptions tbody tr[data-id='{exception_id}']").count() == 0
    page.select_option("select[name=status_]", "resolved")
    page.click("button:has-text('Filter')")
    assert page.locator(f"table.exceptions tbody tr[data-id='{exception_id}']").count() == 1
    ns = live.found.netsuite["netsuite"].client
    posted = list(ns.suiteql("SELECT id FROM transaction WHERE type = 'CustInvc'"))
    assert len(posted) == 1  # the invoice is in NetSuite now, once
    page.close()
