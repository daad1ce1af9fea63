"""Invoice posting in batches, through the inbox pump against the sandboxes: finalized
invoices stored together are posted by one batch flow run, each exactly once; a bad invoice
becomes its own exception while the others post; an invoice whose customer is not in the
ERP yet waits in its own flow without holding the others; retrying one invoice's exception
(or replaying its event) runs it alone; a redelivered event adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dbos import DBOS
from sqlalchemy import select

from accord.canonical.ids import EntityType, derived_id
from accord.canonical.party import Customer
from accord.connectors.base import InboundEvent
from accord.engine.control import EngineClient
from accord.engine.dispatch import pump, store
from accord.engine.exception_queue import ExceptionStatus, get_exception, retry_exception
from accord.engine.polling import storable
from accord.engine.replay import ReplayMode, replay
from accord.engine.timeline import Milestone, StepOutcome
from accord.flows.invoice_batch import FLOW as BATCH_FLOW
from accord.flows.invoice_posting import FLOW as SINGLE_FLOW
from accord.flows.systems import FlowSettings, Systems
from accord.registry.golden import GoldenRecords
from accord.registry.xref import Xrefs
from accord.store.models import InboxEntry, TimelineEntry
from tests.flows.vendors import invoice_id_for, stripe_events_poller

from .support import billing_only_customer, exceptions


def _invoice(found: Any, stripe_customer: str, cents: int) -> str:
    """A finalized Stripe invoice for ``cents`` (its invoice.finalized event is in Stripe's
    event list)."""
    v1 = found.stripe.v1
    v1.invoice_items.create(params={"customer": stripe_customer, "amount": cents,
                                    "currency": "usd", "description": "Services"})
    invoice = v1.invoices.create(params={"customer": stripe_customer,
                                         "pending_invoice_items_behavior": "include"})
    return str(v1.invoices.finalize_invoice(invoice.id).id)


def _in_erp(engine: Any, found: Any, customer: Customer) -> None:
    internal = found.netsuite["netsuite"].post_customer(customer)
    with engine.database.session() as session:
        Xrefs(session).link(customer.id, EntityType.CUSTOMER, "netsuite", internal)


def _ready_customer(engine: Any, found: Any, name: str) -> str:
    """A customer in Stripe and NetSuite, linked in accord; its Stripe id."""
    customer, stripe_customer = billing_only_customer(engine, found, name)
    _in_erp(engine, found, customer)
    return stripe_customer


def _finalized_events(found: Any, invoices: list[str]) -> list[InboundEvent]:
    """Stripe's own invoice.finalized events of ``invoices``, oldest first."""
    events = stripe_events_poller(found.stripe).poll(None, 100).events
    chosen = [event for event in events if event.event_type == "invoice.finalized"
              and event.payload["data"]["object"]["id"] in invoices]
    assert len(chosen) == len(invoices)
    return sorted(chosen, key=lambda event: invoices.index(
        event.payload["data"]["object"]["id"]))


def _pump(engine: Any) -> int:
    return pump(engine.database, now=datetime.now(UTC) + timedelta(seconds=5))


def _inbox(engine: Any) -> dict[str, InboxEntry]:
    with engine.database.session() as session:
        rows = {row.external_event_id: row for row in session.scalars(select(InboxEntry))}
        session.expunge_all()
        return rows


def _posted(found: Any, stripe_invoice: str) -> dict[str, Any] | None:
    rows = list(found.netsuite["netsuite"].client.suiteql(
        "SELECT t.id, t.foreigntotal FROM transaction t WHERE t.externalid = "
        f"'{invoice_id_for(stripe_invoice)}'"))
    assert len(rows) <= 1, rows  # one record per invoice, however often it was sent
    return rows[0] if rows else None


def _timeline(engine: Any, correlation_id: str) -> list[tuple[str, str, str | None, str]]:
    engine.timeline.flush()
    with engine.database.session() as session:
        return [(row.step, row.outcome, row.milestone, row.workflow_id) for row in
                session.execute(select(TimelineEntry).where(
                    TimelineEntry.correlation_id == correlation_id)
                    .order_by(TimelineEntry.id)).scalars()]


def _workflows(name: str) -> list[Any]:
    return list(DBOS.list_workflows(name=name, load_input=False, load_output=False))


