"""Turning request JSON into stored record data, and stored data back into NetSuite JSON.

Stored form: references are internal id strings, dates ISO strings, amounts ``Decimal``,
sublists lists of line dicts. References in a request may be ``{"id": "12"}``,
``{"externalId": "cus_..."}`` or a bare id.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from accord.sandboxes.netsuite.errors import bad_ref, invalid, user_error
from accord.sandboxes.netsuite.records.catalog import ALIASES, spec_for
from accord.sandboxes.netsuite.records.fields import FieldSpec, Kind, RecordSpec, SublistSpec
from accord.sandboxes.netsuite.records.metadata import created_field
from accord.sandboxes.netsuite.state import NetSuiteStore, StoredRecord

READ_ONLY = frozenset({
    "links", "id", "lastModifiedDate", "createdDate", "dateCreated", "total", "subtotal",
    "taxTotal",
    "amountRemaining", "amountPaid", "status", "applied", "unapplied", "refName",
})
EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_\-.:]{1,300}$")


def _convert(store: NetSuiteStore, spec: FieldSpec, value: Any, path: str) -> Any:
    if value is None:
        return None
    kind = spec.kind
    if kind is Kind.REF:
        return _resolve(store, spec, value, path)
    if kind is Kind.TEXT:
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    elif kind is Kind.DECIMAL:
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            return Decimal(value)
        if isinstance(value, str):
            try:
                parsed = Decimal(value)
            except InvalidOperation:
                pass
            else:
                if parsed.is_finite():
                    return parsed
    elif kind is Kind.BOOL:
        if isinstance(value, bool):
            return value
    elif kind is Kind.INT:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind is Kind.SELECT:
        chosen = value.get("id") if isinstance(value, dict) else value
        if isinstance(chosen, str) and (not spec.choices or chosen in dict(spec.choices)):
            return chosen
    elif kind is Kind.DATE and isinstance(value, str):
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            pass
    raise invalid(f"Invalid value {value!r} for field {path}: expected {kind.value}.", path)


def _resolve(store: NetSuiteStore, spec: FieldSpec, value: Any, path: str) -> str:
    found: StoredRecord | None = None
    if isinstance(value, dict):
        if value.get("id") not in (None, ""):
            found = store.find(spec.targets, str(value["id"]))
        elif value.get("externalId") not in (None, ""):
            for target in spec.targets:
                found = store.by_external_id(target, str(value["externalId"]))
                if found is not None:
                    break
        else:
            raise bad_ref(path, value)
    elif isinstance(value, str | int) and not isinstance(value, bool):
        found = store.find(spec.targets, str(value))
    if found is None:
        shown = value.get("id") or value.get("externalId") if isinstance(value, dict) else value
        raise bad_ref(path, shown)
    return found.id


def _lines(store: NetSuiteStore, sublist: SublistSpec, value: Any, strict: bool
           ) -> list[dict[str, Any]]:
    raw = value.get("items") if isinstance(value, dict) else value
    if not isinstance(raw, list):
        raise invalid(f"Invalid value for sublist {sublist.name}: expected items.", sublist.name)
    lines: list[dict[str, Any]] = []
    for index, line in enumerate(raw):
        base = f"{sublist.name}.items[{index}]"
        if not isinstance(line, dict):
            raise invalid(f"Invalid sublist line {base}.", base)
        converted: dict[str, Any] = {"line": index + 1}
        for key, item in line.items():
            spec = sublist.field(key)
            if spec is None:
                if strict and key not in READ_ONLY and key != "line":
                    raise invalid(f"Invalid field {key} on sublist {sublist.name}.",
                                  f"{base}.{key}")
                continue
            converted[key] = _convert(store, spec, item, f"{base}.{key}")
        for spec in sublist.fields:
            if spec.name not in converted and spec.default is not None:
                converted[spec.name] = spec.default
            if spec.required and converted.get(spec.name) is None:
                raise user_error(f"Please enter value(s) for: {spec.title}",
                                 f"{base}.{spec.name}")
        lines.append(converted)
    return lines


def normalize(store: NetSuiteStore, spec: RecordSpec, body: Any,
              base: dict[str, Any] | None = None, *, strict: bool = False) -> dict[str, Any]:
    """Validate and convert a request body; merge over ``base`` (PATCH and upsert updates).

    A sublist given in the body replaces the stored one, as with NetSuite's ``replace``
    parameter. With ``strict`` (``X-NetSuite-PropertyNameValidation: error``) unknown
    fields fail instead of being ignored."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    data: dict[str, Any] = dict(base or {})
    for given, value in body.items():
        key: str = ALIASES.get((spec.name, given)) or given
        if key == "externalId":
            if value is None:
                data.pop("externalId", None)
                continue
            if not isinstance(value, str | int) or not EXTERNAL_ID.match(str(value)):
                raise invalid(f"Invalid external ID {value!r}.", "externalId")
            data["externalId"] = str(value)
            continue
        field = spec.field(key)
        if field is not None:
            data[key] = _convert(store, field, value, key)
            continue
        sublist = spec.sublist(key)
        if sublist is not None:
            data[key] = _lines(store, sublist, value, strict)
            continue
        if strict and key not in READ_ONLY:
            raise invalid(f"Invalid field name {key} for record type {spec.name}.", key)
    if base is None:
        for field in spec.fields:
            if field.name not in data and field.default is not None:
                data[field.name] = field.default
    for field in spec.fields:
        if field.required and data.get(field.name) is None:
            raise user_error(f"Please enter value(s) for: {field.title}", field.name)
    return data


