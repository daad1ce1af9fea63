"""``/metrics`` after real flows: a good deal and a refused one won in the CRM sandbox and
run through the flows. Flow, step, vendor-call, inbox, exception and business figures come
from the database, so they agree with what the flows wrote and with ``/v1/kpis``."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from accord import bootstrap
from accord.api.app import create_app
from accord.api.kpis import report
from accord.flows.closed_won import FLOW as CLOSED_WON
from accord.observability.catalog import METRICS, Kind, M
from accord.settings import AccordSettings
from accord.store import Database
from tests.flows.vendors import Vendors

from .support import win

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(database: Database) -> Samples:
    app = create_app(AccordSettings(database_url=SecretStr(str(database.engine.url))),
                     database)
    with TestClient(app) as client:
        answer = client.get("/metrics")
    assert answer.status_code == 200
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.text)
            for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_metrics_after_real_flows(traced_engine: tuple[bootstrap.Service, Vendors]) -> None:
    service, found = traced_engine
    database = service.runtime.database
    won = win(service, found, bad=1)
    assert len(won.results) == 1
    assert len(won.failures) == 1

    samples = scrape(database)
    names = {name for name, _labels in samples}
    for metric in METRICS:  # every unlabelled gauge has a value (no reconciliation ran)
        if metric.kind is Kind.GAUGE and not metric.labels and metric.name != str(
                M.RECON_LAST_RUN):
            assert metric.name in names, metric.name

    assert value(samples, "accord_flows_started_total", flow=CLOSED_WON) == 2
    assert value(samples, "accord_flows_finished_total", flow=CLOSED_WON) == 1
    assert value(samples, "accord_flows_failed_total", flow=CLOSED_WON) == 1
    for system in ("salesforce", "stripe", "netsuite"):
        assert (value(samples, "accord_vendor_calls_total", system=system) or 0) > 0
        assert value(samples, "accord_vendor_throttles_total", system=system) == 0
        counts = [v for (name, labels), v in samples.items()
                  if name == "accord_step_duration_seconds_count"
                  and ("system", system) in labels]
        assert counts
        assert all(count > 0 for count in counts)
    infinite = {labels: v for (name, labels), v in samples.items()
                if name == "accord_step_duration_seconds_bucket" and ("le", "+Inf") in labels}
    counted = {labels: v for (name, labels), v in samples.items()
               if name == "accord_step_duration_seconds_count"}
    assert {tuple(p for p in k if p[0] != "le"): v for k, v in infinite.items()} == counted

    assert value(samples, "accord_inbox_backlog") == 0
    assert value(samples, "accord_exceptions_open", owner="master_data", age="under_1h") == 1

    # the business figures are /v1/kpis's, over the same records
    with database.session() as session:
        kpis = report(session, database.engine).business
    assert kpis.orders_pending_activation.count == 1  # the refused deal
    assert value(samples, "accord_orders_pending_activation") == 1
    assert value(samples, "accord_invoices_not_in_erp") == kpis.invoices_not_posted.count
    assert value(samples, "accord_payments_not_in_erp") == kpis.payments_not_posted.count
