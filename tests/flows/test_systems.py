"""Systems from settings: one NetSuite client per ERP instance the routing table names,
each reading its own settings table / environment prefix; a system without credentials is
left out and says what to set."""

from __future__ import annotations

import pytest

from accord import bootstrap
from accord.canonical.roles import Role
from accord.flows.systems import SystemNotConfigured


def test_settings_build_a_client_per_erp_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_STRIPE_API_KEY", "sk_test_settings")
    monkeypatch.setenv("ACCORD_SALESFORCE_SESSION_ID", "00Dsettings")
    for prefix, account in (("ACCORD_NETSUITE_", "1234567"),
                            ("ACCORD_NETSUITE_EU_", "7654321_SB1")):
        monkeypatch.setenv(f"{prefix}ACCOUNT_ID", account)
        monkeypatch.setenv(f"{prefix}BASE_URL", f"http://127.0.0.1:9/{account}")
        for name in ("CONSUMER_KEY", "CONSUMER_SECRET", "TOKEN_ID", "TOKEN_SECRET"):
            monkeypatch.setenv(f"{prefix}{name}", f"{name.lower()}-{account}")
    deployment = bootstrap.prepare()
    found = deployment.systems
    try:
        assert found.instances(Role.ERP) == ["netsuite", "netsuite-eu"]
        assert found.instances(Role.CRM) == ["salesforce"]
        assert found.instances(Role.BILLING) == ["stripe"]
        assert found.erp("netsuite").client.settings.account_id == "1234567"  # type: ignore[attr-defined]
        assert found.erp("netsuite-eu").client.settings.account_id == "7654321_SB1"  # type: ignore[attr-defined]
        assert found.target(Role.ERP, "DE01") == "netsuite-eu"
        assert found.erp_for("US01") is found.erp("netsuite")
        assert "sk_test_settings" not in repr(found.billing("stripe").client)  # type: ignore[attr-defined]
        assert deployment.missing() == []
        names = {schedule.name for schedule in deployment.schedules}
        assert {"poll.salesforce.opportunity", "poll.salesforce.account",
                "poll.stripe.events", "poll.netsuite.customer", "poll.netsuite-eu.customer",
                "products.sync", "reconcile", "exceptions.retry", "traces.prune",
            "revenue.recognize"} == names
    finally:
        deployment.close()


def test_a_system_without_credentials_is_left_out_and_says_what_to_set() -> None:
    deployment = bootstrap.prepare()
    try:
        missing = {m.system: m.fix for m in deployment.missing()}
        assert set(missing) == {"salesforce", "stripe", "netsuite", "netsuite-eu"}
        assert "ACCORD_STRIPE_API_KEY" in missing["stripe"]
        with pytest.raises(SystemNotConfigured,
                           match=r"stripe is not configured: set its credentials in "
                                 r"\[systems.stripe\]"):
            deployment.systems.billing("stripe")
        with pytest.raises(SystemNotConfigured, match="netsuite-eu is not configured"):
            deployment.systems.erp_for("DE01")
        # no client, no poll: only the schedules that need no system remain
        assert {s.name for s in deployment.schedules} == {
            "products.sync", "reconcile", "exceptions.retry", "traces.prune",
            "revenue.recognize"}
    finally:
        deployment.close()
