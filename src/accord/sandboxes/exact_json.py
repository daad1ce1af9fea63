"""Exact JSON for the sandboxes whose vendors carry amounts as JSON numbers: ``Decimal`` both
ways, never float. ``loads`` parses every non-integer number as ``Decimal``; ``dumps`` writes
a ``Decimal`` as the plain number it holds (and dates as ISO strings)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any) -> str:
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        out.append(json.dumps(value))
    elif isinstance(value, Decimal):
        out.append(format(value, "f") if value.is_finite() else "null")
    elif isinstance(value, datetime | date):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


__all__ = ["dumps", "loads"]
