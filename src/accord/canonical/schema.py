"""JSON Schema export of the canonical model, one file per entity and version."""

from __future__ import annotations

import json
import re
from pathlib import Path

from accord.canonical.base import FIRST_VERSION, VERSION_KEY, Entity
from accord.canonical.registry import ENTITIES

URI_PREFIX = "urn:accord:schema:"
_URI = re.compile(r"^urn:accord:schema:(?P<entity>[a-z_]+):(?P<version>v\d+)$")


def schema_uri(entity: str, version: str) -> str:
    """The schema's ``$id`` and a CloudEvent's ``dataschema``, e.g. for invoice v2
    ``urn:accord:schema:invoice:v2``."""
    return f"{URI_PREFIX}{entity}:{version}"


def parse_schema_uri(uri: str) -> tuple[str, str]:
    """(entity, version) of a :func:`schema_uri`."""
    match = _URI.match(uri)
    if match is None:
        raise ValueError(f"dataschema: {uri!r} is not urn:accord:schema:<entity>:v<n>")
    return match["entity"], match["version"]


def entity_schema(model: type[Entity]) -> dict[str, object]:
    """The JSON Schema of ``model`` at its own version. A version after the first has the
    ``schema_version`` key its documents carry, required."""
    schema = model.model_json_schema(mode="validation")
    version = model.schema_version
    if version != FIRST_VERSION:
        schema["properties"][VERSION_KEY] = {
            "const": version, "title": "Schema Version",
            "description": "the version this document was written under"}
        schema.setdefault("required", []).append(VERSION_KEY)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = schema_uri(model.entity_type.value, version)
    schema["x-accord-schema-version"] = version
    schema["x-accord-entity"] = model.entity_type.value
    return schema


def export_schemas(directory: Path) -> list[Path]:
    """Write ``<entity>.<version>.schema.json`` for every entity at its current version;
    return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for entity_type, model in ENTITIES.items():
        path = directory / f"{entity_type.value}.{model.schema_version}.schema.json"
        path.write_text(json.dumps(entity_schema(model), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


__all__ = ["URI_PREFIX", "entity_schema", "export_schemas", "parse_schema_uri", "schema_uri"]