def test_a_batch_posts_each_invoice_once_and_a_bad_one_fails_alone(engine,
                                                                   make_systems) -> None:
    found: Systems = make_systems()
    good = [_invoice(found, _ready_customer(engine, found, f"Batch {n} Inc."), 1000 * (n + 1))
            for n in range(3)]
    stranger = str(found.stripe.v1.customers.create(params={"name": "Stranger Ltd"}).id)
    bad = _invoice(found, stranger, 500)  # its customer is unknown to accord
    events = _finalized_events(found, [*good[:2], bad, good[2]])
    for event in events:
        store(engine.database, storable(event))
    assert _pump(engine) == 4

    rows = _inbox(engine)
    (batch_id,) = {row.workflow_id for row in rows.values()}  # one flow run for all four
    outcome = DBOS.retrieve_workflow(str(batch_id)).get_result()
    correlation = {invoice: f"stripe:{event.event_id}"
                   for invoice, event in zip([*good[:2], bad, good[2]], events, strict=True)}
    assert sorted(outcome["succeeded"]) == sorted(correlation[i] for i in good)
    for n, invoice in enumerate(good):
        posted = _posted(found, invoice)
        assert posted is not None
        assert str(posted["foreigntotal"]) in {f"{10 * (n + 1)}", f"{10 * (n + 1)}.00"}
    assert _posted(found, bad) is None

    (record,) = exceptions(engine.database)
    assert (record.correlation_id, record.field, record.owner, record.step, record.record_ref) \
        == (correlation[bad], "customer", "master_data", "billing.read_invoice", bad)
    assert outcome["exceptions"] == {correlation[bad]: record.id}

    # each invoice's timeline is the single flow's: read, then posted (the milestone)
    for invoice in good:
        assert [(step, outcome_, milestone) for step, outcome_, milestone, _ in
                _timeline(engine, correlation[invoice])] == [
            ("billing.read_invoice", StepOutcome.SUCCEEDED, None),
            ("erp.post_invoice", StepOutcome.SUCCEEDED, Milestone.INVOICE_POSTED)]
    # the flows summary counts the batch's invoices as invoice postings
    summary = EngineClient(engine.database).flow_summary()
    assert summary.flows[SINGLE_FLOW] == {"exception": 1, "posted": 3}

    # redelivered events add nothing: the inbox knows them, no flow starts, NetSuite as it was
    before = [_posted(found, invoice) for invoice in good]
    for event in events:
        assert store(engine.database, storable(event))[1] is True
    assert _pump(engine) == 0
    assert len(_workflows(BATCH_FLOW)) == 1
    assert [_posted(found, invoice) for invoice in good] == before


def test_retrying_an_invoice_of_a_batch_runs_it_alone(engine, make_systems) -> None:
    found: Systems = make_systems()
    good = _invoice(found, _ready_customer(engine, found, "Neighbour Inc."), 2500)
    stranger = str(found.stripe.v1.customers.create(params={"name": "Fixed Later"}).id)
    bad = _invoice(found, stranger, 700)
    events = _finalized_events(found, [good, bad])
    for event in events:
        store(engine.database, storable(event))
    _pump(engine)
    (batch_id,) = {row.workflow_id for row in _inbox(engine).values()}
    DBOS.retrieve_workflow(str(batch_id)).get_result()
    (record,) = exceptions(engine.database)
    good_id, bad_id = (f"stripe:{event.event_id}" for event in events)

    # master data links the Stripe customer to a customer that is in NetSuite
    customer = Customer(id=derived_id(EntityType.CUSTOMER, "test", "Fixed Later"),
                        legal_name="Fixed Later", legal_entity="US01", currency="USD")
    with engine.database.session() as session:
        Xrefs(session).link(customer.id, EntityType.CUSTOMER, "stripe", stranger)
        GoldenRecords(session, found.policy).merge(customer.id, EntityType.CUSTOMER, "test",
                                                   customer.model_dump(mode="json"))
    _in_erp(engine, found, customer)

    new_id = retry_exception(engine.database, record.id, actor="ops", note="linked")
    result = DBOS.retrieve_workflow(new_id).get_result()
    status = DBOS.get_workflow_status(new_id)
    assert status is not None
    assert status.name.rsplit(".", 1)[-1] == SINGLE_FLOW  # the invoice alone, not the batch
    assert result["outcome"] == "posted"
    assert _posted(found, bad) is not None
    assert get_exception(engine.database, record.id).status is ExceptionStatus.RESOLVED
    assert len(_workflows(BATCH_FLOW)) == 1  # the batch was not run again
    assert [step for step, *_ in _timeline(engine, good_id)] == [
        "billing.read_invoice", "erp.post_invoice"]  # its neighbour was not posted again
    assert [(step, workflow_id) for step, _, _, workflow_id in _timeline(engine, bad_id)] == [
        ("billing.read_invoice", batch_id), ("billing.read_invoice", new_id),
        ("erp.post_invoice", new_id)]

    # replaying an event of the batch by its correlation id also runs it alone
    replayed = replay(engine.database, good_id, actor="ops")
    assert (replayed.source_workflow_id, replayed.mode) == (batch_id, ReplayMode.ALONE)
    assert DBOS.retrieve_workflow(replayed.workflow_id).get_result()["outcome"] == "posted"
    assert len(_workflows(BATCH_FLOW)) == 1
    assert _posted(found, good) is not None  # the same record, upserted again


