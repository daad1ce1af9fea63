"""JSON for request bodies with exact numbers: a Decimal is written as its digits, never
through a float."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def dumps(value: Any) -> str:
    if value is None or isinstance(value, bool | int | str):
        return json.dumps(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("amount: must be a finite number")
        return format(value, "f")
    if isinstance(value, datetime):
        return json.dumps(value.isoformat())
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    if isinstance(value, float):
        raise TypeError("floats are not sent to Salesforce; use Decimal")
    raise TypeError(f"cannot encode {type(value).__name__}")


__all__ = ["dumps"]
