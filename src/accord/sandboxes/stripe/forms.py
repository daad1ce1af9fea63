"""Stripe's form encoding of nested parameters.

stripe-python encodes ``{"items": [{"price": "p"}], "metadata": {"k": "v"}}`` as
``items[0][price]=p&metadata[k]=v`` (in the body for POST, percent-encoded in the query string
for GET). Arrays may also be sent as ``expand[]=a&expand[]=b``. :func:`parse_pairs` rebuilds the
nested structure: objects whose keys are all indices become lists.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from accord.sandboxes.stripe.errors import invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
_APPEND = "\x00append"


def split_key(key: str) -> list[str]:
    match = _KEY.match(key)
    if match is None:
        raise invalid(f"Invalid parameter name: {key}", param=key)
    return [match.group(1), *(part or _APPEND for part in _PART.findall(match.group(2)))]


def _insert(root: dict[str, Any], path: list[str], value: str, key: str) -> None:
    node: Any = root
    for index, raw in enumerate(path):
        last = index == len(path) - 1
        part = str(len(node)) if raw == _APPEND and isinstance(node, dict) else raw
        if not isinstance(node, dict):
            raise invalid(f"Invalid nesting for parameter {key}", param=key)
        if last:
            node[part] = value
        else:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise invalid(f"Invalid nesting for parameter {key}", param=key)


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {key: _listify(item) for key, item in value.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def parse_pairs(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in pairs:
        _insert(root, split_key(key), value, key)
    result = _listify(root)
    assert isinstance(result, dict)
    return result


def parse_form(raw: str) -> dict[str, Any]:
    """Parse an ``application/x-www-form-urlencoded`` body or query string."""
    return parse_pairs(parse_qsl(raw, keep_blank_values=True))
