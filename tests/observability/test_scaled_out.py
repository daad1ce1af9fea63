"""Scaled out on PostgreSQL - ``accord serve --no-workers`` and two ``accord worker``
processes, configured to export traces by OTLP to a collector in this test - a deal won in
the CRM is followed to its payment in the ERP:

* the collector receives the trace of each business event - the CRM's deal, billing's
  invoice, billing's payment - each from its intake through its flow to the step that
  wrote to billing or the ERP, with that step's vendor HTTP calls as child spans carrying
  the system, whichever process (API or worker) recorded which span;
* ``/metrics`` of the API and of another process on the same database report the same
  totals, and they count what the two workers did together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from accord.api.app import create_app
from accord.demo.environment import WORKER_PREFIX, Layout, start
from accord.engine.schedules import runs
from accord.settings import AccordSettings
from accord.store import Database
from tests.service.deals import (
    close_deal,
    eventually,
    finalized_first_invoice,
    netsuite_invoice,
    netsuite_payment,
    publish_catalog,
    salesforce,
    stripe_client,
    subscription_of,
)

from .receivers import CollectedSpan, Received, chain_of

SYSTEM = "accord.system"
BUSINESS_FLOWS = ("closed_won", "invoice_posting_batch", "payment_posting")
"""The flows a deal's order, invoice and payment run (invoices are posted in batches; the
deal's one invoice is a batch of one, which joins the invoice event's trace)."""
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

pytestmark = pytest.mark.timeout(900)  # five processes and three sandboxes start


def _pay(billing: Any, invoice: Any) -> str:
    """The customer pays the invoice by card, as in Stripe's dashboard; the charge id."""
    method = billing.v1.payment_methods.attach("pm_card_visa",
                                               params={"customer": invoice.customer})
    billing.v1.invoices.pay(invoice.id, params={"payment_method": method.id})
    charges = billing.v1.charges.list(params={"customer": invoice.customer}).data
    return str(next(charge.id for charge in charges if charge.status == "succeeded"))


def _scrape(text: str) -> Samples:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _business(samples: Samples) -> Samples:
    """The figures that stay put once the deal is done (polls keep running schedules)."""
    kept = {}
    for (name, labels), value in samples.items():
        flow = dict(labels).get("flow")
        if (name.startswith("accord_flows_") and flow in BUSINESS_FLOWS) or name in (
                "accord_invoices_not_in_erp", "accord_payments_not_in_erp",
                "accord_orders_pending_activation", "accord_exceptions_open"):
            kept[(name, labels)] = value
    return kept


@pytest.mark.postgres
def test_two_workers_trace_a_deal_to_its_erp_payment_over_otlp_and_agree_on_metrics(
        tmp_path: Path, postgres_url: str, collector: tuple[str, Received]) -> None:
    def configure(path: Path) -> None:
        with path.open("a", encoding="utf-8") as config:
            config.write(f'\n[observability]\notlp_endpoint = "{collector[0]}/v1/traces"\n'
                         "export_interval_ms = 200\n")

    layout = Layout(default_sandbox_ports=False, api_port=0, workers=2,
                    database_url=postgres_url, poll_every=2)
    received = collector[1]
    with start(tmp_path, layout, configure) as env:
        publish_catalog(env)
        sf = salesforce(env.credentials["salesforce"])
        billing = stripe_client(env.credentials["stripe"])
        opportunity = close_deal(sf, name="tracey")
        subscription = eventually(lambda: subscription_of(sf, billing, opportunity),
                                  timeout=120, what="the deal's subscription")
        invoice = finalized_first_invoice(billing, subscription)
        eventually(lambda: netsuite_invoice(env.credentials["netsuite"], invoice.id),
                   timeout=120, what="the invoice in NetSuite")
        charge = _pay(billing, invoice)
        eventually(lambda: netsuite_payment(env.credentials["netsuite"], charge),
                   timeout=120, what="the payment in NetSuite")

        def arrived() -> list[list[CollectedSpan]] | None:
            with received.lock:
                spans = list(received.spans)
            chains = [chain_of(spans, "closed_won", "billing.create_subscription",
                               "deal_id", opportunity),
                      chain_of(spans, "invoice_posting_batch", "erp.post_invoice",
                               "billing_invoice_id", invoice.id),
                      chain_of(spans, "payment_posting", "erp.post_payment",
                               "billing_invoice_id", invoice.id)]
            return chains if all(chains) else None

        deal, posted, paid = eventually(arrived, timeout=60, what="the spans at the collector")

        api_text = httpx.get(f"{env.api_url}/metrics", timeout=30).text
        database = Database(postgres_url)
        try:
            other = create_app(AccordSettings(database_url=SecretStr(postgres_url)), database)
            with TestClient(other) as client:
                other_text = client.get("/metrics").text
            api_again = httpx.get(f"{env.api_url}/metrics", timeout=30).text
            executors = {run.executor for run in runs(database)}
        finally:
            database.dispose()

    # one trace per business event, intake -> flow -> the step -> its vendor calls
    for chain, intake_system, flow, system in (
            (deal, "salesforce", "closed_won", "stripe"),
            (posted, "stripe", "invoice_posting_batch", "netsuite"),
            (paid, "stripe", "payment_posting", "netsuite")):
        intake, flow_span, step, *calls = chain
        assert intake.parent_span_id is None
        assert intake.attributes[SYSTEM] == intake_system
        assert flow_span.name == f"flow {flow}"
        assert len({span.trace_id for span in chain}) == 1
        assert str(step.attributes[SYSTEM]).startswith(system)
        assert all(call.attributes[SYSTEM] == step.attributes[SYSTEM] for call in calls)
        assert all(call.attributes.get("http.request.method", call.attributes.get(
            "http.method")) for call in calls)
    assert len({deal[0].trace_id, posted[0].trace_id, paid[0].trace_id}) == 3

    # the API and another process read the same totals from the shared database, the
    # deployment's: the workers ran its jobs, the API none
    assert executors
    assert executors <= {f"{WORKER_PREFIX}1", f"{WORKER_PREFIX}2"}
    api, again, elsewhere = _scrape(api_text), _scrape(api_again), _scrape(other_text)
    assert _business(api) == _business(elsewhere) == _business(again)
    for flow in BUSINESS_FLOWS:  # each ran (a deal's write-back echo runs it again, idle)
        # and none failed
        labels = (("flow", flow),)
        assert api[("accord_flows_finished_total", labels)] >= 1, flow
        assert api[("accord_flows_failed_total", labels)] == 0, flow
        assert api[("accord_flows_started_total", labels)] >= api[
            ("accord_flows_finished_total", labels)], flow
    assert api[("accord_invoices_not_in_erp", ())] == 0
    assert api[("accord_payments_not_in_erp", ())] == 0
