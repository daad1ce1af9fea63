"""The systems list and the on-demand probe, against the Stripe sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from api_support import serve_api
from pydantic import SecretStr
from tests.steps import write_step

from accord.api.tokens import Access
from accord.connectors.stripe import StripeSettings
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.server import RunningSandbox, start_in_thread
from accord.sandboxes.stripe import SANDBOX


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    running = start_in_thread(SANDBOX, SandboxOptions(data_dir=tmp_path,
                                                      settings={"rate_limit": 0}))
    yield running
    running.stop()


def test_systems_listed_with_limits_use_and_probe(sqlite_url: str,
                                                  sandbox: RunningSandbox) -> None:
    key = sandbox.credentials()["api_key"]
    settings = {"stripe": StripeSettings(base_url=sandbox.base_url, api_key=SecretStr(key),
                                         webhook_secret=SecretStr("whsec_probe")),
                "stripe-eu": StripeSettings(base_url=sandbox.base_url,
                                            api_key=SecretStr("sk_live_not_a_key"))}
    with serve_api(sqlite_url, system_settings=settings) as api:
        for minutes in (5, 90):
            write_step(api.db, "c", "salesforce.read_account", system="salesforce",
                       at=datetime.now(UTC) - timedelta(minutes=minutes))
        with api.client(Access.VIEWER) as client:
            rows = {row["system"]: row for row in client.get("/v1/systems").json()}
        with api.client(Access.OPERATOR) as client:  # a probe calls the vendor: operators
            good = client.post("/v1/systems/stripe/probe").json()
            bad = client.post("/v1/systems/stripe-eu/probe").json()
            unknown = client.post("/v1/systems/acme-crm/probe")
            malformed = client.post("/v1/systems/Not%20A%20Name/probe")
    # every connector available to the process (toy ones other tests register aside)
    assert sorted(name for name in rows if not name.startswith("toy")) == [
        "avatax", "hubspot", "metering", "netsuite", "salesforce", "stripe", "stripe-eu"]
    assert (rows["stripe"]["kind"], rows["stripe"]["takes_webhooks"]) == ("billing", True)
    assert (rows["salesforce"]["takes_webhooks"], rows["salesforce"]["daily_limit"],
            rows["salesforce"]["calls_last_hour"], rows["salesforce"]["calls_last_24h"]) == (
        False, 100_000, 1, 2)
    assert rows["stripe-eu"]["connector"] == "stripe"
    assert good["status"] == "ok"
    assert bad["status"] == "failed"
    assert "sk_live_not_a_key" not in str(bad)
    assert key not in str(good)
    assert unknown.status_code == 404
    assert malformed.status_code == 422
