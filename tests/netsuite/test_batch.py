"""REST batch operations: the sandbox's batch upsert and the connector's per-record results."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.netsuite import documents
from tests.netsuite.conftest import error_of

from accord.connectors.netsuite.client import BATCH_LIMIT, NetSuiteClient
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.errors import DataQualityError, Team

COLLECTION = {"Prefer": "respond-async",
              "Content-Type": "application/vnd.oracle.resource+json; type=collection"}


@pytest.fixture
def today(control: httpx.Client) -> date:
    return datetime.fromisoformat(control.get("/clock").json()["now"]).date()


def _customer_item(external_id: str, name: str) -> dict[str, Any]:
    return {"externalId": external_id, "companyName": name, "subsidiary": {"id": "1"}}


def _result(ns: httpx.Client, job_url: str) -> httpx.Response:
    tasks = ns.get(ns.get(job_url).json()["task"]["links"][0]["href"]).json()
    return ns.get(tasks["items"][0]["links"][0]["href"] + "/result")


def test_a_batch_upserts_each_record_and_reports_each_result(ns: httpx.Client) -> None:
    ns.put("/record/v1/customer/eid:c-2", json={"companyName": "Old", "subsidiary": {"id": "1"}})
    items = [_customer_item("c-1", "One"), _customer_item("c-2", "Two"),
             {"externalId": "c-3", "companyName": "No subsidiary"},
             {"companyName": "No external id", "subsidiary": {"id": "1"}}]
    accepted = ns.put("/record/v1/customer", json={"items": items}, headers=COLLECTION)
    assert accepted.status_code == 202
    result = _result(ns, accepted.headers["Location"])
    assert result.status_code == 200
    entries = result.json()["items"]
    assert [e["externalId"] for e in entries] == ["c-1", "c-2", "c-3", None]
    assert [e["status"] for e in entries] == [204, 204, 400, 400]
    assert entries[2]["o:errorDetails"][0]["o:errorPath"] == "subsidiary"
    assert entries[3]["o:errorDetails"][0]["o:errorPath"] == "items[3].externalId"
    updated = ns.get(f"/record/v1/customer/{entries[1]['id']}").json()
    assert (updated["externalId"], updated["companyName"]) == ("c-2", "Two")
    assert ns.get("/record/v1/customer").json()["totalResults"] == 2  # c-2 updated, not doubled


def test_a_batch_must_be_asynchronous_a_collection_and_at_most_100_records(
        ns: httpx.Client) -> None:
    body = {"items": [_customer_item("c-1", "One")]}
    sync = ns.put("/record/v1/customer", json=body, headers={"Content-Type": COLLECTION[
        "Content-Type"]})
    assert sync.status_code == 400
    assert error_of(sync)["o:errorPath"] == "Prefer"
    plain = ns.put("/record/v1/customer", json=body, headers={"Prefer": "respond-async"})
    assert error_of(_result(ns, plain.headers["Location"]))["o:errorPath"] == "Content-Type"
    big = {"items": [_customer_item(f"c-{n}", f"C {n}") for n in range(101)]}
    refused = ns.put("/record/v1/customer", json=big, headers=COLLECTION)
    assert refused.status_code == 202
    detail = error_of(_result(ns, refused.headers["Location"]))
    assert (detail["o:errorPath"], detail["o:errorCode"]) == ("items", "INVALID_PARAMETER")
    assert ns.get("/record/v1/customer").json()["totalResults"] == 0


def test_connector_batches_invoices_with_per_record_errors(
        poster: NetSuitePoster, client: NetSuiteClient, control: httpx.Client,
        today: date) -> None:
    customer = documents.customer()
    poster.post_customer(customer)
    good = [documents.invoice(customer.id, today, number=f"INV-{n:04d}")
            for n in range(BATCH_LIMIT + 20)]
    closed = documents.invoice(customer.id, today.replace(day=1) - timedelta(days=1),
                               number="INV-CLOSED")
    unknown = documents.invoice("cus_01J00000000000000000000000", today, number="INV-NOBODY")
    invoices = [*good[:50], closed, *good[50:], unknown]
    control.post("/netsuite/governance/reset")
    results = poster.post_invoices(invoices, idempotency_key="month-end-1")
    assert [r.external_id for r in results] == [i.id for i in invoices]
    failed = {r.external_id: r.error for r in results if not r.ok}
    assert set(failed) == {closed.id, unknown.id}
    assert isinstance(failed[closed.id], DataQualityError)
    assert (failed[closed.id].field, failed[closed.id].owner) == (
        "postingPeriod", Team.FINANCE_OPERATIONS)
    assert isinstance(failed[unknown.id], DataQualityError)
    assert failed[unknown.id].field == "entity"
    ids = [r.internal_id for r in results if r.ok]
    assert len(set(ids)) == len(good)
    # two batches of at most 100, each: submit, job status, task list, task result
    assert control.get("/netsuite/governance").json()["admitted"] == 8
    # a resent batch (same key) returns the first job's results: nothing runs twice
    again = poster.post_invoices(invoices, idempotency_key="month-end-1")
    assert [r.internal_id for r in again] == [r.internal_id for r in results]
    assert [int(r["n"]) for r in client.suiteql(
        "SELECT COUNT(*) AS n FROM transaction WHERE type = 'CustInvc'")] == [len(good)]
    assert client.get("invoice", ids[0])["externalId"] == good[0].id
