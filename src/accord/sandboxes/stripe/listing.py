"""List objects, cursor pagination, search results and ``expand``."""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Callable, Sequence
from typing import Any

from accord.sandboxes.stripe.errors import invalid
from accord.sandboxes.stripe.ids import collection_of
from accord.sandboxes.stripe.params import Params
from accord.sandboxes.stripe.state import Store, StripeObject


def _limit(params: Params) -> int:
    limit = params.int("limit", minimum=1, maximum=100)
    return 10 if limit is None else limit


def created_filter(params: Params, key: str = "created") -> Callable[[StripeObject], bool]:
    """``created`` as an exact timestamp or ``created[gt|gte|lt|lte]``."""
    bounds = params.sub(key)
    exact = None if bounds is not None else params.int(key)
    limits: list[tuple[str, int]] = []
    if bounds is not None:
        for op in ("gt", "gte", "lt", "lte"):
            bound = bounds.int(op)
            if bound is not None:
                limits.append((op, bound))

    def check(obj: StripeObject) -> bool:
        value = int(obj.get(key) or 0)
        if exact is not None and value != exact:
            return False
        for op, bound in limits:
            if not {"gt": value > bound, "gte": value >= bound, "lt": value < bound,
                    "lte": value <= bound}[op]:
                return False
        return True

    return check


def list_object(url: str, items: Sequence[StripeObject], params: Params) -> dict[str, Any]:
    """One page of ``items`` (already newest first) per ``limit``, ``starting_after``,
    ``ending_before``."""
    limit = _limit(params)
    after = params.str("starting_after")
    before = params.str("ending_before")
    ids = [item["id"] for item in items]
    if after is not None:
        if after not in ids:
            raise invalid(f"No such object: '{after}'", param="starting_after",
                          code="resource_missing")
        start = ids.index(after) + 1
        page = list(items[start:start + limit])
        has_more = start + limit < len(items)
    elif before is not None:
        if before not in ids:
            raise invalid(f"No such object: '{before}'", param="ending_before",
                          code="resource_missing")
        end = ids.index(before)
        start = max(0, end - limit)
        page = list(items[start:end])
        has_more = start > 0
    else:
        page = list(items[:limit])
        has_more = len(items) > limit
    return {"object": "list", "data": page, "has_more": has_more, "url": url}


# -- search ------------------------------------------------------------------------------------
_CLAUSE = re.compile(
    r"""\s*(?P<negate>-)?(?P<field>[a-z_]+(?:\[['"][^'"]+['"]\])?)\s*(?P<op>:|>=|<=|>|<)\s*"""
    r"""(?:(?P<quoted>['"])(?P<text>.*?)(?P=quoted)|(?P<number>-?\d+))\s*""")


def _search_value(obj: StripeObject, field: str) -> Any:
    if field.startswith("metadata["):
        key = field[len("metadata["):-1].strip("'\"")
        return (obj.get("metadata") or {}).get(key)
    value = obj.get(field)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def search_matches(query: str) -> Callable[[StripeObject], bool]:
    """A subset of Stripe's search language: clauses joined by AND, ``field:'value'``,
    ``metadata['key']:'value'``, ``-field:'value'`` and numeric ``field>N``."""
    clauses: list[tuple[str, str, Any]] = []
    for part in re.split(r"\s+AND\s+", query.strip()):
        match = _CLAUSE.fullmatch(part)
        if match is None:
            raise invalid(f"Invalid search query: {query}", param="query")
        op = "-:" if match.group("negate") else match.group("op")
        value: Any = match.group("text") if match.group("quoted") else int(match.group("number"))
        clauses.append((match.group("field"), op, value))
    if not clauses:
        raise invalid("Search query is empty", param="query")

    def matches(obj: StripeObject) -> bool:
        for field, op, value in clauses:
            actual = _search_value(obj, field)
            if op == ":" and str(actual) != str(value) and not (
                    isinstance(actual, str) and isinstance(value, str)
                    and actual.lower() == value.lower()):
                return False
            if op == "-:" and str(actual) == str(value):
                return False
            if op in (">", ">=", "<", "<="):
                if not isinstance(actual, int) or not isinstance(value, int):
                    return False
                if not {">": actual > value, ">=": actual >= value, "<": actual < value,
                        "<=": actual <= value}[op]:
                    return False
        return True

    return matches


def search_object(url: str, items: Sequence[StripeObject], params: Params) -> dict[str, Any]:
    limit = _limit(params)
    page_token = params.str("page")
    start = 0
    if page_token is not None:
        try:
            start = int(base64.urlsafe_b64decode(page_token.encode()).decode())
        except ValueError:
            raise invalid("Invalid page token", param="page") from None
    page = list(items[start:start + limit])
    has_more = start + limit < len(items)
    next_page = (base64.urlsafe_b64encode(str(start + limit).encode()).decode()
                 if has_more else None)
    return {"object": "search_result", "data": page, "has_more": has_more,
            "next_page": next_page, "url": url}


# -- expand ------------------------------------------------------------------------------------
def _expand_path(store: Store, value: Any, path: list[str]) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(value, list):
        return [_expand_path(store, item, path) for item in value]
    if not isinstance(value, dict):
        return value
    if head not in value:
        raise invalid(f"This property cannot be expanded ({head}).", param="expand")
    child = value[head]
    if isinstance(child, str):
        collection = collection_of(child)
        found = store.find(collection, child) if collection else None
        if found is not None:
            # a deleted object expands to its deletion marker, as on Stripe
            child = ({"id": found["id"], "object": found["object"], "deleted": True}
                     if found.get("deleted") else copy.deepcopy(found))
    elif isinstance(child, list):
        expanded = []
        for item in child:
            collection = collection_of(item) if isinstance(item, str) else None
            found = store.find(collection, item) if collection else None
            expanded.append(copy.deepcopy(found) if found is not None else item)
        child = expanded
    value[head] = _expand_path(store, child, rest)
    return value


def expand(store: Store, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """A copy of ``obj`` with each dotted path's ids replaced by the objects (at most four
    levels, as Stripe allows)."""
    result = copy.deepcopy(obj)
    for path in paths:
        parts = path.split(".")
        if len(parts) > 4:
            raise invalid("You cannot expand more than 4 levels of a property.",
                          param="expand")
        result = _expand_path(store, result, parts)
    return result
