"""Values as people read them on the console: no Python repr, "-" for empty."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

import accord.api  # noqa: F401 - the console package is imported through the app
from accord.canonical.party import Address, Contact, ContactRole, TaxIdKind, TaxProfile
from accord.canonical.party import TaxRegistration as Registration
from accord.console.formatting import EMPTY, duration, human


def test_addresses_contacts_and_tax_profiles_read_as_text() -> None:
    address = Address(line1="1 Market Street", line2="Suite 200", city="San Francisco",
                      region="CA", postal_code="94105", country="US")
    assert human(address.model_dump(mode="json")) == \
        "1 Market Street, Suite 200, San Francisco CA 94105, US"
    bare = Address(line1="Unter den Linden 1", city="Berlin", country="DE")
    assert human(bare.model_dump(mode="json")) == "Unter den Linden 1, Berlin, DE"
    contacts = [Contact(name="Ada Lovelace", email="ada@example.com", role=ContactRole.BILLING,
                        phone="+44 20 7946 0000").model_dump(mode="json"),
                Contact(name="Bob", email="bob@example.com").model_dump(mode="json")]
    assert human(contacts) == ("Ada Lovelace <ada@example.com>, +44 20 7946 0000 (billing); "
                               "Bob <bob@example.com> (primary)")
    profile = TaxProfile(registrations=(Registration(country="DE", kind=TaxIdKind.VAT,
                                                     value="DE123456789"),))
    assert human(profile.model_dump(mode="json")) == "VAT DE123456789 (DE)"
    assert human(TaxProfile(exempt=True, exemption_certificate="EX-1").model_dump(
        mode="json")) == "exempt, certificate EX-1"
    assert human(TaxProfile().model_dump(mode="json")) == "no tax registration"


def test_money_dates_and_empty_values() -> None:
    assert human({"amount": "1085.00", "currency": "USD"}) == "1085.00 USD"
    assert human({"amount": Decimal("0.001"), "currency": "KWD"}) == "0.001 KWD"
    berlin = timezone(timedelta(hours=1))
    assert human(datetime(2026, 12, 7, 15, 35, 46, tzinfo=berlin)) == "2026-12-07 14:35 UTC"
    assert human("2026-12-07T14:35:46.975845+00:00") == "2026-12-07 14:35 UTC"
    assert human(date(2026, 12, 7)) == "2026-12-07"
    for empty in (None, "", [], {}, {"line2": None}):
        assert human(empty) == EMPTY
    assert (human(True), human(False), human(3)) == ("yes", "no", "3")
    assert duration(None) == EMPTY
    assert duration(5400) == "90 min"


@pytest.mark.parametrize("value", [
    {"unknown": {"nested": [1, None]}, "other": None}, [{"a": 1}, {"b": None}], ("x", None),
    {"line1": "1 Road", "line2": None, "city": "X", "region": None, "postal_code": None,
     "country": "US"}])
def test_no_value_reads_as_a_python_repr(value: object) -> None:
    shown = human(value)
    assert "{'" not in shown
    assert "[{" not in shown
    assert "None" not in shown