# -- rendering -----------------------------------------------------------------------------
def record_href(root: str, record_type: str, internal_id: str) -> str:
    return f"{root}/services/rest/record/v1/{record_type}/{internal_id}"


def _render_ref(store: NetSuiteStore, spec: FieldSpec, value: str, root: str) -> dict[str, Any]:
    target = store.find(spec.targets, value)
    if target is None:
        return {"id": value}
    target_spec = spec_for(target.type)
    ref_name = target.data.get(target_spec.ref_field) if target_spec else None
    rendered: dict[str, Any] = {
        "links": [{"rel": "self", "href": record_href(root, target.type, value)}], "id": value}
    if ref_name is not None:
        rendered["refName"] = ref_name
    return rendered


def _render_fields(store: NetSuiteStore, fields: tuple[FieldSpec, ...], data: dict[str, Any],
                   root: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in fields:
        value = data.get(field.name)
        if value is None:
            continue
        if field.kind is Kind.REF:
            out[field.name] = _render_ref(store, field, value, root)
        elif field.kind is Kind.SELECT:
            out[field.name] = {"id": value, "refName": dict(field.choices).get(value, value)}
        else:
            out[field.name] = value
    return out


def render_sublist(store: NetSuiteStore, sublist: SublistSpec, lines: list[dict[str, Any]],
                   href: str, root: str) -> dict[str, Any]:
    items = [{"links": [], "line": line.get("line", index + 1),
              **_render_fields(store, sublist.fields, line, root)}
             for index, line in enumerate(lines)]
    return {"links": [{"rel": "self", "href": href}], "count": len(items), "hasMore": False,
            "items": items, "offset": 0, "totalResults": len(items)}


def render_record(store: NetSuiteStore, spec: RecordSpec, record: StoredRecord, root: str,
                  derived: dict[str, Any], *, expand: bool) -> dict[str, Any]:
    href = record_href(root, spec.name, record.id)
    out: dict[str, Any] = {"links": [{"rel": "self", "href": href}], "id": record.id}
    if record.external_id is not None:
        out["externalId"] = record.external_id
    out.update(_render_fields(store, spec.fields, record.data, root))
    out.update(derived)
    for sublist in spec.sublists:
        lines = record.data.get(sublist.name) or []
        sub_href = f"{href}/{sublist.name}"
        out[sublist.name] = (render_sublist(store, sublist, lines, sub_href, root) if expand
                             else {"links": [{"rel": "self", "href": sub_href}]})
    # transactions and items carry createdDate, entities dateCreated, setup records neither
    created = created_field(spec)
    if created is not None:
        out[created] = _stamp(record.created)
    out["lastModifiedDate"] = _stamp(record.modified)
    return out


def _stamp(moment: Any) -> str:
    return str(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))


__all__ = ["READ_ONLY", "normalize", "record_href", "render_record", "render_sublist"]
