"""Values as a person reads them on the console: addresses on one line, contacts by name and
e-mail, tax registrations by country, money with its currency, dates without seconds; ``-``
for anything empty. Never a Python ``repr``: a value this module does not recognise reads as
its parts (``key: value``), not as ``{'key': ...}``.

The API serves the same values as structured JSON; only the console turns them into text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

EMPTY = "-"


def duration(seconds: float | None) -> str:
    """A short human duration: ``45 s``, ``12 min``, ``3.5 h``, ``2.1 d``; ``-`` for none."""
    if seconds is None:
        return EMPTY
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | Sequence | Mapping) and not value)


def _join(parts: Sequence[Any], separator: str = ", ") -> str:
    return separator.join(str(part) for part in parts if not _blank(part))


def address(value: Mapping[str, Any]) -> str:
    """``1 Market Street, Suite 2, San Francisco CA 94105, US``."""
    place = _join([value.get("region"), value.get("postal_code")], " ")
    return _join([value.get("line1"), value.get("line2"),
                  _join([value.get("city"), place], " "), value.get("country")]) or EMPTY


def contact(value: Mapping[str, Any]) -> str:
    """``Ada Lovelace <ada@example.com>, +44 20 7946 0000 (billing)``."""
    name = str(value.get("name") or "")
    email = value.get("email")
    who = f"{name} <{email}>" if name and email else (name or str(email or ""))
    phone = value.get("phone")
    role = value.get("role")
    text = _join([who, phone])
    return f"{text} ({role})" if text and role else (text or EMPTY)


def tax_profile(value: Mapping[str, Any]) -> str:
    """``VAT DE123456789 (DE)``; ``exempt, certificate EX-1``; ``no tax registration``."""
    registrations = [
        f"{str(reg.get('kind') or '').upper()} {reg.get('value')} ({reg.get('country')})".strip()
        for reg in value.get("registrations") or () if isinstance(reg, Mapping)]
    exempt = ""
    if value.get("exempt"):
        certificate = value.get("exemption_certificate")
        exempt = f"exempt, certificate {certificate}" if certificate else "exempt"
    return _join([*registrations, exempt], "; ") or "no tax registration"


def money(value: Mapping[str, Any]) -> str:
    """``1085.00 USD``: the exact decimal (as stored, never rounded) with its currency."""
    amount = value.get("amount")
    try:
        number = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return _join([amount, value.get("currency")], " ") or EMPTY
    return _join([f"{number:f}", value.get("currency")], " ")


def moment(value: datetime | date | str) -> str:
    """A timestamp in UTC to the minute (``2026-12-07 14:35 UTC``), a date as ``2026-12-07``."""
    if isinstance(value, str):
        try:
            parsed: datetime | date = (datetime.fromisoformat(value) if "T" in value or ":" in value
                                       else date.fromisoformat(value))
        except ValueError:
            return value
        value = parsed
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.strftime("%Y-%m-%d %H:%M")
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def _looks_like(value: Mapping[str, Any], *fields: str) -> bool:
    return all(name in value for name in fields)


def human(value: Any) -> str:
    """Any golden-record or payload value as text for people (see the module docstring)."""
    if _blank(value):
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime | date):
        return moment(value)
    if isinstance(value, Mapping):
        if _looks_like(value, "line1", "country"):
            return address(value)
        if _looks_like(value, "registrations") or _looks_like(value, "exempt"):
            return tax_profile(value)
        if _looks_like(value, "amount", "currency"):
            return money(value)
        if _looks_like(value, "name", "email"):
            return contact(value)
        return _join([f"{key.replace('_', ' ')}: {human(item)}"
                      for key, item in value.items() if not _blank(item)], "; ") or EMPTY
    if isinstance(value, Sequence) and not isinstance(value, str):
        return _join([human(item) for item in value], "; ") or EMPTY
    if isinstance(value, Decimal | float | int):
        return str(value)
    text = str(value)
    if len(text) >= 16 and text[4:5] == "-" and text[10:11] == "T":  # an ISO timestamp
        return moment(text)
    return text


__all__ = ["EMPTY", "address", "contact", "duration", "human", "moment", "money",
           "tax_profile"]
