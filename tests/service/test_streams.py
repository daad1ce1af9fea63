"""Where a change stream starts when accord first reaches a system: after everything the
system holds then, so an installation does not replay years of deals or events (each would
start a flow: subscriptions for deals long billed, invoices posted twice); a backfill is an
explicit ``start = "beginning"``. Each connector's poller, against its sandbox over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.flows.conftest import Sandboxes, sandbox_deployment
from tests.flows.vendors import Vendors

from accord import bootstrap
from accord.bootstrap import Deployment
from accord.bootstrap.schedules import PollJob, Start, begin_stream, poll_into_inbox
from accord.connectors.netsuite.streams import customer_poller
from accord.connectors.salesforce.streams import opportunity_poller
from accord.connectors.stripe.intake import StripeEventsPoller
from accord.engine.limits import DbSlotGate
from accord.engine.polling import read_cursor
from accord.resilience import LimitsProfile
from accord.store import Database, upgrade


def _deal(found: Deployment, name: str) -> str:
    crm = Vendors(found.systems).salesforce
    account = crm.create("Account", {"Name": f"{name} Inc.", "Legal_Entity__c": "US01"})
    opportunity = crm.create("Opportunity", {
        "Name": name, "AccountId": account, "StageName": "Prospecting",
        "CloseDate": "2026-12-01"})
    crm.update("Opportunity", opportunity, {"StageName": "Closed Won"})
    return opportunity


def _poll_job(found: Deployment, name: str) -> PollJob:
    [schedule] = [s for s in found.schedules if s.name == name]
    assert isinstance(schedule.job, PollJob)
    return schedule.job


def test_a_deal_won_before_accord_first_polled_is_not_replayed(
        deployment: Deployment, sqlite_url: str) -> None:
    before = _deal(deployment, "before")
    options = bootstrap.engine_options(deployment, database_url=sqlite_url)
    with bootstrap.running(deployment, options) as started:
        # the worker fixed where the stream starts as it started, before any firing
        assert read_cursor(started.runtime.database, "salesforce", "opportunity")
        job = _poll_job(deployment, "poll.salesforce.opportunity")
        assert job.poller.poll(read_cursor(started.runtime.database, "salesforce",
                                           "opportunity"), 100).events == []
        after = _deal(deployment, "after")
        result = job(datetime.now(UTC))
        assert result.items == 1
    seen = {event.payload["record"]["Id"] for event in job.poller.poll(None, 100).events}
    assert {before, after} <= seen  # both exist; only the one won after accord came is news


def test_a_backfill_starts_from_the_beginning(
        sandboxes: Sandboxes, sqlite_url: str) -> None:
    found = sandbox_deployment(sandboxes, sqlite_url)
    try:
        _deal(found, "old deal")
        poller = opportunity_poller(Vendors(found.systems).salesforce)
        database = Database(sqlite_url)
        try:
            upgrade(database.engine)
            assert begin_stream(database, "salesforce", "opportunity", poller, Start.BEGINNING)
            assert read_cursor(database, "salesforce", "opportunity") == ""
            events = poller.poll(None, 100).events
            assert [e.event_type for e in events] == ["opportunity.closed_won"]
        finally:
            database.dispose()
    finally:
        found.close()


def test_each_connectors_initial_cursor_is_past_what_exists_now(
        deployment: Deployment) -> None:
    found = Vendors(deployment.systems)
    # Salesforce: deals
    sf = opportunity_poller(found.salesforce)
    _deal(deployment, "existing")
    start = sf.initial_cursor()
    assert sf.poll(start, 100).events == []
    newer = _deal(deployment, "newer")
    assert [e.payload["record"]["Id"] for e in sf.poll(start, 100).events] == [newer]
    # Stripe: events
    stripe = StripeEventsPoller(found.stripe)
    found.stripe.v1.customers.create(params={"name": "existing"})
    start = stripe.initial_cursor()
    assert start is not None
    assert list(stripe.poll(start, 100).events) == []
    created = found.stripe.v1.customers.create(params={"name": "newer"})
    assert [e.payload["data"]["object"]["id"] for e in stripe.poll(start, 100).events] == [
        created.id]
    # NetSuite: customers
    erp = found.netsuite["netsuite"].client
    ns = customer_poller(erp)
    erp.upsert("customer", "cus_existing", {"companyName": "Existing", "subsidiary": {"id": "1"}})
    start = ns.initial_cursor()
    assert start is not None
    assert list(ns.poll(start, 100).events) == []
    newer_id = erp.upsert("customer", "cus_newer", {"companyName": "Newer",
                                                   "subsidiary": {"id": "1"}})
    assert [str(e.payload["id"]) for e in ns.poll(start, 100).events] == [str(newer_id)]


class GateWatcher:
    """A poller that notes who holds the system's concurrency gate while it reads."""

    def __init__(self, inner: Any, gate: DbSlotGate) -> None:
        self.inner = inner
        self.gate = gate
        self.holders: list[list[str]] = []

    def initial_cursor(self) -> str | None:
        found: str | None = self.inner.initial_cursor()
        return found

    def poll(self, cursor: str | None, limit: int) -> Any:
        self.holders.append(self.gate.holders())
        return self.inner.poll(cursor, limit)


def test_a_poll_reads_inside_the_systems_concurrency_limit(
        deployment: Deployment, sqlite_url: str) -> None:
    """The throttle drill's finding: polls called Salesforce beside the flows' gated calls,
    and the org's concurrent-request limit was exceeded. A poll's read takes a slot of the
    system's gate like any step's call."""
    options = bootstrap.engine_options(deployment, database_url=sqlite_url, limits={
        "salesforce": LimitsProfile(max_concurrency=2)})
    with bootstrap.running(deployment, options) as started:
        gate = DbSlotGate(started.runtime.database.engine, "salesforce", 2)
        watcher = GateWatcher(opportunity_poller(Vendors(deployment.systems).salesforce), gate)
        poll_into_inbox("salesforce", "opportunity", watcher)  # the stream starts
        _deal(deployment, "gated")
        result = poll_into_inbox("salesforce", "opportunity", watcher)
        assert result.items == 1
        assert watcher.holders
        assert all(len(holders) == 1 for holders in watcher.holders), watcher.holders
        assert gate.holders() == []  # released after the read
