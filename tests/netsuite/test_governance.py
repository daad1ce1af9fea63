"""Concurrency governance and asynchronous requests, from the sandbox's side and the
connector's: the connector never exceeds the account limit, even in a burst."""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.netsuite import documents
from tests.netsuite.conftest import Sleeps, error_of
from tests.netsuite.file_gate import post_burst
from tests.netsuite.signing import authlib_auth

from accord.canonical import Customer
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.resilience.limits import LocalGate
from accord.sandboxes.server import RunningSandbox


def test_requests_beyond_the_limit_get_429(sandbox: RunningSandbox, creds: dict[str, str],
                                           control: httpx.Client) -> None:
    control.put("/faults", json={"latency_ms": 300}).raise_for_status()
    url = f"{sandbox.base_url}/services/rest/record/v1/subsidiary/1"

    def call(_: int) -> httpx.Response:
        return httpx.get(url, auth=authlib_auth(creds), timeout=30)

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(call, range(12)))
    refused = [a for a in answers if a.status_code == 429]
    assert len(refused) >= 1
    assert {a.status_code for a in answers} == {200, 429}
    assert error_of(refused[0])["o:errorCode"] == "CONCURRENCY_LIMIT_EXCEEDED"
    assert refused[0].json()["title"] == "Too Many Requests"
    view = control.get("/netsuite/governance").json()
    assert view["limit"] == 5
    assert view["rejected"] == len(refused)
    assert view["peak_admitted"] <= 5
    assert view["peak"] > 5


def test_the_concurrency_limit_can_be_overridden(sandbox: RunningSandbox,
                                                 creds: dict[str, str],
                                                 control: httpx.Client) -> None:
    control.put("/faults", json={"concurrency_limit": 2, "latency_ms": 300}).raise_for_status()
    url = f"{sandbox.base_url}/services/rest/record/v1/subsidiary/1"
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: httpx.get(url, auth=authlib_auth(creds), timeout=30),
                                range(6)))
    assert sum(a.status_code == 200 for a in answers) >= 2
    assert sum(a.status_code == 429 for a in answers) >= 1
    assert control.get("/netsuite/governance").json()["peak_admitted"] <= 2


def test_async_requests_honour_the_idempotency_key(ns: httpx.Client) -> None:
    headers = {"Prefer": "respond-async",
               "X-NetSuite-Idempotency-Key": "cac827ea-3543-4cda-add2-bae634326c27"}
    body = {"companyName": "Async Co", "subsidiary": {"id": "1"}}
    accepted = ns.post("/record/v1/customer", json=body, headers=headers)
    assert accepted.status_code == 202
    assert accepted.headers["Preference-Applied"] == "respond-async"
    job_url = accepted.headers["Location"]
    assert "/services/rest/async/v1/job/" in job_url
    job = ns.get(job_url).json()
    assert (job["completed"], job["progress"]) == (True, "succeeded")
    tasks = ns.get(job["task"]["links"][0]["href"]).json()
    result = ns.get(tasks["items"][0]["links"][0]["href"] + "/result")
    assert result.status_code == 204
    created = result.headers["Location"].rsplit("/", 1)[1]
    assert ns.get(f"/record/v1/customer/{created}").json()["companyName"] == "Async Co"
    again = ns.post("/record/v1/customer", json=body, headers=headers)
    assert again.status_code == 400
    assert again.headers["Location"] == job_url
    assert error_of(again)["o:errorCode"] == "IDEMPOTENCY_ERROR"
    assert again.json()["title"] == "Conflict"
    assert ns.get("/record/v1/customer").json()["totalResults"] == 1
    failed = ns.post("/record/v1/customer", json={"companyName": "No subsidiary"},
                     headers={"Prefer": "respond-async"})
    assert failed.status_code == 202
    assert ns.get(failed.headers["Location"]).json()["progress"] == "failed"


def _burst(poster: NetSuitePoster, customer: Customer, day: Any, count: int,
           workers: int, prefix: str) -> list[Any]:
    def post(index: int) -> Any:
        invoice = documents.invoice(customer.id, day, number=f"{prefix}-{index:05d}")
        try:
            return poster.post_invoice(invoice)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(post, range(count)))


