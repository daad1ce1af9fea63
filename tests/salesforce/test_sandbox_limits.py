"""API usage: the Sforce-Limit-Info header in ``sf.api_usage`` and 403 when used up."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceRefusedRequest

from accord.sandboxes.server import RunningSandbox

from .conftest import control_url


def test_api_usage_is_parsed_from_the_limit_header(sf: Salesforce) -> None:
    sf.query("SELECT Id FROM Account")
    first = sf.api_usage["api-usage"]
    sf.query("SELECT Id FROM Account")
    second = sf.api_usage["api-usage"]
    assert (first.total, second.total) == (100_000, 100_000)
    assert second.used == first.used + 1
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] == 100_000
    assert limits["DailyApiRequests"]["Remaining"] == 100_000 - sf.api_usage["api-usage"].used


def test_request_limit_exceeded_when_the_allocation_is_used(
        sf: Salesforce, sandbox: RunningSandbox, control: requests.Session) -> None:
    control.put(control_url(sandbox, "/salesforce/limits"),
                json={"daily_api_requests": 3, "used": 0}).raise_for_status()
    for _ in range(3):
        sf.query("SELECT Id FROM Account")
    assert sf.api_usage["api-usage"].used == 3
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.query("SELECT Id FROM Account")
    assert caught.value.status == 403
    assert caught.value.content == [{"message": "TotalRequests Limit exceeded.",
                                     "errorCode": "REQUEST_LIMIT_EXCEEDED", "fields": []}]
    # the allocation is a rolling 24 hours on the sandbox clock
    control.post(control_url(sandbox, "/clock/advance"), json={"seconds": 86_400}
                 ).raise_for_status()
    sf.query("SELECT Id FROM Account")
    assert sf.api_usage["api-usage"].used == 1


def test_concurrency_override_refuses_with_request_limit_exceeded(
        sf: Salesforce, sandbox: RunningSandbox, control: requests.Session) -> None:
    control.put(control_url(sandbox, "/faults"), json={"concurrency_limit": 1,
                                                        "latency_ms": 300}).raise_for_status()
    def call() -> str:
        try:
            sf.query("SELECT Id FROM Account")
        except SalesforceRefusedRequest as refused:
            return str(refused.content[0]["message"])
        return "ok"

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda _n: call(), range(4)))
    assert "ok" in outcomes
    assert "ConcurrentPerOrgLongTxn Limit exceeded." in outcomes


def limit_figures(control: requests.Session, sandbox: RunningSandbox) -> dict[str, Any]:
    answer = control.get(control_url(sandbox, "/salesforce/limits"))
    answer.raise_for_status()
    found: dict[str, Any] = answer.json()
    return found


def test_concurrent_refusals_and_peaks_are_reported(
        sf: Salesforce, sandbox: RunningSandbox, control: requests.Session) -> None:
    control.put(control_url(sandbox, "/faults"), json={"concurrency_limit": 1,
                                                        "latency_ms": 300}).raise_for_status()
    barrier = threading.Barrier(4)

    def call(_n: int) -> str:
        barrier.wait()
        try:
            sf.query("SELECT Id FROM Account")
        except SalesforceRefusedRequest:
            return "refused"
        return "ok"

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(call, range(4)))
    view = limit_figures(control, sandbox)
    assert view["concurrent_limit"] == 1
    assert view["refused"] == view["refused_concurrent"] == outcomes.count("refused") >= 1
    assert view["refused_daily"] == 0
    assert view["refused_after_first"] == view["refused"] - 1
    first, last = (datetime.fromisoformat(view[key])
                   for key in ("first_refused_at", "last_refused_at"))
    assert first <= last
    assert view["peak_admitted"] == 1
    assert view["peak_concurrency"] >= 2  # the refused ones were seen at once
    assert view["in_flight"] == 0
    assert view["used"] == outcomes.count("ok")


def test_daily_refusals_and_reset_of_the_figures(
        sf: Salesforce, sandbox: RunningSandbox, control: requests.Session) -> None:
    control.put(control_url(sandbox, "/salesforce/limits"),
                json={"daily_api_requests": 2, "used": 0}).raise_for_status()
    for _ in range(2):
        sf.query("SELECT Id FROM Account")
    for _ in range(2):
        with pytest.raises(SalesforceRefusedRequest):
            sf.query("SELECT Id FROM Account")
    view = limit_figures(control, sandbox)
    assert (view["used"], view["daily_api_requests"], view["refused"], view["refused_daily"],
            view["refused_after_first"]) == (2, 2, 2, 2, 1)
    assert view["peak_admitted"] == 1
    reset = control.post(control_url(sandbox, "/salesforce/limits/reset"))
    reset.raise_for_status()
    assert (reset.json()["refused"], reset.json()["used"], reset.json()["peak_admitted"],
            reset.json()["first_refused_at"]) == (0, 2, 0, None)
    with pytest.raises(SalesforceRefusedRequest):  # the allocation is still used up
        sf.query("SELECT Id FROM Account")
    assert limit_figures(control, sandbox)["refused_daily"] == 1
