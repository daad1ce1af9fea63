"""Property values as HubSpot takes and shows them: every value travels as a string; numbers
keep their decimal digits, dates are ``YYYY-MM-DD`` (or midnight UTC in epoch milliseconds),
datetimes ISO 8601 (or epoch milliseconds), booleans ``true``/``false``, enumerations one of
the property's options."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from accord.sandboxes.hubspot.errors import Detail
from accord.sandboxes.hubspot.schema import PropertyDef, PropertyType


def iso(moment: datetime) -> str:
    """HubSpot's timestamp form: UTC with milliseconds and ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


def parse_moment(text: str) -> datetime | None:
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    try:
        found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        except ValueError:
            return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _invalid(prop: PropertyDef, value: str, code: str, why: str) -> Detail:
    return Detail(f'{value!r} was not a valid {why}.', code,
                  {"propertyName": [prop.name]})


def coerce(prop: PropertyDef, raw: Any) -> tuple[str | None, Detail | None]:
    """The stored form of ``raw`` for ``prop``, or what is wrong with it."""
    if raw is None or raw == "":
        return None, None
    if isinstance(raw, bool):
        text = "true" if raw else "false"
    elif isinstance(raw, dict | list):
        return None, _invalid(prop, str(raw), "INVALID_VALUE", "value")
    else:
        text = str(raw)
    kind = prop.type
    if kind is PropertyType.NUMBER:
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None, _invalid(prop, text, "INVALID_DECIMAL", "number")
        if not number.is_finite():
            return None, _invalid(prop, text, "INVALID_DECIMAL", "number")
        return text, None
    if kind is PropertyType.BOOL:
        if text.lower() not in ("true", "false"):
            return None, _invalid(prop, text, "INVALID_BOOLEAN", "boolean")
        return text.lower(), None
    if kind is PropertyType.ENUMERATION:
        if text not in prop.options:
            return None, Detail(f"{text!r} was not one of the allowed options: "
                                f"{list(prop.options)}", "INVALID_OPTION",
                                {"propertyName": [prop.name]})
        return text, None
    if kind is PropertyType.DATE:
        moment = parse_moment(text)
        if moment is None or (moment.hour, moment.minute, moment.second) != (0, 0, 0):
            return None, _invalid(prop, text, "INVALID_DATE",
                                  "date (midnight UTC, or YYYY-MM-DD)")
        return moment.date().isoformat(), None
    if kind is PropertyType.DATETIME:
        moment = parse_moment(text)
        if moment is None:
            return None, _invalid(prop, text, "INVALID_DATETIME", "datetime")
        return iso(moment), None
    return text, None


def comparable(prop: PropertyDef | None, value: str | None) -> Any:
    """A value in a form that orders as the property's type orders (search filters, sorts)."""
    if value is None:
        return None
    kind = prop.type if prop is not None else PropertyType.STRING
    if kind is PropertyType.NUMBER:
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    if kind in (PropertyType.DATE, PropertyType.DATETIME):
        moment = parse_moment(value)
        return moment.timestamp() if moment is not None else None
    return value.lower()


__all__ = ["coerce", "comparable", "iso", "parse_moment"]
