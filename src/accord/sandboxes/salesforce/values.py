"""Wire values: JSON with exact decimals, and Salesforce's date and datetime formats."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


def format_datetime(value: datetime) -> str:
    """``2026-11-21T05:30:00.123+0000`` (Salesforce's REST datetime format)."""
    value = value.astimezone(UTC)
    return f"{value.strftime(DATETIME_FORMAT)}.{value.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    """Accepts ``...Z``, ``...+0000``, ``...+00:00``, with or without milliseconds."""
    cleaned = text.strip()
    if cleaned.endswith("Z"):
        cleaned = cleaned[:-1] + "+00:00"
    elif len(cleaned) > 5 and cleaned[-5] in "+-" and cleaned[-3] != ":":
        cleaned = f"{cleaned[:-2]}:{cleaned[-2:]}"
    parsed = datetime.fromisoformat(cleaned)
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return parsed.astimezone(UTC)


def truncate_ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _decimal_text(value: Decimal) -> str:
    if value == value.to_integral_value() and abs(value) < Decimal(10) ** 15:
        return str(value.quantize(Decimal(1)))
    return format(value, "f")


def to_wire(value: Any) -> Any:
    """Python values to JSON-ready values (Decimals are kept for :func:`dumps`)."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: to_wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    return value


def dumps(value: Any) -> str:
    """JSON text in which a Decimal is written as an exact number literal."""
    if value is None or isinstance(value, bool | int | str):
        return json.dumps(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, float):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    return dumps(to_wire(value))


def loads(body: bytes) -> Any:
    """Parse a request body; numbers with a fraction become Decimals, never floats."""
    return json.loads(body, parse_float=Decimal)


__all__ = ["dumps", "format_datetime", "loads", "parse_datetime", "to_wire", "truncate_ms"]
