"""Whether the canonical model still honours the schemas accord released.

Every released schema (``<entity>.<version>.schema.json``, the set committed under
``accord/canonical/released/``) is a contract: systems and stored events written against it
must stay readable. The current model may add optional fields; anything else that a reader or
writer of the released version would trip over is a breaking change, allowed only under a new
version of the entity:

* a field (or a whole entity) the released schema has is gone;
* a field now accepts a type the released schema did not (``string`` where it was ``number``);
* a field's allowed values (an enum) changed;
* a field became required.

A new version supersedes the released one only when accord still reads the old one: an
upcaster chain (:mod:`accord.canonical.upcasting`) must lead from every older released
version to the current one, and the current version may not be older than a released one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.canonical.registry import ENTITIES
from accord.canonical.schema import entity_schema
from accord.canonical.upcasting import upcasts, version_number

RELEASED = Path(__file__).parent / "released"
"""The schemas of the last release, one file per entity and version."""

_FILE = re.compile(r"^(?P<entity>[a-z_]+)\.(?P<version>v\d+)\.schema\.json$")
Schema = Mapping[str, Any]


@dataclass(frozen=True)
class BreakingChange:
    entity: str
    version: str
    path: str  # the field, as a dotted path from the entity
    change: str

    def describe(self) -> str:
        return f"{self.entity}.{self.version} {self.path or '(entity)'}: {self.change}"


def released_schemas(directory: Path = RELEASED) -> dict[tuple[str, str], Schema]:
    """(entity, version) -> the released schema."""
    found: dict[tuple[str, str], Schema] = {}
    for path in sorted(directory.glob("*.schema.json")):
        match = _FILE.match(path.name)
        if match is None:
            raise ValueError(f"{path.name}: not <entity>.<version>.schema.json")
        found[(match["entity"], match["version"])] = json.loads(path.read_text("utf-8"))
    return found


def current_schemas() -> dict[tuple[str, str], Schema]:
    """(entity, version) -> the schema of each entity at its current version."""
    return {(entity.value, model.schema_version): entity_schema(model)
            for entity, model in ENTITIES.items()}


def breaking_changes(released: Mapping[tuple[str, str], Schema],
                     current: Mapping[tuple[str, str], Schema], *,
                     readable: Callable[[str, str, str], bool] = upcasts
                     ) -> list[BreakingChange]:
    """Every breaking change of ``current`` against ``released``. A released version the
    current model has moved on from is superseded, not compared field by field, when
    ``readable(entity, released version, current version)``: stored documents of it are
    upcast when read."""
    found: list[BreakingChange] = []
    current_versions = dict(current.keys())  # entity -> its current version
    for (entity, version), old in sorted(released.items()):
        new = current.get((entity, version))
        if new is not None:
            found += [BreakingChange(entity, version, path, change)
                      for path, change in _compare(old, old, new, new, "", set())]
        elif entity not in current_versions:
            found.append(BreakingChange(entity, version, "", "the entity is gone"))
        elif version_number(version) > version_number(current_versions[entity]):
            found.append(BreakingChange(entity, version, "", "released, but the model is "
                                        f"back at {current_versions[entity]}"))
        elif not readable(entity, version, current_versions[entity]):
            found.append(BreakingChange(entity, version, "", "no upcaster reads it as "
                                        f"{current_versions[entity]}"))
    return found


def _resolve(schema: Schema, root: Schema) -> Schema:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: Schema = root.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
        return resolved
    return schema


def _variants(schema: Schema, root: Schema) -> list[Schema]:
    schema = _resolve(schema, root)
    options = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(options, list):
        return [variant for option in options for variant in _variants(option, root)]
    return [schema]


def _types(schema: Schema, root: Schema) -> set[str]:
    types: set[str] = set()
    for variant in _variants(schema, root):
        kind = variant.get("type")
        if isinstance(kind, list):
            types.update(str(k) for k in kind)
        elif isinstance(kind, str):
            types.add(kind)
        elif "enum" in variant or "const" in variant:
            types.add("enum")
        else:
            types.add("any")
    return types


def _enum(schema: Schema, root: Schema) -> set[str] | None:
    values = [variant["enum"] for variant in _variants(schema, root) if "enum" in variant]
    return {json.dumps(value) for group in values for value in group} if values else None


def _objects(schema: Schema, root: Schema) -> list[Schema]:
    return [variant for variant in _variants(schema, root) if "properties" in variant]


def _items(schema: Schema, root: Schema) -> list[Schema]:
    return [variant["items"] for variant in _variants(schema, root)
            if isinstance(variant.get("items"), Mapping)]


def _compare(old: Schema, old_root: Schema, new: Schema, new_root: Schema, path: str,
             seen: set[tuple[int, int]]) -> Iterator[tuple[str, str]]:
    marker = (id(_resolve(old, old_root)), id(_resolve(new, new_root)))
    if marker in seen:
        return
    seen.add(marker)
    old_types, new_types = _types(old, old_root), _types(new, new_root)
    if "any" not in old_types and not new_types <= old_types:
        yield path, (f"now accepts {', '.join(sorted(new_types - old_types))} "
                     f"(was {', '.join(sorted(old_types))})")
        return
    old_enum, new_enum = _enum(old, old_root), _enum(new, new_root)
    if old_enum is not None and new_enum is not None and old_enum != new_enum:
        added, removed = sorted(new_enum - old_enum), sorted(old_enum - new_enum)
        yield path, "allowed values changed" + (f": added {', '.join(added)}" if added else "") \
            + (f"; removed {', '.join(removed)}" if removed else "")
    for old_object in _objects(old, old_root):
        new_objects = _objects(new, new_root)
        if not new_objects:
            continue
        new_object = new_objects[0]
        old_props, new_props = old_object["properties"], new_object["properties"]
        old_required = set(old_object.get("required", ()))
        for name in sorted(set(new_object.get("required", ())) - old_required):
            yield _join(path, name), "became required"
        for name, old_field in sorted(old_props.items()):
            if name not in new_props:
                yield _join(path, name), "removed"
            else:
                yield from _compare(old_field, old_root, new_props[name], new_root,
                                    _join(path, name), seen)
    for old_item in _items(old, old_root):
        for new_item in _items(new, new_root)[:1]:
            yield from _compare(old_item, old_root, new_item, new_root, f"{path}[]", seen)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


__all__ = ["RELEASED", "BreakingChange", "breaking_changes", "current_schemas",
           "released_schemas"]
