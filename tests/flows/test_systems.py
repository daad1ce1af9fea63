"""Systems from settings: one NetSuite client per ERP instance the routing table names,
each reading its own settings table / environment prefix."""

from __future__ import annotations

import pytest

from accord.flows.systems import from_settings


def test_from_settings_builds_a_client_per_erp_instance(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.setenv("ACCORD_STRIPE_API_KEY", "sk_test_settings")
    monkeypatch.setenv("ACCORD_SALESFORCE_SESSION_ID", "00Dsettings")
    monkeypatch.setenv("ACCORD_NETSUITE_ACCOUNT_ID", "1234567")
    monkeypatch.setenv("ACCORD_NETSUITE_BASE_URL", "http://127.0.0.1:9/us")
    monkeypatch.setenv("ACCORD_NETSUITE_EU_ACCOUNT_ID", "7654321_SB1")
    monkeypatch.setenv("ACCORD_NETSUITE_EU_BASE_URL", "http://127.0.0.1:9/eu")
    found = from_settings()
    try:
        assert sorted(found.netsuite) == ["netsuite", "netsuite-eu"]
        assert found.netsuite["netsuite"].client.settings.account_id == "1234567"
        assert found.netsuite["netsuite-eu"].client.settings.account_id == "7654321_SB1"
        assert found.erp_instance("DE01") == "netsuite-eu"
        assert found.erp("US01") is found.netsuite["netsuite"]
        assert "sk_test_settings" not in repr(found.stripe)
    finally:
        found.close()
