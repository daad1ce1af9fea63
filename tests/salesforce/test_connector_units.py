"""Error table, mapping edge cases and the doctor probe."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from pydantic import SecretStr
from simple_salesforce.exceptions import (
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from accord.canonical import SubscriptionStatus
from accord.connectors.base import ProbeStatus
from accord.connectors.salesforce.errors import translate
from accord.connectors.salesforce.mapping import (
    account_to_customer,
    contract_subscription_status,
    opportunity_to_contract,
    subscription_status_fields,
)
from accord.connectors.salesforce.probe import probe
from accord.connectors.salesforce.settings import SalesforceSettings
from accord.connectors.salesforce.wire import dumps
from accord.errors import (
    ConflictError,
    DataQualityError,
    PermanentError,
    RateLimited,
    Team,
    TransientError,
)
from accord.sandboxes.server import RunningSandbox

from .conftest import control_url
from .helpers import client_for, settings_for


def body(code: str, message: str = "m", fields: list[str] | None = None) -> list[dict[str, object]]:
    return [{"message": message, "errorCode": code, "fields": fields or []}]


@pytest.mark.parametrize(("error", "expected", "field"), [
    (SalesforceMalformedRequest("u", 400, "Account", body("REQUIRED_FIELD_MISSING", "x",
                                                           ["Name"])), DataQualityError, "Name"),
    (SalesforceMalformedRequest("u", 400, "Opportunity",
                                body("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "x",
                                     ["StageName"])), DataQualityError, "StageName"),
    (SalesforceMalformedRequest("u", 400, "OpportunityLineItem",
                                body("FIELD_INTEGRITY_EXCEPTION", "x", ["PricebookEntryId"])),
     DataQualityError, "PricebookEntryId"),
    (SalesforceMalformedRequest("u", 400, "Account", body("DUPLICATE_VALUE")), ConflictError,
     None),
    (SalesforceRefusedRequest("u", 403, "query", body("REQUEST_LIMIT_EXCEEDED",
                                                      "TotalRequests Limit exceeded.")),
     RateLimited, None),
    (SalesforceGeneralError("u", 502, "query", "bad gateway"), TransientError, None),
    (SalesforceMalformedRequest("u", 400, "query", body("MALFORMED_QUERY")), PermanentError,
     None),
])
def test_error_table(error: Exception, expected: type, field: str | None) -> None:
    translated = translate(error)
    assert type(translated) is expected
    assert translated.system == "salesforce"
    if field is not None:
        assert isinstance(translated, DataQualityError)
        assert translated.field == field
        assert translated.owner is Team.REVENUE_OPERATIONS


def test_daily_limit_waits_longer_than_concurrency() -> None:
    daily = translate(SalesforceRefusedRequest("u", 403, "q", body(
        "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")))
    concurrent = translate(SalesforceRefusedRequest("u", 403, "q", body(
        "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.")))
    assert isinstance(daily, RateLimited)
    assert isinstance(concurrent, RateLimited)
    assert (daily.retry_after or 0) > (concurrent.retry_after or 0) > 0


def test_network_failures_are_transient() -> None:
    assert type(translate(requests.ConnectionError("reset"))) is TransientError
    assert type(translate(requests.exceptions.SSLError("bad cert"))) is PermanentError


def test_account_with_a_country_name_is_a_master_data_problem() -> None:
    with pytest.raises(DataQualityError) as caught:
        account_to_customer({"Id": "001x", "Name": "Acme", "CurrencyIsoCode": "USD",
                             "BillingStreet": "1 Main St", "BillingCity": "Springfield",
                             "BillingCountry": "United States"}, default_legal_entity="US01")
    assert caught.value.field == "BillingCountry"
    assert caught.value.owner is Team.MASTER_DATA


def test_deal_without_lines_names_the_missing_part() -> None:
    with pytest.raises(DataQualityError) as caught:
        opportunity_to_contract({"Id": "006x", "IsWon": True, "StageName": "Closed Won",
                                 "CurrencyIsoCode": "USD", "CloseDate": "2026-11-01"}, [],
                                customer_id="cus_01JD0000000000000000000000",
                                default_legal_entity="US01")
    assert caught.value.field == "OpportunityLineItem"


@pytest.mark.parametrize("status", list(SubscriptionStatus))
def test_subscription_status_round_trips(status: SubscriptionStatus) -> None:
    assert contract_subscription_status(subscription_status_fields(status)) is status


def test_bodies_carry_exact_decimals() -> None:
    assert dumps({"UnitPrice": Decimal("1200.10"), "Quantity": Decimal("0.333333333333333333")}
                 ) == '{"UnitPrice":1200.10,"Quantity":0.333333333333333333}'
    with pytest.raises(TypeError):
        dumps({"UnitPrice": 1200.1})


def test_probe_reports_usage_warns_when_unconfigured_and_fails_on_bad_session(
        sandbox: RunningSandbox, control: requests.Session,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert probe(SalesforceSettings()).status is ProbeStatus.WARNING
    good = probe(settings_for(sandbox))
    assert good.status is ProbeStatus.OK
    assert "daily API requests left" in good.detail
    bad = probe(settings_for(sandbox, session_id=SecretStr("00Dexpired")))
    assert bad.status is ProbeStatus.FAILED
    assert "00Dexpired" not in bad.detail
    missing = probe(settings_for(sandbox, ca_cert=Path("/nonexistent/ca.pem")))
    assert missing.status is ProbeStatus.FAILED
    control.put(control_url(sandbox, "/salesforce/limits"),
                json={"daily_api_requests": 100, "used": 95}).raise_for_status()
    assert probe(settings_for(sandbox)).status is ProbeStatus.WARNING
    control.put(control_url(sandbox, "/salesforce/limits"),
                json={"daily_api_requests": 100, "used": 100}).raise_for_status()
    exhausted = probe(settings_for(sandbox))
    assert exhausted.status is ProbeStatus.WARNING
    assert "TotalRequests Limit exceeded" in exhausted.detail
    # settings come from ACCORD_SALESFORCE_* like every connector's
    monkeypatch.setenv("ACCORD_SALESFORCE_SESSION_ID", "from-env")
    loaded: Callable[[], SalesforceSettings] = SalesforceSettings
    settings = loaded()
    assert settings.session_id is not None
    assert settings.session_id.get_secret_value() == "from-env"
    assert "from-env" not in repr(settings)


def test_bulk_writes_send_200_records_per_call(sandbox: RunningSandbox,
                                               control: requests.Session) -> None:
    client = client_for(sandbox)
    client.limits()
    before = client.api_usage
    results = client.create_many("Account", [{"Name": f"Bulk {n}"} for n in range(450)]
                                 + [{"Name": None}])
    client.limits()
    after = client.api_usage
    assert before is not None
    assert after is not None
    assert after[0] - before[0] == 3 + 1  # three collection calls, then the limits call
    assert [result.success for result in results].count(True) == 450
    assert isinstance(results[-1].error, DataQualityError)
    assert results[-1].error.field == "Name"
    client.session.close()
