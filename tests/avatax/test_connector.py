"""The AvaTax connector against its sandbox over real HTTP: the probe ``accord doctor`` and
``/readyz`` run, settings from the environment, and the error table applied to the answers
AvaTax gives (a bad license key, a conflict, an address it cannot place, an outage)."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from accord.canonical import Address, Money
from accord.canonical.tax import TaxRequest, TaxRequestLine
from accord.connectors.avatax import CONNECTOR
from accord.connectors.avatax.client import AvaTaxClient
from accord.connectors.avatax.settings import AvaTaxSettings
from accord.connectors.avatax.tax import AvaTaxTax
from accord.connectors.base import ProbeStatus
from accord.errors import DataQualityError, PermanentError, Team, TransientError
from accord.resilience import RetriesExhausted, RetryPolicy
from accord.sandboxes.server import RunningSandbox

SEATTLE = Address(line1="600 Pine St", city="Seattle", region="WA", postal_code="98101",
                  country="US")


def settings_for(sandbox: RunningSandbox, **changes: str) -> AvaTaxSettings:
    return AvaTaxSettings(**{**sandbox.credentials(), **changes})


def request(document_id: str, ship_to: Address = SEATTLE) -> TaxRequest:
    return TaxRequest(document_id=document_id, customer_id="cus_1", currency="USD",
                      date=date(2026, 12, 1), ship_from=SEATTLE, ship_to=ship_to,
                      lines=(TaxRequestLine(number="1", sku="BW-PLAT-SEAT",
                                            amount=Money.of("10.00", "USD")),))


@pytest.fixture
def tax(sandbox: RunningSandbox, control: httpx.Client) -> AvaTaxTax:
    return AvaTaxTax(AvaTaxClient(settings_for(sandbox),
                                  policy=RetryPolicy(max_attempts=2, base_delay=0),
                                  sleep=lambda _s: None))


def test_the_probe_passes_with_the_sandbox_credentials(sandbox: RunningSandbox) -> None:
    result = CONNECTOR.probe(settings_for(sandbox))
    assert result.status is ProbeStatus.OK, result
    assert "DEFAULT" in result.detail


def test_the_probe_fails_on_a_bad_license_key_and_an_unknown_company(
        sandbox: RunningSandbox) -> None:
    bad_key = CONNECTOR.probe(settings_for(sandbox, license_key="wrong"))
    assert bad_key.status is ProbeStatus.FAILED
    assert "license key" in bad_key.detail
    assert "wrong" not in bad_key.detail
    unknown = CONNECTOR.probe(settings_for(sandbox, company_code="NOPE"))
    assert unknown.status is ProbeStatus.FAILED
    assert "NOPE" in unknown.detail


def test_the_probe_asks_for_credentials_it_lacks(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ACCORD_AVATAX_ACCOUNT_ID", "ACCORD_AVATAX_LICENSE_KEY"):
        monkeypatch.delenv(name, raising=False)
    result = CONNECTOR.probe(AvaTaxSettings(_env_file=None))
    assert result.status is ProbeStatus.WARNING
    assert "ACCORD_AVATAX_LICENSE_KEY" in result.fix


def test_settings_come_from_the_environment_and_hide_the_key(
        sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = sandbox.credentials()
    monkeypatch.setenv("ACCORD_AVATAX_BASE_URL", credentials["base_url"])
    monkeypatch.setenv("ACCORD_AVATAX_ACCOUNT_ID", credentials["account_id"])
    monkeypatch.setenv("ACCORD_AVATAX_LICENSE_KEY", credentials["license_key"])
    settings = AvaTaxSettings()
    assert settings.configured
    assert credentials["license_key"] not in repr(settings)
    assert CONNECTOR.probe(settings).status is ProbeStatus.OK


def test_a_bad_license_key_is_a_permanent_error(sandbox: RunningSandbox,
                                                control: httpx.Client) -> None:
    stranger = AvaTaxTax(AvaTaxClient(settings_for(sandbox, license_key="wrong")))
    with pytest.raises(PermanentError) as raised:
        stranger.quote(request("inv_auth"))
    assert raised.value.status == 401
    assert "wrong" not in str(raised.value)


def test_an_unplaceable_address_names_the_field_for_revenue_operations(
        tax: AvaTaxTax) -> None:
    nowhere = Address(line1="1 Nowhere Rd", city="Nowhere", postal_code="99999",
                      country="US")
    with pytest.raises(DataQualityError) as raised:
        tax.record(request("inv_bad", ship_to=nowhere), commit=False)
    assert raised.value.field == "Addresses.ShipTo.PostalCode"
    assert raised.value.owner is Team.REVENUE_OPERATIONS


def test_an_outage_is_transient_and_retried(tax: AvaTaxTax, control: httpx.Client) -> None:
    control.put("/faults", json={"error_rate": 1.0, "error_status": 503}).raise_for_status()
    with pytest.raises(RetriesExhausted) as raised:
        tax.quote(request("inv_outage"))
    assert isinstance(raised.value.last, TransientError)
    assert raised.value.attempts == 2
    control.delete("/faults").raise_for_status()
    assert tax.quote(request("inv_outage")).tax_total.amount > 0


def test_the_sandbox_is_declared_with_its_connector() -> None:
    assert CONNECTOR.sandbox == "avatax"
    assert CONNECTOR.kind.value == "tax"
    assert CONNECTOR.adapter is not None
