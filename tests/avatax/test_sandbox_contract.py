"""The AvaTax sandbox, driven with the official ``avalara`` client only: auth (a bad
license key), estimates that are not kept, invoices recorded then committed, void, adjust,
refund, address resolution, per-line jurisdiction details and the summary, EU VAT reverse
charge against the destination rate, an exemption certificate, tax codes, AvaTax's error
body and an injected fault.

Expected figures are derived from the rate table the sandbox ships (``rates.toml``), not
written out, so the tests check the computation rather than echo it."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import requests
from avalara.client import AvataxClient

from accord.sandboxes.avatax.rates import load
from accord.sandboxes.server import RunningSandbox
from tests.avatax.conftest import client_for

TABLE = load()
SEATTLE = {"line1": "600 Pine St", "city": "Seattle", "region": "WA", "postalCode": "98101",
           "country": "US"}
AUSTIN = {"line1": "100 Congress Ave", "city": "Austin", "region": "TX",
          "postalCode": "78701", "country": "US"}
MIAMI = {"line1": "100 Biscayne Blvd", "city": "Miami", "region": "FL", "postalCode": "33131",
         "country": "US"}
BERLIN = {"line1": "Hauptstrasse 1", "city": "Berlin", "postalCode": "10115", "country": "DE"}
PARIS = {"line1": "1 rue de Rivoli", "city": "Paris", "postalCode": "75001", "country": "FR"}


def body(response: requests.Response) -> Any:
    return json.loads(response.content, parse_float=Decimal)


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def document(code: str | None = None, *, kind: str = "SalesInvoice", ship_to: dict[str, str]
             = SEATTLE, ship_from: dict[str, str] = AUSTIN, customer: str = "CUST-1",
             lines: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    model: dict[str, Any] = {
        "type": kind, "companyCode": "DEFAULT", "date": "2026-12-01", "customerCode": customer,
        "currencyCode": "USD", "addresses": {"shipFrom": ship_from, "shipTo": ship_to},
        "lines": lines or [{"number": "1", "amount": "100.00", "taxCode": "P0000000",
                            "itemCode": "BW-PLAT"}], **extra}
    if code:
        model["code"] = code
    return model


def seattle_rates() -> list[tuple[str, Decimal]]:
    place = TABLE.place("98101")
    state = TABLE.state("WA")
    assert place is not None
    assert state is not None
    return [("STA", state.rate), ("CTY", place.county.rate),
            ("CIT", place.city_jurisdiction.rate),
            *(("STJ", special.rate) for special in place.specials)]


def error_of(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    found: dict[str, Any] = body(response)["error"]
    assert found["code"]
    assert found["message"]
    assert found["target"]
    assert found["details"][0]["code"] == found["code"]
    return found


def test_a_bad_license_key_gets_401_with_avataxs_error_body(sandbox: RunningSandbox,
                                                             avatax: AvataxClient) -> None:
    stranger = client_for(sandbox, license_key="not-the-key")
    error = error_of(stranger.create_transaction(document("INV-AUTH")), 401)
    assert error["code"] == "AuthenticationException"
    assert error["details"][0]["faultCode"] == "Client"
    ping = body(stranger.ping())
    assert ping["authenticated"] is False
    assert body(avatax.ping())["authenticated"] is True
    assert avatax.get_transaction_by_code("DEFAULT", "INV-AUTH").status_code == 404


def test_every_answer_carries_a_correlation_id_and_the_client_header_was_sent(
        avatax: AvataxClient, control: httpx.Client) -> None:
    answer = avatax.list_tax_codes()
    assert answer.headers["X-Correlation-Id"]
    clients = control.get("/avatax/clients").json()
    assert clients
    assert "Python SDK" in clients[-1]
    assert "26.10.0" in clients[-1]


def test_an_estimate_is_calculated_and_not_kept(avatax: AvataxClient) -> None:
    answer = avatax.create_transaction(document("EST-1", kind="SalesOrder"))
    assert answer.status_code == 201
    estimate = body(answer)
    assert estimate["status"] == "Temporary"
    assert estimate["id"] == 0
    expected = sum((cents(Decimal("100.00") * rate) for _, rate in seattle_rates()),
                   Decimal(0))
    assert estimate["totalTax"] == expected
    missing = error_of(avatax.get_transaction_by_code("DEFAULT", "EST-1"), 404)
    assert missing["code"] == "EntityNotFoundError"


def test_an_invoice_is_saved_then_committed(avatax: AvataxClient) -> None:
    saved = body(avatax.create_transaction(document("INV-1")))
    assert saved["status"] == "Saved"
    assert body(avatax.get_transaction_by_code("DEFAULT", "INV-1"))["status"] == "Saved"
    committed = body(avatax.commit_transaction("DEFAULT", "INV-1", {"commit": True}))
    assert committed["status"] == "Committed"
    assert committed["totalTax"] == saved["totalTax"]
    again = error_of(avatax.create_transaction(document("INV-1")), 400)
    assert again["code"] == "DocumentCodeConflict"
    assert again["details"][0]["refersTo"] == "code"
    direct = body(avatax.create_transaction(document("INV-2", commit=True)))
    assert direct["status"] == "Committed"


def test_each_line_has_state_county_city_and_special_details_and_a_summary(
        avatax: AvataxClient) -> None:
    lines = [{"number": "1", "amount": "100.00", "taxCode": "P0000000"},
             {"number": "2", "amount": "33.33", "taxCode": "P0000000"}]
    found = body(avatax.create_transaction(document("INV-DETAILS", lines=lines)))
    rates = seattle_rates()
    for line in found["lines"]:
        kinds = [(d["jurisType"], d["rate"]) for d in line["details"]]
        assert kinds == rates
        assert {d["jurisdictionType"] for d in line["details"]} == {
            "State", "County", "City", "Special"}
        for detail in line["details"]:
            assert detail["tax"] == cents(line["lineAmount"] * detail["rate"])
            assert detail["taxableAmount"] == line["lineAmount"]
        assert line["tax"] == sum(d["tax"] for d in line["details"])
    assert found["totalTax"] == sum(line["tax"] for line in found["lines"])
    by_code = {(s["jurisType"], s["jurisCode"]): s for s in found["summary"]}
    assert len(by_code) == len(rates)
    for summary in found["summary"]:
        taxes = [d["tax"] for line in found["lines"] for d in line["details"]
                 if (d["jurisType"], d["jurisCode"]) == (summary["jurisType"],
                                                         summary["jurisCode"])]
        assert summary["tax"] == sum(taxes)
        assert summary["taxable"] == Decimal("133.33")
    only = body(avatax.get_transaction_by_code("DEFAULT", "INV-DETAILS",
                                               {"$include": "SummaryOnly"}))
    assert "lines" not in only
    assert only["summary"]


def test_no_nexus_and_an_untaxed_product_are_not_taxable(avatax: AvataxClient) -> None:
    florida = body(avatax.create_transaction(document("INV-FL", ship_to=MIAMI)))
    state = TABLE.state("FL")
    assert state is not None
    assert not state.nexus
    assert florida["totalTax"] == 0
    assert florida["lines"][0]["details"][0]["nonTaxableType"] == "NexusRule"
    saas = TABLE.tax_code("SW054000")
    assert saas is not None
    assert "CA" in saas.exempt_regions
    california = body(avatax.create_transaction(document(
        "INV-CA", ship_to={"line1": "100 Mission St", "postalCode": "94105", "country": "US"},
        lines=[{"number": "1", "amount": "80.00", "taxCode": "SW054000"}])))
    assert california["totalTax"] == 0
    assert california["lines"][0]["details"][0]["nonTaxableAmount"] == Decimal("80.00")


def test_void_cancels_and_a_second_void_is_refused(avatax: AvataxClient) -> None:
    avatax.create_transaction(document("INV-VOID", commit=True))
    voided = body(avatax.void_transaction("DEFAULT", "INV-VOID", {"code": "DocVoided"}))
    assert voided["status"] == "Cancelled"
    twice = error_of(avatax.void_transaction("DEFAULT", "INV-VOID", {"code": "DocVoided"}),
                     400)
    assert twice["code"] == "InvalidDocumentStatusForVoid"
    wrong = error_of(avatax.void_transaction("DEFAULT", "INV-VOID", {"code": "Nope"}), 400)
    assert wrong["details"][0]["refersTo"] == "code"


def test_adjust_makes_a_new_version_and_keeps_the_old_one(avatax: AvataxClient) -> None:
    first = body(avatax.create_transaction(document("INV-ADJ", commit=True)))
    changed = document(lines=[{"number": "1", "amount": "250.00", "taxCode": "P0000000"}],
                       commit=True)
    adjusted = body(avatax.adjust_transaction("DEFAULT", "INV-ADJ", {
        "adjustmentReason": "PriceAdjusted", "adjustmentDescription": "price corrected",
        "newTransaction": changed}))
    assert adjusted["version"] == first["version"] + 1
    assert adjusted["adjustmentReason"] == "PriceAdjusted"
    assert adjusted["totalAmount"] == Decimal("250.00")
    assert adjusted["totalTax"] == sum((cents(Decimal("250.00") * r)
                                        for _, r in seattle_rates()), Decimal(0))
    old = body(avatax.get_transaction_by_id(first["id"]))
    assert old["status"] == "Adjusted"
    assert body(avatax.get_transaction_by_code("DEFAULT", "INV-ADJ"))["id"] == adjusted["id"]
    missing = error_of(avatax.adjust_transaction("DEFAULT", "INV-ADJ", {
        "adjustmentReason": "Other", "newTransaction": changed}), 400)
    assert missing["details"][0]["refersTo"] == "adjustmentDescription"


def test_refunds_give_back_exactly_the_tax_charged(avatax: AvataxClient) -> None:
    lines = [{"number": "1", "amount": "100.00"}, {"number": "2", "amount": "40.00"}]
    sale = body(avatax.create_transaction(document("INV-REF", lines=lines, commit=True)))
    full = body(avatax.refund_transaction("DEFAULT", "INV-REF", {
        "refundTransactionCode": "INV-REF-R1", "refundDate": "2026-12-10",
        "refundType": "Full"}))
    assert full["type"] == "ReturnInvoice"
    assert full["totalTax"] == -sale["totalTax"]
    assert full["totalAmount"] == -sale["totalAmount"]
    partial = body(avatax.refund_transaction("DEFAULT", "INV-REF", {
        "refundTransactionCode": "INV-REF-R2", "refundDate": "2026-12-10",
        "refundType": "Partial", "refundLines": ["2"]}))
    assert [line["lineNumber"] for line in partial["lines"]] == ["2"]
    assert partial["totalTax"] == -sale["lines"][1]["tax"]
    share = body(avatax.refund_transaction("DEFAULT", "INV-REF", {
        "refundTransactionCode": "INV-REF-R3", "refundDate": "2026-12-10",
        "refundType": "Percentage", "refundPercentage": 50}))
    for line in share["lines"]:
        assert line["tax"] == sum(d["tax"] for d in line["details"])
    assert share["totalTax"] == -sum(cents(d["tax"] / 2) for line in sale["lines"]
                                     for d in line["details"])
    no_date = error_of(avatax.refund_transaction("DEFAULT", "INV-REF", {"refundType": "Full"}),
                       400)
    assert no_date["details"][0]["refersTo"] == "refundDate"


def test_address_resolution_and_a_bad_address_names_the_field(avatax: AvataxClient) -> None:
    good = body(avatax.resolve_address({"line1": "600 Pine St", "postalCode": "98101",
                                        "country": "US"}))
    place = TABLE.place("98101")
    assert place is not None
    assert good["validatedAddresses"][0]["city"] == place.city
    assert good["coordinates"] == {"latitude": place.latitude, "longitude": place.longitude}
    assert good["resolutionQuality"] == "Rooftop"
    assert {a["jurisdictionType"] for a in good["taxAuthorities"]} == {
        "State", "County", "City", "Special"}
    posted = body(avatax.resolve_address_post({"line1": "1 Nowhere", "postalCode": "99999",
                                               "country": "US"}))
    assert posted["resolutionQuality"] == "NotCoded"
    assert posted["messages"][0]["refersTo"] == "Address.PostalCode"
    mismatch = body(avatax.resolve_address({"postalCode": "98101", "region": "CA"}))
    assert mismatch["messages"][0]["refersTo"] == "Address.Region"
    empty = error_of(avatax.resolve_address_post({"city": "Seattle"}), 400)
    assert empty["code"] == "InvalidAddress"
    bad = error_of(avatax.create_transaction(document(
        "INV-BAD", ship_to={"line1": "1 Nowhere", "postalCode": "99999", "country": "US"})),
        400)
    assert bad["details"][0]["refersTo"] == "Addresses.ShipTo.PostalCode"


def test_eu_vat_reverse_charge_for_a_business_and_destination_rate_for_a_consumer(
        avatax: AvataxClient) -> None:
    lines = [{"number": "1", "amount": "100.00", "taxCode": "SW054000"}]
    business = body(avatax.create_transaction(document(
        "EU-B2B", ship_from=BERLIN, ship_to=PARIS, lines=lines, currencyCode="EUR",
        businessIdentificationNo="FR40303265045")))
    line = business["lines"][0]
    assert line["vatCode"] == "RC"
    assert business["totalTax"] == 0
    assert line["details"][0]["jurisType"] == "CNT"
    assert line["details"][0]["taxableAmount"] == Decimal("100.00")
    consumer = body(avatax.create_transaction(document(
        "EU-B2C", ship_from=BERLIN, ship_to=PARIS, lines=lines, currencyCode="EUR")))
    france = TABLE.vat_of("FR")
    assert france is not None
    assert consumer["lines"][0]["vatCode"] == "STD"
    assert consumer["totalTax"] == cents(Decimal("100.00") * france.rate)
    assert consumer["summary"][0]["jurisName"] == france.name
    domestic = body(avatax.create_transaction(document(
        "EU-DOM", ship_from=BERLIN, ship_to=BERLIN, lines=lines, currencyCode="EUR",
        businessIdentificationNo="DE811569869")))
    germany = TABLE.vat_of("DE")
    assert germany is not None
    assert domestic["totalTax"] == cents(Decimal("100.00") * germany.rate)
    foreign = error_of(avatax.create_transaction(document(
        "EU-BAD", ship_from=BERLIN, ship_to=PARIS, lines=lines, currencyCode="EUR",
        businessIdentificationNo="DE811569869")), 400)
    assert foreign["details"][0]["refersTo"] == "businessIdentificationNo"


def test_an_exemption_certificate_makes_the_customers_lines_exempt(
        avatax: AvataxClient) -> None:
    company = body(avatax.query_companies({"$filter": "companyCode eq 'DEFAULT'"}))
    company_id = company["value"][0]["id"]
    created = avatax.create_customers(company_id, [{"customerCode": "CHARITY", "name":
                                                    "Seattle Food Bank"}])
    assert created.status_code == 201
    certificates = body(avatax.create_certificates(company_id, [{
        "signedDate": "2026-01-01", "expirationDate": "2027-12-31",
        "exemptionNumber": "EX-99", "exemptionReason": {"name": "CHARITABLE/EXEMPT ORG"},
        "exposureZone": {"name": "Washington"}}]))
    certificate_id = certificates[0]["id"]
    linked = body(avatax.link_certificates_to_customer(company_id, "CHARITY", {
        "certificates": [certificate_id]}))
    assert linked["value"][0]["customers"][0]["customerCode"] == "CHARITY"
    listed = body(avatax.list_certificates_for_customer(company_id, "CHARITY"))
    assert [c["id"] for c in listed["value"]] == [certificate_id]
    exempt = body(avatax.create_transaction(document("INV-EXEMPT", customer="CHARITY")))
    line = exempt["lines"][0]
    assert exempt["totalTax"] == 0
    assert line["exemptAmount"] == Decimal("100.00")
    assert line["exemptCertId"] == certificate_id
    assert all(d["exemptAmount"] == Decimal("100.00") for d in line["details"])
    outside = body(avatax.create_transaction(document("INV-TX", customer="CHARITY",
                                                      ship_to=AUSTIN)))
    assert outside["totalTax"] > 0  # the certificate covers Washington only
    zone = error_of(avatax.create_certificates(company_id, [{
        "signedDate": "2026-01-01", "expirationDate": "2027-12-31",
        "exemptionReason": {"name": "RESALE"}, "exposureZone": {"name": "Atlantis"}}]), 400)
    assert zone["details"][0]["refersTo"] == "[0].exposureZone.name"


def test_tax_codes_are_listed_and_filtered(avatax: AvataxClient) -> None:
    listed = body(avatax.list_tax_codes())
    assert {c["taxCode"] for c in listed["value"]} == {c.code for c in TABLE.tax_codes}
    assert listed["@recordsetCount"] == len(TABLE.tax_codes)
    one = body(avatax.list_tax_codes({"$filter": "taxCode eq 'SW054000'"}))
    assert [c["taxCode"] for c in one["value"]] == ["SW054000"]
    unknown = error_of(avatax.create_transaction(document(
        "INV-CODE", lines=[{"number": "1", "amount": "1.00", "taxCode": "ZZ"}])), 400)
    assert unknown["details"][0]["refersTo"] == "lines[0].taxCode"


def test_a_field_missing_or_wrong_is_named(avatax: AvataxClient) -> None:
    no_customer = error_of(avatax.create_transaction(document("X", customer="")), 400)
    assert no_customer["code"] == "ValueRequiredError"
    assert no_customer["details"][0]["refersTo"] == "customerCode"
    no_amount = error_of(avatax.create_transaction(document("X", lines=[{"number": "1"}])),
                         400)
    assert no_amount["details"][0]["refersTo"] == "lines[0].amount"
    too_precise = error_of(avatax.create_transaction(document(
        "X", lines=[{"number": "1", "amount": "1.005"}])), 400)
    assert too_precise["details"][0]["refersTo"] == "lines[0].amount"


def test_an_injected_fault_is_rendered_in_avataxs_error_body(avatax: AvataxClient,
                                                             control: httpx.Client) -> None:
    control.put("/faults", json={"error_rate": 1.0, "error_status": 503}).raise_for_status()
    failed = avatax.create_transaction(document("INV-FAULT"))
    error = error_of(failed, 503)
    assert error["details"][0]["faultCode"] == "Server"
    assert failed.headers["X-Correlation-Id"]
    control.delete("/faults").raise_for_status()
    assert avatax.create_transaction(document("INV-FAULT")).status_code == 201