def test_a_burst_of_1000_invoices_never_exceeds_the_limit(
        poster: NetSuitePoster, client: NetSuiteClient, control: httpx.Client,
        sleeps: Sleeps) -> None:
    day = datetime.fromisoformat(control.get("/clock").json()["now"]).date()
    customer = documents.customer()
    poster.post_customer(customer)
    control.put("/faults", json={"latency_ms": 2}).raise_for_status()
    control.post("/netsuite/governance/reset").raise_for_status()
    results = _burst(poster, customer, day, 1000, workers=24, prefix="BURST")
    failures = [r for r in results if isinstance(r, Exception)]
    assert failures == []
    assert len(set(results)) == 1000
    view = control.get("/netsuite/governance").json()
    assert view["rejected"] == 0, "a request was refused for the concurrency limit"
    assert view["peak"] <= 5
    assert view["peak"] == 5, "the burst should have used every slot"
    assert view["admitted"] == 1000
    assert sleeps.calls == []  # nothing was retried
    counted = list(client.suiteql(
        "SELECT COUNT(*) AS n FROM transaction WHERE type = 'CustInvc'"))
    assert counted == [{"n": "1000"}]


def test_clients_sharing_one_gate_stay_within_the_limit(
        settings: NetSuiteSettings, ref: Any, control: httpx.Client) -> None:
    """The engine injects one gate for every worker (in production a cross-process gate);
    two clients behind one gate together never exceed it."""
    day = datetime.fromisoformat(control.get("/clock").json()["now"]).date()
    gate = LocalGate(5)
    first = NetSuiteClient(settings, gate=gate)
    second = NetSuiteClient(settings, gate=gate)
    try:
        posters = [NetSuitePoster(first, ref), NetSuitePoster(second, ref)]
        customer = documents.customer()
        posters[0].post_customer(customer)
        control.put("/faults", json={"latency_ms": 2}).raise_for_status()
        control.post("/netsuite/governance/reset").raise_for_status()
        with ThreadPoolExecutor(max_workers=2) as pool:
            halves = list(pool.map(
                lambda pair: _burst(pair[1], customer, day, 150, workers=12,
                                    prefix=f"P{pair[0]}"), enumerate(posters)))
        assert not [r for half in halves for r in half if isinstance(r, Exception)]
        view = control.get("/netsuite/governance").json()
        assert (view["rejected"], view["admitted"]) == (0, 300)
        assert view["peak"] <= 5
    finally:
        first.close()
        second.close()


def test_processes_sharing_a_gate_stay_within_the_limit(
        settings: NetSuiteSettings, poster: NetSuitePoster, client: NetSuiteClient,
        control: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three processes of eight threads each, one cross-process gate of five slots."""
    # spawned children take the parent's sys.path; make ``tests.netsuite`` importable there
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    day = datetime.fromisoformat(control.get("/clock").json()["now"]).date()
    customer = documents.customer()
    poster.post_customer(customer)
    control.put("/faults", json={"latency_ms": 2}).raise_for_status()
    control.post("/netsuite/governance/reset").raise_for_status()
    settings_json = settings.model_dump_json(
        context=None, exclude={"consumer_secret", "token_secret"})
    secrets = {"consumer_secret": settings.consumer_secret.get_secret_value(),
               "token_secret": settings.token_secret.get_secret_value()}
    payload = json.dumps({**json.loads(settings_json), **secrets})
    context = multiprocessing.get_context("spawn")
    with context.Pool(3) as pool:
        failures = pool.starmap_async(post_burst, [
            (payload, str(tmp_path), customer.id, day.isoformat(), 60, f"PROC{index}")
            for index in range(3)]).get(timeout=120)
    assert failures == [[], [], []]
    view = control.get("/netsuite/governance").json()
    assert (view["rejected"], view["admitted"]) == (0, 180)
    assert view["peak"] <= 5
    assert [row["n"] for row in client.suiteql(
        "SELECT COUNT(*) AS n FROM transaction WHERE type = 'CustInvc'")] == ["180"]