def test_a_waiting_invoice_posts_after_its_customer_without_holding_the_others(
        engine, make_systems) -> None:
    found: Systems = make_systems(settings=FlowSettings(wait_interval=0.05, wait_attempts=2000))
    ready = _invoice(found, _ready_customer(engine, found, "Ready Inc."), 1500)
    late, late_stripe = billing_only_customer(engine, found, "Late Inc.")
    waiting = _invoice(found, late_stripe, 900)
    events = _finalized_events(found, [waiting, ready])
    for event in events:
        store(engine.database, storable(event))
    _pump(engine)
    rows = _inbox(engine)
    (batch_id,) = {row.workflow_id for row in rows.values()}
    outcome = DBOS.retrieve_workflow(str(batch_id)).get_result()

    # the batch is done: the ready invoice is posted, the other waits in its own flow
    waiting_id, ready_id = (f"stripe:{event.event_id}" for event in events)
    assert outcome["succeeded"] == [ready_id]
    child = outcome["handed_off"][waiting_id]
    assert child == f"in-{rows[events[0].event_id].id:012d}-stripe-{events[0].event_id}"
    assert _posted(found, ready) is not None
    assert _posted(found, waiting) is None
    status = DBOS.get_workflow_status(child)
    assert status is not None
    assert status.status in {"PENDING", "ENQUEUED"}

    _in_erp(engine, found, late)
    assert DBOS.retrieve_workflow(child).get_result()["outcome"] == "posted"
    assert _posted(found, waiting) is not None
    assert exceptions(engine.database) == []
    milestones = [(step, milestone) for step, _, milestone, _ in
                  _timeline(engine, waiting_id) if milestone]
    assert milestones == [("erp.post_invoice", Milestone.INVOICE_POSTED)]


def test_the_batch_size_is_the_flows_setting(engine, make_systems) -> None:
    found: Systems = make_systems(settings=FlowSettings(wait_interval=0.2, wait_attempts=50,
                                                        invoice_batch=2))
    invoices = [_invoice(found, _ready_customer(engine, found, f"Sized {n} Inc."), 100 * (n + 1))
                for n in range(3)]
    for event in _finalized_events(found, invoices):
        store(engine.database, storable(event))
    assert _pump(engine) == 3
    rows = _inbox(engine)
    runs: dict[str, int] = {}
    for row in rows.values():
        runs[str(row.workflow_id)] = runs.get(str(row.workflow_id), 0) + 1
    assert sorted(runs.values()) == [1, 2]  # at most two invoices per run, in arrival order
    for workflow_id in runs:
        DBOS.retrieve_workflow(workflow_id).get_result()
    assert all(_posted(found, invoice) is not None for invoice in invoices)


def test_a_batch_defers_what_the_sku_mapping_defers_and_records_its_schedules(
        engine, make_systems) -> None:
    """Invoices of a SKU whose revenue is deferred (the onboarding package) and a plain one,
    posted by one batch run: the deferred ones reach the ERP with their lines deferred and
    their revenue schedules recorded, once; the plain one has none."""
    from accord.flows.catalog import product_for
    from accord.store.models import RevenueScheduleRow

    found: Systems = make_systems()
    entry = found.skus.entry("BW-ONBOARD")
    v1 = found.stripe.v1
    product = v1.products.create(params={"name": entry.name})
    price = v1.prices.create(params={"product": product.id, "currency": "usd",
                                     "unit_amount": 150000})
    with engine.database.session() as session:
        Xrefs(session).link(product_for("BW-ONBOARD", entry).id, EntityType.PRODUCT, "stripe",
                            product.id)
    onboarded = []
    for n in range(2):
        customer = _ready_customer(engine, found, f"Onboarded {n} Inc.")
        v1.invoice_items.create(params={"customer": customer, "price": price.id})
        draft = v1.invoices.create(params={"customer": customer,
                                           "pending_invoice_items_behavior": "include"})
        onboarded.append(str(v1.invoices.finalize_invoice(draft.id).id))
    plain = _invoice(found, _ready_customer(engine, found, "Plain Inc."), 4200)
    for event in _finalized_events(found, [*onboarded, plain]):
        store(engine.database, storable(event))
    assert _pump(engine) == 3
    (batch_id,) = {row.workflow_id for row in _inbox(engine).values()}
    outcome = DBOS.retrieve_workflow(str(batch_id)).get_result()
    assert len(outcome["succeeded"]) == 3

    with engine.database.session() as session:
        schedules = {row.invoice_id: (row.deferred_account, row.revenue_account,
                                      row.total_minor)
                     for row in session.scalars(select(RevenueScheduleRow))}
    assert schedules == {invoice_id_for(invoice): (entry.deferred_revenue_account,
                                                   entry.revenue_account, 150000)
                         for invoice in onboarded}
    erp = found.netsuite["netsuite"].client
    for invoice in onboarded:
        (line,) = erp.get_by_external_id("invoice", invoice_id_for(invoice))["item"]["items"]
        assert line["deferRevRec"] is True
    (line,) = erp.get_by_external_id("invoice", invoice_id_for(plain))["item"]["items"]
    assert not line.get("deferRevRec")
    # the same events again: nothing new is posted or scheduled
    for event in _finalized_events(found, [*onboarded, plain]):
        store(engine.database, storable(event))
    _pump(engine)
    with engine.database.session() as session:
        assert len(list(session.scalars(select(RevenueScheduleRow)))) == 2
