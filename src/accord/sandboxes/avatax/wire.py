"""Exact JSON for the AvaTax sandbox: amounts are ``Decimal`` both ways, never float.

AvaTax carries amounts and rates as JSON numbers (doubles in its schema). ``loads`` parses
every non-integer number as ``Decimal`` and ``amount`` also takes a numeric string (what a
client that keeps amounts exact sends); ``dumps`` writes a ``Decimal`` as the plain number
it holds.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.responses import Response


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


def decimal(value: Any) -> Decimal | None:
    """A JSON number or numeric string as a Decimal; None when it is neither."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, str):
        try:
            found = Decimal(value.strip())
        except InvalidOperation:
            return None
        return found if found.is_finite() else None
    return None


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


def json_response(body: Any, status: int = 200) -> Response:
    return Response(dumps(body), status_code=status,
                    media_type="application/json; charset=utf-8")


__all__ = ["decimal", "dumps", "json_response", "loads"]
