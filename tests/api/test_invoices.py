"""``GET /v1/invoices/{number}`` against the Stripe, Salesforce and two NetSuite sandboxes:
billing state, which ERP instance holds the invoice (or that none does), the CRM's view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import Api, serve_api
from hubspot.crm.objects import SimplePublicObjectInputForCreate
from pydantic import SecretStr
from tests.netsuite import documents

import stripe
from accord.api.tokens import Access
from accord.canonical.ids import EntityType
from accord.connectors.hubspot.settings import HubSpotSettings
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.settings import SalesforceSettings
from accord.connectors.stripe import StripeSettings
from accord.registry import Xrefs
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.hubspot import SANDBOX as HUBSPOT
from accord.sandboxes.netsuite import SANDBOX as NETSUITE
from accord.sandboxes.salesforce import SANDBOX as SALESFORCE
from accord.sandboxes.server import RunningSandbox, start_in_thread
from accord.sandboxes.stripe import SANDBOX as STRIPE
from hubspot import HubSpot


@pytest.fixture
def sandboxes(tmp_path: Path) -> Iterator[dict[str, RunningSandbox]]:
    running = {
        "stripe": start_in_thread(STRIPE, SandboxOptions(data_dir=tmp_path / "stripe",
                                                         settings={"rate_limit": 0})),
        "netsuite": start_in_thread(NETSUITE, SandboxOptions(data_dir=tmp_path / "ns-us")),
        "netsuite-eu": start_in_thread(NETSUITE, SandboxOptions(data_dir=tmp_path / "ns-eu")),
        "salesforce": start_in_thread(SALESFORCE, SandboxOptions(data_dir=tmp_path / "sf")),
    }
    yield running
    running["salesforce"].server.force_exit = True
    for sandbox in running.values():
        sandbox.stop()


def netsuite_settings(sandbox: RunningSandbox) -> NetSuiteSettings:
    creds = sandbox.credentials()
    return NetSuiteSettings(base_url=sandbox.base_url, account_id=creds["account_id"],
                            consumer_key=creds["consumer_key"],
                            consumer_secret=SecretStr(creds["consumer_secret"]),
                            token_id=creds["token_id"],
                            token_secret=SecretStr(creds["token_secret"]))


def salesforce_settings(sandbox: RunningSandbox, session_id: str | None = None
                        ) -> SalesforceSettings:
    creds = sandbox.credentials()
    return SalesforceSettings(instance_url=creds["instance_url"],
                              session_id=SecretStr(session_id or creds["session_id"]),
                              ca_cert=Path(creds["ca_cert"]), api_version=creds["api_version"])


def settings_for(sandboxes: dict[str, RunningSandbox]) -> dict[str, Any]:
    return {"stripe": StripeSettings(base_url=sandboxes["stripe"].base_url,
                                     api_key=SecretStr(sandboxes["stripe"].credentials()
                                                       ["api_key"])),
            "netsuite": netsuite_settings(sandboxes["netsuite"]),
            "netsuite-eu": netsuite_settings(sandboxes["netsuite-eu"]),
            "salesforce": salesforce_settings(sandboxes["salesforce"])}


def sandbox_day(sandbox: RunningSandbox) -> date:
    now = httpx.get(f"{sandbox.base_url}/__sandbox/clock").json()["now"]
    return datetime.fromisoformat(now).date()


def finalized_invoice(client: stripe.StripeClient, customer: str, cents: int) -> Any:
    invoice = client.v1.invoices.create(params={"customer": customer, "currency": "usd"})
    client.v1.invoice_items.create(params={"customer": customer, "invoice": invoice.id,
                                           "amount": cents, "currency": "usd",
                                           "description": "Platform subscription"})
    return client.v1.invoices.finalize_invoice(invoice.id)


@pytest.fixture
def wired(database_url: str, sandboxes: dict[str, RunningSandbox]) -> Iterator[Api]:
    with serve_api(database_url, system_settings=settings_for(sandboxes)) as api:
        yield api


def test_invoice_status_across_billing_erp_instances_and_crm(
        wired: Api, sandboxes: dict[str, RunningSandbox]) -> None:
    stripe_box = sandboxes["stripe"]
    client = stripe.StripeClient(stripe_box.credentials()["api_key"],
                                 base_addresses={"api": stripe_box.base_url},
                                 max_network_retries=0)
    stripe_customer = client.v1.customers.create(params={"name": "Acme Inc"})
    posted = finalized_invoice(client, stripe_customer.id, 108500)
    unposted = finalized_invoice(client, stripe_customer.id, 5000)
    assert posted.number
    assert unposted.number
    assert posted.number != unposted.number

    customer = documents.customer()
    canonical = documents.invoice(customer.id, sandbox_day(sandboxes["netsuite-eu"]),
                                  number=posted.number)
    unposted_id = documents.invoice(customer.id, sandbox_day(sandboxes["netsuite"]),
                                    number=unposted.number).id
    poster = NetSuitePoster.from_settings(netsuite_settings(sandboxes["netsuite-eu"]))
    try:
        poster.post_customer(customer)
        eu_internal_id = poster.post_invoice(canonical)
    finally:
        poster.client.close()
    account = SalesforceClient(salesforce_settings(sandboxes["salesforce"])).create(
        "Account", {"Name": "Acme Inc", "Billing_Status__c": "Past Due"})
    with wired.db.session() as session:
        xrefs = Xrefs(session)
        xrefs.link(customer.id, EntityType.CUSTOMER, "stripe", stripe_customer.id)
        xrefs.link(customer.id, EntityType.CUSTOMER, "salesforce", account)
        xrefs.link(canonical.id, EntityType.INVOICE, "stripe", posted.id)
        xrefs.link(unposted_id, EntityType.INVOICE, "stripe", unposted.id)

    with wired.client(Access.VIEWER) as http:
        answer = http.get(f"/v1/invoices/{posted.number}")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["canonical_id"] == canonical.id
        assert body["customer_canonical_id"] == customer.id
        billing = body["billing"]
        assert (billing["lookup"], billing["invoice_id"], billing["status"],
                billing["currency"], billing["total"], billing["amount_remaining"]) == (
            "found", posted.id, "open", "USD", "1085.00", "1085.00")
        erp = body["erp"]
        assert (erp["lookup"], erp["posted"], erp["instance"], erp["internal_id"],
                erp["document_number"], erp["status"], erp["total"]) == (
            "found", True, "netsuite-eu", eu_internal_id, posted.number, "Open", "1085.00")
        assert erp["instances_asked"] == ["netsuite", "netsuite-eu"]
        crm = body["crm"]
        assert (crm["lookup"], crm["account_id"], crm["account_billing_status"]) == (
            "found", account, "Past Due")

        other = http.get(f"/v1/invoices/{unposted.number}").json()
        assert other["canonical_id"] == unposted_id
        assert (other["billing"]["total"], other["erp"]["lookup"], other["erp"]["posted"],
                other["erp"]["instance"]) == ("50.00", "not_found", False, None)
        assert other["erp"]["instances_asked"] == ["netsuite", "netsuite-eu"]

        missing = http.get("/v1/invoices/NOPE-0001")
        assert missing.status_code == 404
        assert missing.json()["detail"] == "number: no system knows invoice 'NOPE-0001'"
        assert http.get("/v1/invoices/bad'quote").status_code == 422

    # a subscription's invoice: the CRM side is the contract and its subscription status
    product = client.v1.products.create(params={"name": "Platform seat"})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd",
                                            "unit_amount": 2500,
                                            "recurring": {"interval": "month"}})
    subscription = client.v1.subscriptions.create(params={
        "customer": stripe_customer.id, "items": [{"price": price.id}],
        "collection_method": "send_invoice", "days_until_due": 30})
    first = client.v1.invoices.list(params={"subscription": subscription.id}).data[0]
    contract = SalesforceClient(salesforce_settings(sandboxes["salesforce"])).create(
        "Contract", {"AccountId": account, "Status": "Draft",
                     "Subscription_Status__c": "Active"})
    with wired.db.session() as session:
        xrefs = Xrefs(session)
        xrefs.link("sub_aaaaaaaaaaaaaaaaaaaaaaaaaa", EntityType.SUBSCRIPTION, "stripe",
                   subscription.id)
        xrefs.link("sub_aaaaaaaaaaaaaaaaaaaaaaaaaa", EntityType.SUBSCRIPTION, "salesforce",
                   contract)
    with wired.client(Access.VIEWER) as http:
        renewal = http.get(f"/v1/invoices/{first.number}").json()
    assert renewal["billing"]["subscription_id"] == subscription.id
    assert (renewal["crm"]["lookup"], renewal["crm"]["account_id"],
            renewal["crm"]["contract_id"], renewal["crm"]["subscription_status"]) == (
        "found", account, contract, "Active")
    assert renewal["canonical_id"] is None
    assert (renewal["erp"]["lookup"], renewal["erp"]["posted"]) == ("not_found", False)

    # posted to the US instance outside accord (another external id): found by its number
    elsewhere = documents.invoice(customer.id, sandbox_day(sandboxes["netsuite"]),
                                  number=first.number, amount="25.00", tax="0.00")
    poster = NetSuitePoster.from_settings(netsuite_settings(sandboxes["netsuite"]))
    try:
        poster.post_customer(customer)
        us_internal_id = poster.post_invoice(elsewhere)
    finally:
        poster.client.close()
    # a system changed: ask again rather than read the short-lived answer kept before
    wired.app.state.vendor_reads.invoices.clear()
    with wired.client(Access.VIEWER) as http:
        found = http.get(f"/v1/invoices/{first.number}").json()["erp"]
    assert (found["posted"], found["instance"], found["internal_id"],
            found["document_number"], found["total"]) == (
        True, "netsuite", us_internal_id, first.number, "25.00")

    wired.app.state.system_settings["salesforce"] = salesforce_settings(
        sandboxes["salesforce"], session_id="00D000000000001!expired")
    # a system changed: ask again rather than read the short-lived answer kept before
    wired.app.state.vendor_reads.invoices.clear()
    with wired.client(Access.VIEWER) as http:
        degraded = http.get(f"/v1/invoices/{posted.number}").json()
    assert degraded["crm"]["lookup"] == "unavailable"
    assert degraded["crm"]["detail"] == "PermanentError: [salesforce] Session expired or invalid"
    assert "00D000000000001!expired" not in str(degraded)
    assert degraded["billing"]["lookup"] == "found"
    assert degraded["erp"]["instance"] == "netsuite-eu"
    with wired.client(None) as anonymous:
        assert anonymous.get(f"/v1/invoices/{posted.number}").status_code == 401


@pytest.fixture
def two_crms(database_url: str, sandboxes: dict[str, RunningSandbox], tmp_path: Path
             ) -> Iterator[tuple[Api, RunningSandbox]]:
    """The API over Salesforce and HubSpot side by side (HubSpot sorts first)."""
    hubspot = start_in_thread(HUBSPOT, SandboxOptions(data_dir=tmp_path / "hs"))
    creds = hubspot.credentials()
    settings = {**settings_for(sandboxes), "hubspot": HubSpotSettings(
        base_url=creds["base_url"], access_token=SecretStr(creds["access_token"]))}
    try:
        with serve_api(database_url, system_settings=settings) as api:
            yield api, hubspot
    finally:
        hubspot.stop()


def test_with_two_crms_the_crm_view_is_the_one_that_knows_the_customer(
        two_crms: tuple[Api, RunningSandbox], sandboxes: dict[str, RunningSandbox]) -> None:
    api, hubspot_box = two_crms
    stripe_box = sandboxes["stripe"]
    client = stripe.StripeClient(stripe_box.credentials()["api_key"],
                                 base_addresses={"api": stripe_box.base_url},
                                 max_network_retries=0)
    hubspot = HubSpot(access_token=hubspot_box.credentials()["access_token"],
                      host=hubspot_box.base_url)
    company = str(hubspot.crm.objects.basic_api.create("companies", (
        SimplePublicObjectInputForCreate(properties={"name": "Hubco GmbH",
                                                     "billing_status": "past_due"}))).id)
    account = SalesforceClient(salesforce_settings(sandboxes["salesforce"])).create(
        "Account", {"Name": "Acme Inc", "Billing_Status__c": "Active"})
    numbers: dict[str, str] = {}
    with api.db.session() as session:
        xrefs = Xrefs(session)
        for crm, crm_id in (("hubspot", company), ("salesforce", account)):
            customer = documents.customer()
            stripe_customer = client.v1.customers.create(params={"name": crm})
            invoice = finalized_invoice(client, stripe_customer.id, 1000)
            xrefs.link(customer.id, EntityType.CUSTOMER, "stripe", stripe_customer.id)
            xrefs.link(customer.id, EntityType.CUSTOMER, crm, crm_id)
            numbers[crm] = str(invoice.number)
    with api.client(Access.VIEWER) as http:
        views = {crm: http.get(f"/v1/invoices/{number}").json()["crm"]
                 for crm, number in numbers.items()}
    assert (views["salesforce"]["system"], views["salesforce"]["lookup"],
            views["salesforce"]["account_id"]) == ("salesforce", "found", account)
    assert (views["hubspot"]["system"], views["hubspot"]["lookup"],
            views["hubspot"]["account_id"]) == ("hubspot", "found", company)
    assert views["salesforce"]["account_billing_status"] == "Active"
    assert views["hubspot"]["account_billing_status"] == "past_due"
