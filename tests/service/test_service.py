"""accord as a service, end to end, as a company runs it: the sandboxes and accord as
separate processes configured by ``accord init --sandboxes``; a deal closed in Salesforce by
another program becomes a Stripe subscription, and its invoice, once finalized, a NetSuite
invoice - through the scheduled polls and Stripe's webhooks, with no further command.

On PostgreSQL, ``accord serve --no-workers`` and two ``accord worker`` processes share the
schedules (each firing runs once, on one worker), and a worker SIGKILLed in the middle of a
poll loses no change; the API's ``/metrics`` reports the workers' flows and vendor calls."""

from __future__ import annotations

import itertools
import os
import signal
from collections import Counter
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from accord.demo.environment import WORKER_PREFIX, Environment, Layout, start
from accord.engine.schedules import runs
from accord.store import Database

from .deals import (
    close_deal,
    eventually,
    finalized_first_invoice,
    netsuite_invoice,
    publish_catalog,
    salesforce,
    stripe_client,
    subscription_of,
)

OPPORTUNITIES = "poll.salesforce.opportunity"


def _deal_reaches_billing_and_erp(env: Environment, name: str) -> None:
    sf = salesforce(env.credentials["salesforce"])
    billing = stripe_client(env.credentials["stripe"])
    opportunity = close_deal(sf, name=name)
    subscription = eventually(lambda: subscription_of(sf, billing, opportunity), timeout=60,
                              what=f"the Stripe subscription of {opportunity}")
    assert subscription.status == "active"
    assert subscription.metadata["opportunity_id"] == opportunity
    invoice = finalized_first_invoice(billing, subscription)
    posted = eventually(lambda: netsuite_invoice(env.credentials["netsuite"], invoice.id),
                        timeout=60, what=f"the NetSuite invoice of {invoice.id}")
    assert Decimal(str(posted["foreigntotal"])) == Decimal(invoice.total) / 100


def test_a_deal_closed_in_salesforce_reaches_stripe_and_netsuite(tmp_path: Path) -> None:
    with start(tmp_path, Layout(default_sandbox_ports=False, api_port=0)) as env:
        ready = httpx.get(f"{env.api_url}/readyz", timeout=30).json()
        assert ready["status"] == "ready"
        assert ready["engine"]["status"] == "running"
        assert {name: view["status"] for name, view in ready["systems"].items()} == {
            "avatax": "ok", "hubspot": "disabled", "metering": "ok", "netsuite": "ok",
            "netsuite-eu": "ok", "salesforce": "ok", "stripe": "ok"}
        assert {OPPORTUNITIES, "poll.stripe.events", "products.sync", "reconcile"} <= set(
            ready["schedules"])
        publish_catalog(env)
        _deal_reaches_billing_and_erp(env, "northwind")
        polled = httpx.get(f"{env.api_url}/readyz", timeout=30).json()["schedules"]
        assert polled[OPPORTUNITIES]["last_outcome"] in ("ok", "running", "skipped")
        assert polled[OPPORTUNITIES]["next_run"] > polled[OPPORTUNITIES]["last_run"]


@pytest.mark.postgres
def test_workers_share_the_schedules_and_a_killed_worker_loses_no_change(
        tmp_path: Path, postgres_url: str) -> None:
    layout = Layout(default_sandbox_ports=False, api_port=0, workers=2,
                    database_url=postgres_url, poll_every=5)
    with start(tmp_path, layout) as env:
        assert httpx.get(f"{env.api_url}/readyz", timeout=30).json()["engine"] == {
            "status": "elsewhere", "executor": None}
        publish_catalog(env)
        sf = salesforce(env.credentials["salesforce"])
        billing = stripe_client(env.credentials["stripe"])
        # a slow Salesforce: each poll takes seconds, so one can be caught in flight
        control = f"{env.sandboxes['salesforce']}/__sandbox/faults"
        verify = env.credentials["salesforce"]["ca_cert"]
        httpx.put(control, json={"latency_ms": 1500}, verify=verify).raise_for_status()
        deals = [close_deal(sf, name=f"acme{index}") for index in range(3)]
        database = Database(postgres_url)
        try:
            victim = eventually(lambda: next((run.executor
                                              for run in runs(database, OPPORTUNITIES)
                                              if run.outcome == "running"), None),
                                timeout=60, what="a Salesforce poll in flight")
            worker = next(entry for entry in env.stack.started if entry.name == victim)
            os.kill(worker.process.pid, signal.SIGKILL)
            worker.process.wait()
            httpx.put(control, json={"latency_ms": 0}, verify=verify).raise_for_status()
            # the platform restarts the worker under its name: it recovers its flows
            env.stack.start(victim, ["worker", "--id", victim])
            for opportunity in deals:
                subscription = eventually(lambda o=opportunity: subscription_of(sf, billing, o),
                                          timeout=180, what=f"the subscription of {opportunity}")
                assert subscription.status == "active"
            history = runs(database)
            # the API process runs no flow: its /metrics totals are the workers', read
            # from the shared database
            figures = _metrics(env.api_url)
        finally:
            database.dispose()
    # every firing ran to its end once, on one worker (a run cut short by the kill is marked
    # failed and its firing ran again when the worker came back)
    completed = Counter((run.schedule, run.scheduled_at) for run in history
                        if run.outcome in ("ok", "skipped"))
    assert completed
    assert max(completed.values()) == 1, completed.most_common(3)
    firings = sorted(at for (name, at) in completed if name == OPPORTUNITIES)
    assert len(firings) >= 3
    assert all((later - earlier).total_seconds() >= layout.poll_every - 0.01
               for earlier, later in itertools.pairwise(firings))
    assert {run.executor for run in history} == {f"{WORKER_PREFIX}1", f"{WORKER_PREFIX}2"}
    cut_short = [run for run in history if run.schedule == OPPORTUNITIES
                 and run.outcome == "failed" and run.executor == victim]
    assert cut_short, "the killed poll is recorded as cut short"
    assert figures[("accord_flows_finished_total", (("flow", "closed_won"),))] >= len(deals)
    for system in ("salesforce", "stripe", "netsuite"):
        assert figures[("accord_vendor_calls_total", (("system", system),))] > 0


def _metrics(api_url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{api_url}/metrics", timeout=30).text
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}
