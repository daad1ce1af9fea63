"""Reading a CRM record's fields into canonical values, for every CRM connector.

A CRM hands accord records as name -> value mappings; the checks a connector makes on them are
the same whichever vendor sent them: a required text is not blank, a date is ISO, an accord id
written back earlier still looks like one, a contract term is a whole number of months, an
address has a street, a city and an ISO country. :class:`RecordFields` makes those checks and
raises :class:`~accord.errors.DataQualityError` naming the vendor's own field, so the person
who fixes the record knows where to look. The field names stay in each connector's mapping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from accord.canonical import Address
from accord.canonical.record_keys import CANONICAL_ID
from accord.errors import DataQualityError, Team

Record = Mapping[str, Any]
TERM_MONTHS = (1, 120)
"""The contract terms accord accepts, in whole months."""


def term_end(start: date, months: int) -> date:
    """The last day of a term of ``months`` starting on ``start`` (a 12-month term from
    15 March ends on 14 March; from 31 January a month ends on 27 or 28 February)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    last_day = (first_of_next - timedelta(days=1)).day
    return date(year, month, min(start.day, last_day)) - timedelta(days=1)


@dataclass(frozen=True)
class AddressFields:
    """Where one address's parts sit in a record: the field names of one vendor."""

    street: str
    city: str
    region: str
    postal_code: str
    country: str


@dataclass(frozen=True)
class RecordFields:
    """The field checks of one CRM (``system``), each error naming that system's field."""

    system: str

    def quality(self, field: str, reason: str,
                owner: Team = Team.REVENUE_OPERATIONS) -> DataQualityError:
        return DataQualityError(field, reason, owner=owner, system=self.system)

    def text(self, record: Record, field: str, *,
             owner: Team = Team.REVENUE_OPERATIONS) -> str:
        value = record.get(field)
        if not isinstance(value, str) or not value.strip():
            raise self.quality(field, "is empty", owner)
        return value.strip()

    def date(self, record: Record, field: str) -> date | None:
        value = record.get(field)
        if value in (None, ""):
            return None
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise self.quality(field, f"{value!r} is not a date") from None

    @staticmethod
    def canonical_id(record: Record, field: str) -> str | None:
        """The accord id written back into ``field``, when it still looks like one."""
        value = record.get(field)
        return value if isinstance(value, str) and CANONICAL_ID.match(value) else None

    def term_months(self, months: Decimal | None, field: str) -> int:
        """A contract term in whole months (12 when the record names none)."""
        term = Decimal(12) if months is None else months
        low, high = TERM_MONTHS
        if term != term.to_integral_value() or not low <= term <= high:
            raise self.quality(field, f"{term} is not a whole number of months between "
                               f"{low} and {high}")
        return int(term)

    def address(self, record: Record, fields: AddressFields) -> Address | None:
        """The address in ``fields`` of ``record``; None when every part is empty."""
        parts = {name: str(record.get(getattr(fields, name)) or "").strip()
                 for name in ("street", "city", "region", "postal_code", "country")}
        if not any(parts.values()):
            return None
        country = parts["country"].upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise self.quality(fields.country, f"{record.get(fields.country)!r} is not an "
                               "ISO 3166 two-letter country code", Team.MASTER_DATA)
        lines = parts["street"].splitlines() or [""]
        for name, value in (("street", lines[0]), ("city", parts["city"])):
            if not value:
                raise self.quality(getattr(fields, name), "is empty", Team.MASTER_DATA)
        return Address(line1=lines[0], line2="\n".join(lines[1:]) or None, city=parts["city"],
                       region=parts["region"] or None,
                       postal_code=parts["postal_code"] or None, country=country)


__all__ = ["TERM_MONTHS", "AddressFields", "Record", "RecordFields", "term_end"]
