"""The CRM record checks every CRM connector shares: errors name the vendor's own field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accord.connectors.records import AddressFields, RecordFields, term_end
from accord.errors import DataQualityError, Team

FIELDS = RecordFields("somecrm")
ADDRESS = AddressFields(street="Street", city="Town", region="Region", postal_code="Zip",
                        country="CountryCode")


@pytest.mark.parametrize(("start", "months", "end"), [
    (date(2026, 3, 15), 12, date(2027, 3, 14)),
    (date(2026, 1, 1), 1, date(2026, 1, 31)),
    (date(2026, 1, 31), 1, date(2026, 2, 27)),
    (date(2027, 12, 1), 1, date(2027, 12, 31)),
    (date(2028, 2, 29), 12, date(2029, 2, 27)),
])
def test_term_end_is_the_day_before_the_same_day_months_later(
        start: date, months: int, end: date) -> None:
    assert term_end(start, months) == end


def test_term_months_defaults_to_a_year_and_refuses_what_is_not_whole_months() -> None:
    assert FIELDS.term_months(None, "Term") == 12
    assert FIELDS.term_months(Decimal(24), "Term") == 24
    for bad in (Decimal(0), Decimal("1.5"), Decimal(121)):
        with pytest.raises(DataQualityError) as raised:
            FIELDS.term_months(bad, "Term")
        assert raised.value.field == "Term"
        assert raised.value.system == "somecrm"


def test_an_address_is_read_from_the_vendors_fields() -> None:
    record = {"Street": "1 Main St\nSuite 4", "Town": "Austin", "Region": "TX",
              "Zip": "78701", "CountryCode": "us"}
    address = FIELDS.address(record, ADDRESS)
    assert address is not None
    assert (address.line1, address.line2, address.city, address.region, address.postal_code,
            address.country) == ("1 Main St", "Suite 4", "Austin", "TX", "78701", "US")
    assert FIELDS.address({"Street": " ", "Town": None}, ADDRESS) is None


@pytest.mark.parametrize(("record", "field"), [
    ({"Street": "1 Main St", "Town": "Austin", "CountryCode": "USA"}, "CountryCode"),
    ({"Town": "Austin", "CountryCode": "US"}, "Street"),
    ({"Street": "1 Main St", "CountryCode": "US"}, "Town"),
])
def test_a_bad_address_names_the_vendor_field_for_master_data(
        record: dict[str, str], field: str) -> None:
    with pytest.raises(DataQualityError) as raised:
        FIELDS.address(record, ADDRESS)
    assert raised.value.field == field
    assert raised.value.owner is Team.MASTER_DATA


def test_text_date_and_canonical_id_checks() -> None:
    assert FIELDS.text({"Name": "  Acme "}, "Name") == "Acme"
    with pytest.raises(DataQualityError, match="is empty"):
        FIELDS.text({"Name": " "}, "Name")
    assert FIELDS.date({"Close": "2026-12-07T10:00:00Z"}, "Close") == date(2026, 12, 7)
    assert FIELDS.date({"Close": ""}, "Close") is None
    with pytest.raises(DataQualityError, match="is not a date"):
        FIELDS.date({"Close": "07/12/2026"}, "Close")
    assert FIELDS.canonical_id({"Id": "not-an-id"}, "Id") is None
