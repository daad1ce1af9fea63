"""NetSuite's description of the record types the sandbox serves, and a judge.

``record_fields.json`` holds, per record type, the body fields and sublist fields with the
types NetSuite's record metadata gives them (regenerated from an account's metadata catalog by
``scripts/netsuite_record_fields.py``). NetSuite's record service leaves out fields that have
no value, so a record must carry ``links`` and ``id``; every other field it carries must be one
NetSuite documents for the type, in the documented form:

* ``string``, ``number``, ``integer``, ``boolean``; ``date`` (``2026-01-31``) and
  ``date-time`` (``2026-01-31T12:00:00Z``);
* ``ref``: a reference to a record, ``{"links", "id", "refName"}``;
* ``select``: a list value, ``{"id", "refName"}``;
* a sublist: ``{"links"}``, or with ``expandSubResources`` a collection whose lines carry
  ``links``, ``line`` and the sublist's fields.

``DEPARTURES`` lists the fields the sandbox sends as text where NetSuite sends a list value or
a reference: accord's NetSuite connector reads and writes them as text, so they change
together with the connector. The judge holds the sandbox to text there, and the contract test
fails if a departure is no longer observed (so the list cannot go stale).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

FACTS = Path(__file__).with_name("record_fields.json")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
COLLECTION_KEYS = frozenset({"links", "count", "hasMore", "items", "offset", "totalResults"})

_TRANSACTIONS = ("invoice", "creditMemo", "customerPayment", "salesOrder")
DEPARTURES: dict[tuple[str, str], str] = {
    ("customer", "creditHoldOverride"): "select: the connector reads 'ON' and writes text",
    ("customer", "defaultTaxReg"): "select: the connector writes the registration number",
    ("customer.taxRegistration", "nexusCountry"): "select: the connector reads the code",
    ("customer.addressBook", "country"): "select: the connector reads the country code",
    **{(f"{kind}.taxDetails", name): "ref: the connector reads and writes the code"
       for kind in ("invoice", "creditMemo", "salesOrder") for name in ("taxCode", "taxType")},
    **{(f"{kind}.item", "taxCode"): "ref: the connector's tax lines carry the code"
       for kind in ("invoice", "creditMemo", "salesOrder")},
    ("customerPayment", "paymentMethod"): "ref: the connector reads the method name",
    ("customerRefund", "paymentMethod"): "ref: the connector writes the method name",
    **{(kind, "status"): "select: the sandbox's own tests and connector tests read the label"
       for kind in _TRANSACTIONS},
}
"""(record type[.sublist], field) -> NetSuite's form and why the sandbox sends text."""


@cache
def records() -> dict[str, dict[str, Any]]:
    """Record type -> {"fields": {name: type}, "sublists": {name: {field: type}}}."""
    data: dict[str, dict[str, Any]] = json.loads(FACTS.read_text())["records"]
    return data


@dataclass(frozen=True)
class Violation:
    kind: str
    path: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.path}: {self.detail}"


