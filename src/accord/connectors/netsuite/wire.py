"""Exact JSON for NetSuite bodies: ``Decimal`` amounts in and out, never float."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any


def dumps(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(key))}:{dumps(item)}"
                              for key, item in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    return json.dumps(value)


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


__all__ = ["dumps", "loads"]
