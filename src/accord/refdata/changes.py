"""What differs between two bundles, field by field, and which differences are material.

A change is financially material when it can move money or where it is booked: a SKU's ERP
item (and so its income account), kind, revenue category or prices; a legal entity's
currency or tax; any routing rule. Material changes need a second admin's approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from accord.refdata.bundle import RefdataBundle

MATERIAL = ("skus.skus.*.erp_item", "skus.skus.*.kind", "skus.skus.*.revenue_category",
            "skus.skus.*.prices.*", "skus.skus.*.deferred_revenue_account",
            "skus.skus.*.revenue_account", "entities.entities.*.currency",
            "entities.entities.*.tax_rate", "entities.entities.*.tax_jurisdiction",
            "routing.rules.*")
"""Dotted paths into the bundle's document (shell patterns) of the financially material
fields."""


@dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any

    @property
    def section(self) -> str:
        return self.path.split(".", 1)[0]

    @property
    def material(self) -> bool:
        return any(fnmatchcase(self.path, pattern) for pattern in MATERIAL)

    def describe(self) -> str:
        if self.old is None:
            return f"{self.path}: added {self.new!r}"
        if self.new is None:
            return f"{self.path}: removed (was {self.old!r})"
        return f"{self.path}: {self.old!r} -> {self.new!r}"


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}.{index}", out)
    else:
        out[prefix] = value


def diff(old: RefdataBundle, new: RefdataBundle) -> list[Change]:
    """Every field that differs, in path order (the ``version`` labels inside the sections
    are names, not data, and are left out)."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    _flatten(old.document(), "", before)
    _flatten(new.document(), "", after)
    changes = [Change(path, before.get(path), after.get(path))
               for path in sorted(before.keys() | after.keys())
               if before.get(path) != after.get(path) and not path.endswith(".version")]
    return changes


def material(changes: list[Change]) -> bool:
    return any(change.material for change in changes)


__all__ = ["MATERIAL", "Change", "diff", "material"]