@dataclass
class Judge:
    violations: list[Violation] = field(default_factory=list)
    valued: dict[str, set[str]] = field(default_factory=dict)
    """'customer' or 'invoice.item' -> fields seen with a value."""
    departures_seen: set[tuple[str, str]] = field(default_factory=set)

    def record(self, body: Any, record_type: str, path: str) -> None:
        described = records().get(record_type)
        if described is None:
            self._add("undocumented", path, f"no record type {record_type!r}")
            return
        if not isinstance(body, dict):
            self._add("mistyped", path, "expected a record")
            return
        for name in ("links", "id"):
            if name not in body:
                self._add("missing", f"{path}.{name}", f"{record_type} always has {name!r}")
        for key, value in body.items():
            where = f"{path}.{key}"
            if key == "links":
                self.links(value, where)
            elif key in ("id", "externalId"):
                self.value(value, "string", where)
            elif key in described["fields"]:
                self.field(record_type, key, described["fields"][key], value, where)
            elif key in described["sublists"]:
                self.sublist(record_type, key, value, where)
            else:
                self._add("undocumented", where, f"{record_type} has no field {key!r}")

    def sublist(self, record_type: str, name: str, value: Any, path: str) -> None:
        fields = records()[record_type]["sublists"][name]
        if isinstance(value, dict) and set(value) == {"links"}:
            self.links(value["links"], f"{path}.links")
            return
        if not isinstance(value, dict) or set(value) != COLLECTION_KEYS:
            self._add("mistyped", path, f"expected a sublist, got {value!r:.80}")
            return
        self.links(value["links"], f"{path}.links")
        for index, line in enumerate(value["items"]):
            where = f"{path}.items[{index}]"
            if not isinstance(line, dict):
                self._add("mistyped", where, "expected a line")
                continue
            for key, item in line.items():
                if key == "links":
                    self.links(item, f"{where}.links")
                elif key in fields:
                    self.field(f"{record_type}.{name}", key, fields[key], item,
                               f"{where}.{key}")
                else:
                    self._add("undocumented", f"{where}.{key}",
                              f"{record_type}.{name} has no field {key!r}")

    def field(self, owner: str, name: str, kind: str, value: Any, path: str) -> None:
        if value is not None:
            self.valued.setdefault(owner, set()).add(name)
        if (owner, name) in DEPARTURES:
            self.departures_seen.add((owner, name))
            kind = "string"
        self.value(value, kind, path)

    def value(self, value: Any, kind: str, path: str) -> None:
        ok = {
            "string": lambda: isinstance(value, str),
            "number": lambda: isinstance(value, int | float) and not isinstance(value, bool),
            "integer": lambda: isinstance(value, int) and not isinstance(value, bool),
            "boolean": lambda: isinstance(value, bool),
            "date": lambda: isinstance(value, str) and bool(DATE.match(value)),
            "date-time": lambda: isinstance(value, str) and bool(DATETIME.match(value)),
            "ref": lambda: isinstance(value, dict) and isinstance(value.get("id"), str)
            and set(value) <= {"links", "id", "refName", "externalId"}
            and isinstance(value.get("refName", ""), str),
            "select": lambda: isinstance(value, dict) and set(value) == {"id", "refName"}
            and all(isinstance(v, str) for v in value.values()),
        }[kind]()
        if not ok:
            self._add("mistyped", path, f"expected {kind}, got {value!r:.80}")
        elif kind == "ref" and "links" in value:
            self.links(value["links"], f"{path}.links")

    def links(self, value: Any, path: str) -> None:
        if not isinstance(value, list) or not all(
                isinstance(link, dict) and set(link) == {"rel", "href"} for link in value):
            self._add("mistyped", path, f"expected links, got {value!r:.80}")

    def page(self, body: Any, path: str) -> None:
        """A page of a record list: ``items`` are ``{links, id}``."""
        if not isinstance(body, dict) or set(body) != COLLECTION_KEYS:
            self._add("mistyped", path, "expected a collection page")
            return
        self.links(body["links"], f"{path}.links")
        for index, item in enumerate(body["items"]):
            if not isinstance(item, dict) or set(item) != {"links", "id"}:
                self._add("mistyped", f"{path}.items[{index}]", f"got {item!r:.80}")

    def error(self, body: Any, path: str) -> None:
        if not isinstance(body, dict) or not {"type", "title", "status",
                                              "o:errorDetails"} <= set(body):
            self._add("mistyped", path, "expected NetSuite's error body")
            return
        for index, detail in enumerate(body["o:errorDetails"]):
            if not isinstance(detail, dict) or not {"detail", "o:errorCode"} <= set(detail) \
                    or not set(detail) <= {"detail", "o:errorCode", "o:errorPath",
                                           "o:errorHeader", "o:errorQueryParam"}:
                self._add("mistyped", f"{path}.o:errorDetails[{index}]", f"got {detail!r:.80}")

    def _add(self, kind: str, path: str, detail: str) -> None:
        self.violations.append(Violation(kind, path, detail))


__all__ = ["DEPARTURES", "Judge", "Violation", "records"]
