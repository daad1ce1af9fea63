"""``accord demo`` end to end: the JSON summary of a small month; the session's running
demo month (the README's command) with its console, and a deal closed after it."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from accord.sandboxes.netsuite.app import DEFAULT_CREDENTIALS
from accord.sandboxes.salesforce import API_VERSION, DEFAULT_SESSION_ID
from accord.sandboxes.stripe import DEFAULT_API_KEY
from tests.demo_month import DemoMonth
from tests.service.deals import (
    close_deal,
    eventually,
    finalized_first_invoice,
    netsuite_invoice,
    salesforce,
    stripe_client,
    subscription_of,
)

pytestmark = pytest.mark.default_ports  # see tests/conftest.py DEFAULT_PORTS

NETSUITE_CREDENTIALS = {"account_id": DEFAULT_CREDENTIALS.account_id,
                        "consumer_key": DEFAULT_CREDENTIALS.consumer_key,
                        "consumer_secret": DEFAULT_CREDENTIALS.consumer_secret,
                        "token_id": DEFAULT_CREDENTIALS.token_id,
                        "token_secret": DEFAULT_CREDENTIALS.token_secret}


def test_demo_json_summary_has_nothing_lost_or_doubled(tmp_path: Path) -> None:
    # its own process, as `make demo` runs it (the demo launches its own engine)
    accord = Path(sys.executable).parent / "accord"
    result = subprocess.run([str(accord), "demo", "--accounts", "12", "--seed", "2", "--json"],
                            capture_output=True, text=True, timeout=600, check=False,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert summary["lost"] == 0
    assert summary["doubled"] == 0
    assert summary["agree"] is True
    # the four planted defects: three for master data, the closed period for finance
    assert summary["exceptions"]["master_data"] == 3
    assert summary["exceptions"]["finance_operations"] >= 1
    assert any("closed" in line["reason"] for line in summary["exception_details"]
               if line["owner"] == "finance_operations")
    assert set(summary["control_totals"]) == {"stripe", "netsuite"}
    assert summary["webhooks_received"] > 0
    flows = summary["flows"]
    assert flows["closed_won"]["created"] == 10, flows  # the good deals and the closed period
    assert flows["closed_won"]["exception"] == 3
    assert flows["invoice_posting"]["exception"] == 1
    assert flows["product_master_sync"]["done"] == 1
    assert flows["invoice_posting"]["posted"] >= 8
    # reconciliation of the three systems afterwards finds only the planted records: the
    # three master-data refusals never reached billing; the closed-period invoice and its
    # payment never reached the ERP
    reconciliation = summary["reconciliation"]
    assert reconciliation["by_kind"] == {
        "missing_in_target": {"master_data": 3, "finance_operations": 2}}, reconciliation
    assert reconciliation["gl_clean"] is True


def test_keep_running_leaves_the_console_up_with_the_demo_data(demo_month: DemoMonth
                                                               ) -> None:
    """The running demo month: its API takes the printed token, the console signs in with
    it and shows the month's exceptions and customers, and a deal closed afterwards flows."""
    console, token = demo_month.console, demo_month.token
    assert console.startswith("http://127.0.0.1:")
    assert console.endswith("/console")
    assert token.startswith("acc_")
    with httpx.Client(base_url=demo_month.base, timeout=30,
                      headers={"Origin": demo_month.base}) as http:
        # the API takes the token as a bearer token
        exceptions = http.get("/v1/exceptions", headers={
            "Authorization": f"Bearer {token}"}).json()
        assert any("closed" in e["reason"] and e["owner"] == "finance_operations"
                   for e in exceptions), exceptions
        # the console: sign in with the printed token, then browse the demo's data
        signed_in = http.post("/console/login", data={"token": token})
        assert signed_in.status_code == 303
        overview = http.get("/console")
        assert overview.status_code == 200
        assert "demo (admin)" in overview.text
        queue = http.get("/console/exceptions")
        assert "BW-LEGACY-GOLD" in queue.text  # the planted unknown SKU
        assert "closed" in queue.text  # the planted posting into a closed period
        customers = http.get("/console/customers")
        assert customers.status_code == 200
        rows = re.findall(r'<tr data-id="([^"]+)">', customers.text)
        assert len(rows) >= 20  # the good deals' customers (and the closed period's)
        one = http.get(f"/console/customers/{rows[0]}")
        assert one.status_code == 200
        assert "Ids in each system" in one.text
    _a_deal_closed_afterwards_still_flows(demo_month)


def _a_deal_closed_afterwards_still_flows(month: DemoMonth) -> None:
    """A separate program closes a deal in the Salesforce sandbox after the demo's month: it
    becomes an active Stripe subscription within a minute, and its first invoice, once
    finalized, a NetSuite invoice - with no further command."""
    salesforce_creds = {"instance_url": month.sandboxes["salesforce"],
                        "session_id": DEFAULT_SESSION_ID, "api_version": API_VERSION,
                        "ca_cert": str(month.data / ".accord" / "sandboxes" / "tls" / "ca.pem")}
    sf = salesforce(salesforce_creds)
    billing = stripe_client({"api_key": DEFAULT_API_KEY,
                             "base_url": month.sandboxes["stripe"]})
    opportunity = close_deal(sf, name="after-the-demo")
    subscription = eventually(lambda: subscription_of(sf, billing, opportunity), timeout=60,
                              what="the subscription of the deal closed after the demo")
    assert subscription.status == "active"
    invoice = finalized_first_invoice(billing, subscription)
    netsuite = {**NETSUITE_CREDENTIALS, "base_url": month.sandboxes["netsuite"]}
    eventually(lambda: netsuite_invoice(netsuite, invoice.id), timeout=60,
               what="the NetSuite invoice of the deal closed after the demo")


def test_a_taken_console_port_is_named_with_the_fix(tmp_path: Path) -> None:
    accord = Path(sys.executable).parent / "accord"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(accord), "demo", "--keep-running", "--accounts", "12", "--port", str(port),
             "--free-ports"], capture_output=True, text=True, timeout=300, check=False,
            cwd=tmp_path, env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 3, result.stderr[-3000:]  # something needed is not there
    assert f"port {port} (the API and console) is already in use" in result.stderr
    assert "--port" in result.stderr
    assert "Traceback" not in result.stderr
