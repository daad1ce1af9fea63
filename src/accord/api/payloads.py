"""What a webhook body may hold, checked before anything else reads it.

Python's ``json`` accepts more than a store or a flow can take: nesting deep enough to
exhaust the recursion limit (a ``RecursionError``), integers of more than 4,300 digits (a
``ValueError``), ``NaN``/``Infinity`` and overflowing numbers (``1e999`` is a float
infinity), NUL characters and lone surrogates (which no UTF-8 column can store). Each is
refused here with the path of the field that holds it (``body.data.object.name``), so the
sender gets a 400 naming it and nothing odd reaches the inbox.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 64
"""Deeper than any vendor's event (Stripe's are under 10 levels)."""
MAX_INTEGER = 2**63 - 1
"""Integers beyond 64 bits fit no database column and no vendor's amount."""


class PayloadProblem(ValueError):
    """A body that is not a storable JSON object; the message names the field."""


def parse_payload(body: bytes, *, batch: bool = False) -> Any:
    """The body as a JSON object (``batch``: or an array of objects, as systems that send
    several events in one delivery do), or :class:`PayloadProblem` saying what is wrong and
    where."""
    if not body.strip():
        raise PayloadProblem("body: empty; expected a JSON event")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadProblem(f"body: not UTF-8 (invalid byte at offset {exc.start})") from None
    try:
        parsed: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PayloadProblem(f"body: not valid JSON ({exc.msg} at line {exc.lineno} "
                             f"column {exc.colno})") from None
    except RecursionError:
        raise PayloadProblem(f"body: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # int() refuses more than sys.get_int_max_str_digits() digits
        raise PayloadProblem("body: a number has too many digits") from None
    if batch and isinstance(parsed, list) and parsed \
            and all(isinstance(item, dict) for item in parsed):
        pass
    elif not isinstance(parsed, dict):
        raise PayloadProblem("body: expected a JSON object" + (
            " or a non-empty array of objects" if batch else ""))
    problem = value_problem(parsed)
    if problem is not None:
        raise PayloadProblem(problem)
    return parsed


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "holds a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "holds a lone surrogate (not valid Unicode)"
    return None


def value_problem(value: Any, root: str = "body") -> str | None:
    """The first field of ``value`` no store can hold faithfully, as ``path: problem``;
    walked without recursion, so a deep value cannot exhaust the stack."""
    pending: list[tuple[str, Any, int]] = [(root, value, 0)]
    while pending:
        path, item, depth = pending.pop()
        if depth > MAX_DEPTH:
            return f"{path}: nested deeper than {MAX_DEPTH} levels"
        if isinstance(item, dict):
            for key, child in item.items():
                name = str(key)
                problem = _text_problem(name)
                if problem is not None:
                    return f"{path}: a field name {problem}"
                pending.append((f"{path}.{name}", child, depth + 1))
        elif isinstance(item, list):
            pending.extend((f"{path}[{index}]", child, depth + 1)
                           for index, child in enumerate(item))
        elif isinstance(item, str):
            problem = _text_problem(item)
            if problem is not None:
                return f"{path}: {problem}"
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > MAX_INTEGER:
                return f"{path}: integer out of the 64-bit range"
        elif isinstance(item, float) and not math.isfinite(item):
            return f"{path}: {item} is not a number JSON allows (NaN, Infinity or overflow)"
    return None


__all__ = ["MAX_DEPTH", "MAX_INTEGER", "PayloadProblem", "parse_payload", "value_problem"]
