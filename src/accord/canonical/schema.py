"""JSON Schema export of the canonical model, one file per entity."""

from __future__ import annotations

import json
from pathlib import Path

from accord.canonical.base import SCHEMA_VERSION, Entity
from accord.canonical.registry import ENTITIES


def entity_schema(model: type[Entity]) -> dict[str, object]:
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:accord:schema:{model.entity_type.value}:{SCHEMA_VERSION}"
    schema["x-accord-schema-version"] = SCHEMA_VERSION
    schema["x-accord-entity"] = model.entity_type.value
    return schema


def export_schemas(directory: Path) -> list[Path]:
    """Write ``<entity>.v1.schema.json`` for every entity; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for entity_type, model in ENTITIES.items():
        path = directory / f"{entity_type.value}.{SCHEMA_VERSION}.schema.json"
        path.write_text(json.dumps(entity_schema(model), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


__all__ = ["entity_schema", "export_schemas"]
