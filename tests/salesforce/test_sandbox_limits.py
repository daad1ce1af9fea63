"""API usage: the Sforce-Limit-Info header in ``sf.api_usage`` and 403 when used up."""

from __future__ import annotations

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
    from concurrent.futures import ThreadPoolExecutor

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
