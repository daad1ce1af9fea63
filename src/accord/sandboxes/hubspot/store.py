"""The sandbox's records: CRM objects with their properties, and the associations between
them. Writes are validated as HubSpot validates them (unknown and read-only properties,
values of the property's type, unique values, a deal's pipeline stage) and each change is
announced to the webhook dispatcher."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from accord.sandboxes.clock import SandboxClock
from accord.sandboxes.hubspot.errors import Detail, HubSpotError, conflict, not_found, validation
from accord.sandboxes.hubspot.schema import (
    DEFAULT_ASSOCIATIONS,
    PIPELINES,
    PRIMARY_ASSOCIATIONS,
    ObjectType,
    object_type,
)
from accord.sandboxes.hubspot.values import coerce, iso

HUBSPOT_DEFINED = "HUBSPOT_DEFINED"
COMPUTED = ("hs_object_id", "hs_lastmodifieddate", "lastmodifieddate", "hs_is_closed_won",
            "hs_is_closed", "amount")


@dataclass
class Record:
    id: str
    kind: str
    properties: dict[str, str | None]
    created_at: datetime
    updated_at: datetime
    archived: bool = False
    archived_at: datetime | None = None

    def value(self, name: str) -> str | None:
        return self.properties.get(name)


@dataclass(frozen=True)
class Change:
    """What the webhook dispatcher hears of: a record created, or one property changed."""

    kind: str
    object_id: str
    change: str  # "creation" | "propertyChange"
    at: datetime
    property_name: str | None = None
    property_value: str | None = None


@dataclass
class Store:
    clock: SandboxClock
    on_change: Callable[[Change], None] = lambda _change: None
    lock: threading.RLock = field(default_factory=threading.RLock)
    records: dict[str, dict[str, Record]] = field(default_factory=dict)
    links: dict[tuple[str, str, str], dict[str, set[tuple[str, int]]]] = field(
        default_factory=dict)
    next_id: int = 1000

    def reset(self) -> None:
        with self.lock:
            self.records.clear()
            self.links.clear()
            self.next_id = 1000

    def dump(self) -> dict[str, Any]:
        with self.lock:
            return {
                "objects": {kind: [{"id": r.id, "properties": r.properties,
                                    "archived": r.archived} for r in found.values()]
                            for kind, found in self.records.items()},
                "associations": [
                    {"from": f"{kind}/{object_id}", "to": f"{to_kind}/{to_id}",
                     "types": sorted(type_id for _category, type_id in types)}
                    for (kind, object_id, to_kind), targets in self.links.items()
                    for to_id, types in targets.items()],
            }

    # -- lookup ---------------------------------------------------------------------------
    @staticmethod
    def kind(name: str) -> ObjectType:
        found = object_type(name)
        if found is None:
            raise HubSpotError(400, "VALIDATION_ERROR",
                               f"Unable to infer object type from: {name}")
        return found

    def of(self, kind: str) -> dict[str, Record]:
        return self.records.setdefault(kind, {})

    def get(self, kind: ObjectType, key: str, *, id_property: str | None = None,
            archived: bool = False) -> Record:
        with self.lock:
            found = self.find(kind, key, id_property=id_property)
            if found is None or found.archived != archived:
                raise not_found("Object not found.  objectId are usually numeric.",
                                [key])
            return found

    def find(self, kind: ObjectType, key: str, *, id_property: str | None = None
             ) -> Record | None:
        if id_property in (None, "hs_object_id"):
            return self.of(kind.name).get(key)
        prop = kind.prop(str(id_property))
        if prop is None or not prop.unique:
            raise validation(f"{id_property} is not a unique property of {kind.name}",
                             Detail(f"Property {id_property} does not have unique values",
                                    "INVALID_ID_PROPERTY", {"idProperty": [str(id_property)]}))
        return next((r for r in self.of(kind.name).values()
                     if not r.archived and r.value(prop.name) == key), None)

    # -- writes ---------------------------------------------------------------------------
    def _checked(self, kind: ObjectType, given: Mapping[str, Any], current: Record | None
                 ) -> dict[str, str | None]:
        values: dict[str, str | None] = {}
        problems: list[Detail] = []
        for name, raw in given.items():
            prop = kind.prop(name)
            if prop is None:
                problems.append(Detail(f'Property "{name}" does not exist',
                                       "PROPERTY_DOESNT_EXIST", {"propertyName": [name]}))
                continue
            if prop.read_only:
                problems.append(Detail(f'Property "{name}" is read-only', "READ_ONLY_VALUE",
                                       {"propertyName": [name]}))
                continue
            value, problem = coerce(prop, raw)
            if problem is not None:
                problems.append(problem)
            else:
                values[name] = value
        if kind.name == "deals":
            problems += self._stage_problems(values, current)
        if kind.name == "line_items" and values.get("hs_product_id"):
            product = self.of("products").get(str(values["hs_product_id"]))
            if product is None or product.archived:
                problems.append(Detail(f"Product {values['hs_product_id']} does not exist",
                                       "INVALID_OBJECT_ID", {"propertyName": ["hs_product_id"]}))
            else:
                for name in ("name", "price", "hs_sku", "description"):
                    if name not in given and (current is None or current.value(name) is None):
                        values[name] = product.value(name)
        if problems:
            raise validation("Property values were not valid: " + json.dumps(
                [{"isValid": False, "message": p.message, "error": p.code,
                  "name": (p.context.get("propertyName") or [""])[0]} for p in problems]),
                *problems)
        for name, value in values.items():
            prop = kind.prop(name)
            if prop is not None and prop.unique and value is not None:
                clash = next((r for r in self.of(kind.name).values()
                              if not r.archived and r.value(name) == value
                              and (current is None or r.id != current.id)), None)
                if clash is not None:
                    raise conflict(f"A {kind.singular} with {name} {value!r} already exists. "
                                   f"Existing ID: {clash.id}")
        return values

    @staticmethod
    def _stage_problems(values: dict[str, str | None], current: Record | None) -> list[Detail]:
        pipeline_id = values.get("pipeline") or (current.value("pipeline") if current else None) \
            or "default"
        pipeline = next((p for p in PIPELINES["deals"] if p.id == pipeline_id), None)
        if pipeline is None:
            return [Detail(f"{pipeline_id!r} is not a valid pipeline", "INVALID_OPTION",
                           {"propertyName": ["pipeline"]})]
        if current is None:
            values.setdefault("pipeline", pipeline_id)
        stage_id = values.get("dealstage")
        if stage_id is not None and pipeline.stage(stage_id) is None:
            return [Detail(f"{stage_id!r} is not a valid stage of pipeline {pipeline_id}",
                           "INVALID_OPTION", {"propertyName": ["dealstage"]})]
        return []

    def _computed(self, record: Record, now: datetime) -> None:
        record.updated_at = now
        record.properties["hs_lastmodifieddate"] = iso(now)
        if record.kind == "contacts":
            record.properties["lastmodifieddate"] = iso(now)
        if record.kind == "deals":
            pipeline = next((p for p in PIPELINES["deals"]
                             if p.id == record.value("pipeline")), None)
            stage = pipeline.stage(record.value("dealstage") or "") if pipeline else None
            record.properties["hs_is_closed_won"] = str(bool(stage and stage.closed and
                                                             stage.probability == "1.0")).lower()
            record.properties["hs_is_closed"] = str(bool(stage and stage.closed)).lower()
        if record.kind == "line_items":
            try:
                amount = Decimal(record.value("quantity") or "0") * \
                    Decimal(record.value("price") or "0")
                record.properties["amount"] = str(amount)
            except InvalidOperation:
                record.properties["amount"] = None

    def create(self, kind: ObjectType, properties: Mapping[str, Any],
               associations: Iterable[tuple[str, str, list[tuple[str, int]]]] = ()) -> Record:
        with self.lock:
            values = self._checked(kind, properties, None)
            wanted = list(associations)
            for to_kind, to_id, _types in wanted:
                target = self.of(self.kind(to_kind).name).get(to_id)
                if target is None or target.archived:
                    raise validation(f"No {to_kind} with ID {to_id} exists",
                                     Detail(f"{to_kind} {to_id} not found", "INVALID_OBJECT_ID",
                                            {"toObjectId": [to_id]}))
            now = self.clock.now()
            self.next_id += 1
            record = Record(str(self.next_id), kind.name, {}, now, now)
            record.properties.update(values)
            record.properties["hs_object_id"] = record.id
            record.properties.setdefault("createdate", iso(now))
            if record.properties["createdate"] is None:
                record.properties["createdate"] = iso(now)
            self._computed(record, now)
            self.of(kind.name)[record.id] = record
            for to_kind, to_id, types in wanted:
                self.associate(kind, record.id, self.kind(to_kind), to_id, types)
            self.on_change(Change(kind.name, record.id, "creation", now))
            return record

    def update(self, kind: ObjectType, key: str, properties: Mapping[str, Any], *,
               id_property: str | None = None) -> Record:
        with self.lock:
            record = self.get(kind, key, id_property=id_property)
            values = self._checked(kind, properties, record)
            changed = {name: value for name, value in values.items()
                       if record.properties.get(name) != value}
            record.properties.update(values)
            now = self.clock.now()
            self._computed(record, now)
            for name, value in changed.items():
                self.on_change(Change(kind.name, record.id, "propertyChange", now, name, value))
            return record

    def archive(self, kind: ObjectType, key: str) -> None:
        with self.lock:
            record = self.of(kind.name).get(key)
            if record is None or record.archived:
                return  # HubSpot answers 204 for an unknown or archived id too
            record.archived = True
            record.archived_at = self.clock.now()

    # -- listing --------------------------------------------------------------------------
    def page(self, kind: ObjectType, after: str | None, limit: int, archived: bool = False
             ) -> tuple[list[Record], str | None]:
        with self.lock:
            start = int(after) if after and after.isdigit() else 0
            rows = sorted((r for r in self.of(kind.name).values()
                           if r.archived == archived and int(r.id) >= start),
                          key=lambda r: int(r.id))
        chosen = rows[:limit]
        more = len(rows) > limit
        return chosen, (str(int(rows[limit].id)) if more else None)

    # -- associations ---------------------------------------------------------------------
    def associate(self, kind: ObjectType, object_id: str, to: ObjectType, to_id: str,
                  types: list[tuple[str, int]] | None = None) -> list[tuple[str, int]]:
        """Link two records both ways; ``types`` None: HubSpot's default type."""
        with self.lock:
            self.get(kind, object_id)
            self.get(to, to_id)
            pair = (kind.name, to.name)
            default = DEFAULT_ASSOCIATIONS.get(pair)
            if types is None:
                if default is None:
                    raise validation(f"No default association between {kind.name} and "
                                     f"{to.name}")
                types = [(HUBSPOT_DEFINED, default)]
            allowed = {default, PRIMARY_ASSOCIATIONS.get(pair)}
            for category, type_id in types:
                if category == HUBSPOT_DEFINED and type_id not in allowed:
                    raise validation(f"associationTypeId {type_id} is not valid between "
                                     f"{kind.name} and {to.name}",
                                     Detail("invalid association type", "INVALID_ASSOCIATION",
                                            {"typeId": [str(type_id)]}))
            forward = self.links.setdefault((kind.name, object_id, to.name), {})
            forward.setdefault(to_id, set()).update(types)
            backward = self.links.setdefault((to.name, to_id, kind.name), {})
            inverse = {(c, _inverse(pair, t)) for c, t in types}
            backward.setdefault(object_id, set()).update(inverse)
            return sorted(forward[to_id])

    def dissociate(self, kind: ObjectType, object_id: str, to: ObjectType, to_id: str) -> None:
        with self.lock:
            self.links.get((kind.name, object_id, to.name), {}).pop(to_id, None)
            self.links.get((to.name, to_id, kind.name), {}).pop(object_id, None)

    def associated(self, kind: ObjectType, object_id: str, to: ObjectType
                   ) -> dict[str, set[tuple[str, int]]]:
        with self.lock:
            found = self.links.get((kind.name, object_id, to.name), {})
            live = self.of(to.name)
            return {to_id: set(types) for to_id, types in sorted(found.items(),
                                                                 key=lambda i: int(i[0]))
                    if to_id in live and not live[to_id].archived}


def _inverse(pair: tuple[str, str], type_id: int) -> int:
    back = (pair[1], pair[0])
    if DEFAULT_ASSOCIATIONS.get(pair) == type_id:
        return DEFAULT_ASSOCIATIONS.get(back, type_id)
    if PRIMARY_ASSOCIATIONS.get(pair) == type_id:
        return PRIMARY_ASSOCIATIONS.get(back, type_id)
    return type_id


__all__ = ["COMPUTED", "HUBSPOT_DEFINED", "Change", "Record", "Store"]
