"""Exact JSON for the AvaTax sandbox: amounts are ``Decimal`` both ways, never float.

AvaTax carries amounts and rates as JSON numbers (doubles in its schema). ``loads`` parses
every non-integer number as ``Decimal`` and ``amount`` also takes a numeric string (what a
client that keeps amounts exact sends); ``dumps`` writes a ``Decimal`` as the plain number
it holds (:mod:`accord.sandboxes.exact_json`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.responses import Response

from accord.sandboxes.exact_json import dumps, loads


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


def json_response(body: Any, status: int = 200) -> Response:
    return Response(dumps(body), status_code=status,
                    media_type="application/json; charset=utf-8")


__all__ = ["decimal", "dumps", "json_response", "loads"]
