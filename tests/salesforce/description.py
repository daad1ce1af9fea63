"""Salesforce's description of the standard objects the sandbox emulates, and a judge.

``standard_fields.json`` holds, per object, every standard field with its describe type, as
Salesforce's Object Reference documents them (regenerated from an org's describe by
``scripts/salesforce_standard_fields.py``). Custom fields (``__c``) are the org's own
configuration: their types come from the org's describe.

Salesforce's REST API sends a record with every field (``null`` when empty) unless the request
names the fields it wants (``?fields=``, SOQL). The judge checks each answer for:

* missing: a documented field absent from a whole record (or from ``describe``);
* mistyped: a value that is not the documented type's JSON form;
* undocumented: a field that is neither a documented standard field nor a described custom
  field, or a relationship that no reference field names.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

FACTS = Path(__file__).with_name("standard_fields.json")
ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
ADDRESS_KEYS = frozenset({"city", "country", "geocodeAccuracy", "latitude", "longitude",
                          "postalCode", "state", "street"})
TEXT = frozenset({"string", "textarea", "picklist", "phone", "url", "email",
                  "multipicklist", "combobox", "encryptedstring"})
NUMBER = frozenset({"currency", "double", "percent"})


@cache
def standard_fields() -> dict[str, dict[str, str]]:
    """Object -> standard field -> describe type."""
    objects: dict[str, dict[str, str]] = json.loads(FACTS.read_text())["objects"]
    return objects


def relationship_name(field_name: str) -> str | None:
    """A standard reference field's relationship (``AccountId`` -> ``Account``)."""
    return field_name[:-2] if field_name.endswith("Id") and field_name != "Id" else None


@dataclass(frozen=True)
class Violation:
    kind: str
    path: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.path}: {self.detail}"


@dataclass
class Judge:
    custom: dict[str, dict[str, str]]
    """Object -> custom field -> type, from the org's describe."""
    violations: list[Violation] = field(default_factory=list)
    valued: dict[str, set[str]] = field(default_factory=dict)
    seen: dict[str, set[str]] = field(default_factory=dict)

    def fields_of(self, obj: str) -> dict[str, str]:
        return {**standard_fields().get(obj, {}), **self.custom.get(obj, {})}

    def record(self, value: Any, path: str, *, whole: bool) -> None:
        """One record (``attributes`` + fields); ``whole`` when every field must be there."""
        if not isinstance(value, dict) or not isinstance(value.get("attributes"), dict):
            self._add("mistyped", path, "expected a record with attributes")
            return
        obj = str(value["attributes"].get("type"))
        if obj not in standard_fields():
            self._add("undocumented", path, f"no emulated standard object {obj!r}")
            return
        documented = self.fields_of(obj)
        relationships = {relationship_name(name): name for name, kind in documented.items()
                         if kind == "reference" and relationship_name(name)}
        relationships |= {name[:-3] + "__r": name for name, kind in documented.items()
                          if kind == "reference" and name.endswith("__c")}
        for key, item in value.items():
            where = f"{path}.{key}"
            if key == "attributes":
                continue
            if key in documented:
                self.seen.setdefault(obj, set()).add(key)
                if item is not None:
                    self.valued.setdefault(obj, set()).add(key)
                self.value(item, documented[key], where)
            elif key in relationships:
                if item is not None:
                    self.relationship(item, where)
            else:
                self._add("undocumented", where, f"{obj} has no field {key!r}")
        if whole:
            for name in sorted(set(documented) - set(value)):
                self._add("missing", f"{path}.{name}", f"{obj} documents {name!r}")

    def relationship(self, item: Any, path: str) -> None:
        if isinstance(item, dict) and "records" in item:  # a child subquery
            for index, child in enumerate(item.get("records") or []):
                self.record(child, f"{path}.records[{index}]", whole=False)
        else:
            self.record(item, path, whole=False)

    def value(self, item: Any, kind: str, path: str) -> None:
        if item is None:
            if kind == "boolean":
                self._add("mistyped", path, "a checkbox is never null")
            return
        ok = True
        if kind in ("id", "reference"):
            ok = isinstance(item, str) and bool(ID.match(item))
        elif kind in TEXT:
            ok = isinstance(item, str)
        elif kind == "boolean":
            ok = isinstance(item, bool)
        elif kind in NUMBER:
            ok = isinstance(item, int | float) and not isinstance(item, bool)
        elif kind == "int":
            ok = isinstance(item, int) and not isinstance(item, bool)
        elif kind == "date":
            ok = isinstance(item, str) and bool(DATE.match(item))
        elif kind == "datetime":
            ok = isinstance(item, str) and bool(DATETIME.match(item))
        elif kind == "address":
            ok = isinstance(item, dict) and set(item) == ADDRESS_KEYS
        else:
            raise ValueError(f"{path}: no rule for type {kind!r}")
        if not ok:
            self._add("mistyped", path, f"expected {kind}, got {item!r}")

    def describe(self, body: Any, path: str) -> None:
        """``GET sobjects/{Type}/describe``: every standard field, with its type."""
        name = body.get("name") if isinstance(body, dict) else None
        documented = standard_fields().get(str(name))
        if documented is None:
            self._add("undocumented", path, f"no emulated standard object {name!r}")
            return
        described = {f["name"]: f["type"] for f in body.get("fields", [])}
        for field_name, kind in sorted(described.items()):
            if field_name.endswith("__c"):
                continue
            if field_name not in documented:
                self._add("undocumented", f"{path}.{field_name}",
                          f"{name} has no standard field {field_name!r}")
            elif documented[field_name] != kind:
                self._add("mistyped", f"{path}.{field_name}",
                          f"described as {kind}, documented as {documented[field_name]}")
        for field_name in sorted(set(documented) - set(described)):
            self._add("missing", f"{path}.{field_name}", f"{name} documents {field_name!r}")

    def errors(self, body: Any, path: str) -> None:
        for index, error in enumerate(body):
            if not isinstance(error, dict) or not {"message", "errorCode"} <= set(error) or \
                    not set(error) <= {"message", "errorCode", "fields"}:
                self._add("mistyped", f"{path}[{index}]", f"not Salesforce's error: {error!r}")

    def _add(self, kind: str, path: str, detail: str) -> None:
        self.violations.append(Violation(kind, path, detail))


__all__ = ["Judge", "Violation", "relationship_name", "standard_fields"]
