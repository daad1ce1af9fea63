"""Sandbox controls (state, reset, faults) and the connector's retries through injected
faults."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceGeneralError
from tests.sandboxes.contract import RECORDER

from accord.resilience import RetriesExhausted, RetryPolicy
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.salesforce import SANDBOX
from accord.sandboxes.server import RunningSandbox, start_in_thread

from .conftest import CaSession, control_url
from .helpers import client_for


def test_state_dump_and_reset(sf: Salesforce, sandbox: RunningSandbox,
                              control: requests.Session) -> None:
    sf.Account.create({"Name": "Dumped"})
    state = control.get(control_url(sandbox, "/state")).json()
    assert [record["Name"] for record in state["records"]["Account"]] == ["Dumped"]
    assert state["change_events"] == 1
    control.post(control_url(sandbox, "/reset")).raise_for_status()
    state = control.get(control_url(sandbox, "/state")).json()
    assert "Account" not in state["records"]
    assert [book["Name"] for book in state["records"]["Pricebook2"]] == ["Standard Price Book"]
    assert state["change_events"] == 0


def test_injected_errors_use_salesforce_error_bodies(sf: Salesforce, sandbox: RunningSandbox,
                                                     control: requests.Session) -> None:
    control.put(control_url(sandbox, "/faults"), json={"error_rate": 1.0, "error_status": 500}
                ).raise_for_status()
    with pytest.raises(SalesforceGeneralError) as caught:
        sf.query("SELECT Id FROM Account")
    assert caught.value.status == 500
    assert caught.value.content[0]["errorCode"] == "UNKNOWN_EXCEPTION"


def test_connector_retries_through_an_error_rate(sandbox: RunningSandbox,
                                                 control: requests.Session) -> None:
    control.put(control_url(sandbox, "/faults"),
                json={"error_rate": 0.5, "error_status": 503, "seed": 7}).raise_for_status()
    waits: list[float] = []
    client = client_for(sandbox, policy=RetryPolicy(max_attempts=10, base_delay=0.01),
                        sleep=waits.append)
    created = [client.create("Account", {"Name": f"Retry {n}"}) for n in range(10)]
    control.delete(control_url(sandbox, "/faults")).raise_for_status()
    assert waits, "the error rate should have forced at least one retry"
    assert len(list(client.query("SELECT Id FROM Account"))) == len(set(created)) == 10
    client.session.close()


def test_an_outage_exhausts_the_retry_budget(sandbox: RunningSandbox,
                                             control: requests.Session) -> None:
    now = datetime.fromisoformat(control.get(control_url(sandbox, "/clock")).json()["now"])
    control.put(control_url(sandbox, "/faults"),
                json={"outage_until": (now + timedelta(hours=1)).isoformat()}).raise_for_status()
    client = client_for(sandbox, policy=RetryPolicy(max_attempts=3, base_delay=0))
    with pytest.raises(RetriesExhausted) as caught:
        client.limits()
    assert caught.value.attempts == 3
    assert caught.value.last.status == 503
    client.session.close()


def test_state_file_keeps_records_across_restarts(tmp_path: Path) -> None:
    options = SandboxOptions(data_dir=tmp_path, state_file=tmp_path / "salesforce.db",
                             recorder=RECORDER)
    first = start_in_thread(SANDBOX, options)
    creds = first.credentials()
    session = CaSession()
    session.verify = creds["ca_cert"]
    try:
        sf = Salesforce(instance_url=creds["instance_url"], session_id=creds["session_id"],
                        version=creds["api_version"], session=session, parse_float=Decimal)
        account = sf.Account.create({"Name": "Persisted"})["id"]
        sf.Opportunity.create({"Name": "Deal", "AccountId": account, "Amount": "12.34",
                               "StageName": "Prospecting", "CloseDate": "2026-12-01"})
    finally:
        session.close()
        first.server.force_exit = True
        first.stop()
    second = start_in_thread(SANDBOX, options)
    session = CaSession()
    session.verify = creds["ca_cert"]
    try:
        sf = Salesforce(instance_url=second.credentials()["instance_url"],
                        session_id=creds["session_id"], version=creds["api_version"],
                        session=session, parse_float=Decimal)
        deal = sf.query("SELECT Amount, CloseDate, Account.Name FROM Opportunity")["records"][0]
        assert (deal["Amount"], deal["CloseDate"], deal["Account"]["Name"]) == (
            Decimal("12.34"), "2026-12-01", "Persisted")
        another = sf.Account.create({"Name": "After restart"})["id"]
        assert another != account
        assert sf.query("SELECT COUNT() FROM Pricebook2 WHERE IsStandard = true"
                        )["totalSize"] == 1
    finally:
        session.close()
        second.server.force_exit = True
        second.stop()
