"""The search API: filter groups (ORed) of filters (ANDed), sorts, a free-text ``query``,
200 results a page, and HubSpot's ceiling of 10,000 results reachable by paging."""

from __future__ import annotations

from typing import Any

from accord.sandboxes.hubspot.errors import Detail, validation
from accord.sandboxes.hubspot.schema import ObjectType
from accord.sandboxes.hubspot.store import Record
from accord.sandboxes.hubspot.values import comparable

PAGE_MAX = 200
CEILING = 10_000
MAX_GROUPS = 5
MAX_FILTERS = 6
OPERATORS = ("EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
             "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN")


def _matches(kind: ObjectType, record: Record, spec: dict[str, Any]) -> bool:
    name = str(spec.get("propertyName") or "")
    operator = str(spec.get("operator") or "EQ")
    prop = kind.prop(name)
    raw = record.value(name) if name != "hs_object_id" else record.id
    if operator == "HAS_PROPERTY":
        return raw is not None
    if operator == "NOT_HAS_PROPERTY":
        return raw is None
    value = comparable(prop, raw)
    if operator in ("IN", "NOT_IN"):
        options = {comparable(prop, str(v)) for v in spec.get("values") or []}
        return bool((value in options) == (operator == "IN"))
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        token = str(spec.get("value") or "").lower().strip("*")
        found = raw is not None and token in raw.lower()
        return found == (operator == "CONTAINS_TOKEN")
    wanted = comparable(prop, str(spec.get("value"))) if spec.get("value") is not None else None
    if operator == "NEQ":
        return bool(value != wanted)
    if value is None or wanted is None:
        return False
    if operator == "EQ":
        return bool(value == wanted)
    if operator == "BETWEEN":
        high = comparable(prop, str(spec.get("highValue")))
        return high is not None and bool(wanted <= value <= high)
    return bool({"LT": value < wanted, "LTE": value <= wanted, "GT": value > wanted,
                 "GTE": value >= wanted}[operator])


def check(body: dict[str, Any]) -> tuple[int, int]:
    """The request's (after, limit), or a validation error as HubSpot words it."""
    groups = body.get("filterGroups") or []
    if len(groups) > MAX_GROUPS:
        raise validation(f"Too many filter groups ({len(groups)}); the limit is {MAX_GROUPS}")
    for group in groups:
        filters = group.get("filters") or []
        if len(filters) > MAX_FILTERS:
            raise validation(f"Too many filters in a group ({len(filters)}); the limit is "
                             f"{MAX_FILTERS}")
        for spec in filters:
            if spec.get("operator", "EQ") not in OPERATORS:
                raise validation(f"Unknown operator {spec.get('operator')!r}",
                                 Detail("invalid operator", "INVALID_OPERATOR",
                                        {"operator": [str(spec.get("operator"))]}))
    limit = int(body.get("limit") or 10)
    if not 0 < limit <= PAGE_MAX:
        raise validation(f"limit: must be between 1 and {PAGE_MAX}",
                         Detail(f"limit must be at most {PAGE_MAX}", "INVALID_LIMIT",
                                {"limit": [str(limit)]}))
    after_text = str(body.get("after") or "0")
    if not after_text.isdigit():
        raise validation(f"after: {after_text!r} is not a valid paging cursor")
    after = int(after_text)
    if after + limit > CEILING:
        raise validation(f"The search API returns at most {CEILING} results: after ({after}) "
                         f"plus limit ({limit}) goes past it",
                         Detail("paging past the result ceiling", "PAGING_LIMIT_EXCEEDED",
                                {"after": [after_text]}))
    return after, limit


def run(kind: ObjectType, records: list[Record], body: dict[str, Any]) -> list[Record]:
    """Every record the request matches, in its sort order."""
    groups = body.get("filterGroups") or []
    query = str(body.get("query") or "").lower()
    found = [r for r in records if not r.archived
             and (not groups or any(all(_matches(kind, r, spec) for spec in g.get("filters") or [])
                                    for g in groups))
             and (not query or any(query in (v or "").lower() for v in r.properties.values()))]
    found.sort(key=lambda r: int(r.id))
    for sort in reversed(body.get("sorts") or []):
        if isinstance(sort, str):
            name, descending = sort.lstrip("-"), sort.startswith("-")
        else:
            name = str(sort.get("propertyName") or "hs_object_id")
            descending = str(sort.get("direction") or "ASCENDING").upper() == "DESCENDING"
        prop = kind.prop(name)
        present = [r for r in found if comparable(prop, r.value(name)) is not None]
        missing = [r for r in found if comparable(prop, r.value(name)) is None]
        present.sort(key=lambda r: comparable(prop, r.value(name)), reverse=descending)
        found = present + missing
    return found


__all__ = ["CEILING", "PAGE_MAX", "check", "run"]
