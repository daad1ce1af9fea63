"""Every tax adapter (:class:`accord.ports.TaxPort`) behaves the same on its sandbox: an
estimate records nothing; a recorded document is committed, voided, adjusted and refunded
once however often it is asked; each line's tax is the sum of its jurisdictions (state and
local in the US); a business buyer with a VAT id in another EU country is reverse charged,
a consumer pays the destination rate; a customer's exemption makes its lines exempt."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accord.canonical import Address, Money
from accord.canonical.roles import Role
from accord.canonical.tax import (
    CreditKind,
    JurisdictionKind,
    TaxCredit,
    TaxDocumentStatus,
    TaxRequest,
    TaxRequestLine,
    TaxTreatment,
)
from accord.errors import DataQualityError
from tests.roles.kit import RoleSystem, untested

# the role suites share their systems and the calls they saw (tests/roles/conftest.py)
pytestmark = pytest.mark.xdist_group("roles")

ROLE = Role.TAX
DAY = date(2026, 12, 1)
AUSTIN = Address(line1="100 Congress Ave", city="Austin", region="TX", postal_code="78701",
                 country="US")
SEATTLE = Address(line1="600 Pine St", city="Seattle", region="WA", postal_code="98101",
                  country="US")
BERLIN = Address(line1="Hauptstrasse 1", city="Berlin", postal_code="10115", country="DE")
PARIS = Address(line1="1 rue de Rivoli", city="Paris", postal_code="75001", country="FR")


def request(document_id: str, *amounts: str, customer: str = "cus_role_suite",
            ship_from: Address = AUSTIN, ship_to: Address = SEATTLE, currency: str = "USD",
            tax_id: str | None = None) -> TaxRequest:
    return TaxRequest(
        document_id=document_id, customer_id=customer, currency=currency, date=DAY,
        ship_from=ship_from, ship_to=ship_to, customer_tax_id=tax_id,
        lines=tuple(TaxRequestLine(number=str(n), sku="BW-PLAT-SEAT",
                                   amount=Money.of(amount, currency), tax_code="P0000000")
                    for n, amount in enumerate(amounts or ("100.00",), start=1)))


def test_an_estimate_has_state_and_local_jurisdictions_and_records_nothing(
        system: RoleSystem) -> None:
    found = system.adapter.quote(request("inv_est_1", "100.00", "35.50"))
    assert found.status is TaxDocumentStatus.ESTIMATE
    assert system.kit.held("inv_est_1") is None
    kinds = {j.kind for line in found.lines for j in line.jurisdictions}
    assert {JurisdictionKind.STATE, JurisdictionKind.CITY} <= kinds
    for line in found.lines:
        assert line.treatment is TaxTreatment.TAXED
        assert line.tax == sum((j.amount for j in line.jurisdictions), Money.zero("USD"))
        for juris in line.jurisdictions:
            expected = (line.amount.amount * juris.rate / 100).quantize(
                Decimal("0.01"))
            assert abs(juris.amount.amount - expected) <= Decimal("0.01")
    assert found.subtotal == Money.of("135.50", "USD")
    assert sum((t.amount for t in found.tax_lines()), Money.zero("USD")) == found.tax_total


def test_a_document_is_recorded_then_committed_once(system: RoleSystem) -> None:
    recorded = system.adapter.record(request("inv_rec_1"), commit=False)
    assert recorded.status is TaxDocumentStatus.RECORDED
    held = system.kit.held("inv_rec_1")
    assert held is not None
    assert held[1] == recorded.tax_total
    again = system.adapter.record(request("inv_rec_1", "200.00"), commit=False)
    assert again.tax_total > recorded.tax_total  # recalculated while not committed
    committed = system.adapter.commit("inv_rec_1")
    assert committed.status is TaxDocumentStatus.COMMITTED
    assert system.adapter.commit("inv_rec_1") == committed
    replay = system.adapter.record(request("inv_rec_1", "200.00"), commit=True)
    assert (replay.system_ref, replay.tax_total) == (committed.system_ref,
                                                      committed.tax_total)
    read = system.adapter.read("inv_rec_1")
    assert read is not None
    assert read.status is TaxDocumentStatus.COMMITTED
    assert system.adapter.read("inv_never") is None


def test_a_document_is_voided_once(system: RoleSystem) -> None:
    system.adapter.record(request("inv_void_1"), commit=True)
    before = system.kit.held("inv_void_1")
    voided = system.adapter.void("inv_void_1")
    assert voided.status is TaxDocumentStatus.VOIDED
    assert system.adapter.void("inv_void_1").system_ref == voided.system_ref
    after = system.kit.held("inv_void_1")
    assert before is not None
    assert after is not None
    assert after[0] != before[0]  # the engine shows the document voided, not committed
    assert system.adapter.read("inv_void_1") == voided


def test_an_adjustment_replaces_the_lines_and_their_tax(system: RoleSystem) -> None:
    first = system.adapter.record(request("inv_adj_1", "100.00"), commit=True)
    adjusted = system.adapter.adjust(request("inv_adj_1", "300.00"), reason="price corrected")
    assert adjusted.version == first.version + 1
    assert adjusted.subtotal == Money.of("300.00", "USD")
    assert adjusted.tax_total > first.tax_total
    assert adjusted.status is TaxDocumentStatus.COMMITTED
    held = system.kit.held("inv_adj_1")
    assert held is not None
    assert held[1] == adjusted.tax_total


def test_a_refund_gives_back_the_tax_charged_once(system: RoleSystem) -> None:
    sale = system.adapter.record(request("inv_ref_1", "100.00", "60.00"), commit=True)
    full = system.adapter.refund(TaxCredit(document_id="inv_ref_1", credit_id="cn_ref_1",
                                           date=DAY))
    assert full.tax_total == -sale.tax_total
    assert system.adapter.refund(TaxCredit(document_id="inv_ref_1", credit_id="cn_ref_1",
                                           date=DAY)).system_ref == full.system_ref
    one_line = system.adapter.refund(TaxCredit(
        document_id="inv_ref_1", credit_id="cn_ref_2", date=DAY, kind=CreditKind.LINES,
        line_numbers=("2",)))
    assert one_line.tax_total == -sale.lines[1].tax
    held = system.kit.held("cn_ref_2")
    assert held is not None
    assert held[1] == one_line.tax_total


def test_eu_business_buyers_are_reverse_charged_consumers_pay_the_destination_rate(
        system: RoleSystem) -> None:
    business = system.adapter.quote(request("inv_eu_b2b", ship_from=BERLIN, ship_to=PARIS,
                                             currency="EUR", tax_id="FR40303265045"))
    assert business.lines[0].treatment is TaxTreatment.REVERSE_CHARGE
    assert business.tax_total == Money.zero("EUR")
    consumer = system.adapter.quote(request("inv_eu_b2c", ship_from=BERLIN, ship_to=PARIS,
                                            currency="EUR"))
    line = consumer.lines[0]
    assert line.treatment is TaxTreatment.TAXED
    assert [(j.kind, j.country) for j in line.jurisdictions] == [
        (JurisdictionKind.COUNTRY, "FR")]
    assert line.tax == Money.of(line.amount.amount * line.jurisdictions[0].rate / 100, "EUR")


def test_an_exempt_customer_pays_no_tax_there(system: RoleSystem) -> None:
    system.kit.exempt("cus_charity", "WA")
    found = system.adapter.quote(request("inv_exempt_1", customer="cus_charity"))
    assert found.lines[0].treatment is TaxTreatment.EXEMPT
    assert found.lines[0].exempt_amount == found.lines[0].amount
    assert found.tax_total == Money.zero("USD")


def test_an_address_the_engine_cannot_place_is_a_data_quality_error(
        system: RoleSystem) -> None:
    nowhere = Address(line1="1 Nowhere Rd", city="Nowhere", region="WA", postal_code="99999",
                      country="US")
    with pytest.raises(DataQualityError) as raised:
        system.adapter.quote(request("inv_bad_1", ship_to=nowhere))
    assert "PostalCode" in raised.value.field


def test_every_port_method_was_exercised(connector_name: str) -> None:
    """Runs after every other test of this module (tests/roles/conftest.py): each method of
    the port has a behavioural test above (a method added to the port needs one here)."""
    assert untested(ROLE, connector_name) == set()
