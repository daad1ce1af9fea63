"""The metadata catalog: NetSuite's machine-readable description of the record types served.

``GET /services/rest/record/v1/metadata-catalog`` lists the record types, each with links to
its description in the three media types NetSuite offers. A description is asked for with the
``Accept`` header:

* ``application/schema+json``: a JSON Schema of the record (``GET .../metadata-catalog/{type}``)
  or of one of its parts: ``nsLink``, ``nsResource`` (a reference to another record),
  ``{type}-{sublist}Collection`` and ``{type}-{sublist}Element`` (a sublist and its lines).
  References between schemas are paths of the catalog, as NetSuite writes them.
* ``application/swagger+json``: an OpenAPI 3.0 document with the record's paths and schemas
  (``GET .../metadata-catalog?select=customer,invoice`` for several types at once).
* ``application/json`` (the default): the catalog entry of the type.

Everything is built from the sandbox's own record specs (:mod:`.catalog`), so the catalog
describes exactly what the sandbox answers: field names, types (``string``, ``number``,
``integer``, ``boolean``, dates as ``string`` with ``format``), references to other records,
lists (``select``) as ``id`` and ``refName``, sublists, and the read-only values the sandbox
derives (totals, status).
"""

from __future__ import annotations

from typing import Any

from accord.sandboxes.netsuite.records.catalog import SPECS, spec_for
from accord.sandboxes.netsuite.records.fields import Family, FieldSpec, Kind, RecordSpec

CATALOG = "/services/rest/record/v1/metadata-catalog"
SCHEMA_JSON = "application/schema+json"
SWAGGER_JSON = "application/swagger+json"

DERIVED: dict[str, dict[str, str]] = {
    "invoice": {"subtotal": "number", "taxTotal": "number", "total": "number",
                "amountPaid": "number", "amountRemaining": "number", "status": "string"},
    "creditMemo": {"subtotal": "number", "taxTotal": "number", "total": "number",
                   "applied": "number", "unapplied": "number", "amountRemaining": "number",
                   "status": "string"},
    "salesOrder": {"subtotal": "number", "taxTotal": "number", "total": "number",
                   "status": "string"},
    "customerPayment": {"total": "number", "applied": "number", "unapplied": "number",
                        "status": "string"},
    "customerRefund": {"total": "number"},
    "deposit": {"total": "number"},
    "journalEntry": {"total": "number"},
}
"""Read-only values the sandbox computes on read (``rules.derive``)."""

_TYPES: dict[Kind, dict[str, Any]] = {
    Kind.TEXT: {"type": "string"},
    Kind.DECIMAL: {"type": "number", "format": "double"},
    Kind.INT: {"type": "integer", "format": "int64"},
    Kind.BOOL: {"type": "boolean"},
    Kind.DATE: {"type": "string", "format": "date"},
}
_DERIVED_TYPES = {"number": _TYPES[Kind.DECIMAL], "string": _TYPES[Kind.TEXT]}


def created_field(spec: RecordSpec) -> str | None:
    """``createdDate`` on transactions and items, ``dateCreated`` on customers."""
    if spec.name == "customer":
        return "dateCreated"
    return "createdDate" if spec.family in (Family.TRANSACTION, Family.ITEM) else None


def _ref(name: str, local: bool) -> str:
    return f"#/components/schemas/{name}" if local else f"{CATALOG}/{name}"


def _field(field: FieldSpec, local: bool) -> dict[str, Any]:
    title = field.label or field.name
    if field.kind is Kind.REF:
        target = field.targets[0] if len(field.targets) == 1 else "nsResource"
        return {"title": title, "type": "object", "$ref": _ref(target, local)}
    if field.kind is Kind.SELECT:
        return {"title": title, "type": "object", "properties": {
            "id": {"title": "Internal identifier", "type": "string",
                   "enum": [choice for choice, _ in field.choices]},
            "refName": {"title": "Reference Name", "type": "string"}}}
    return {"title": title, **_TYPES[field.kind], "nullable": not field.required}


def record_schema(spec: RecordSpec, *, local: bool = False) -> dict[str, Any]:
    """The JSON Schema of one record type (``local``: references within an OpenAPI
    document instead of catalog paths)."""
    properties: dict[str, Any] = {
        "links": {"title": "Links", "type": "array", "readOnly": True,
                  "items": {"$ref": _ref("nsLink", local)}},
        "id": {"title": "Internal ID", "type": "string", "nullable": True},
        "externalId": {"title": "External ID", "type": "string", "nullable": True},
    }
    for field in spec.fields:
        properties[field.name] = _field(field, local)
    for name, kind in DERIVED.get(spec.name, {}).items():
        properties[name] = {"title": name, **_DERIVED_TYPES[kind], "readOnly": True}
    created = created_field(spec)
    if created is not None:
        properties[created] = {"title": "Date Created", "type": "string",
                               "format": "date-time", "readOnly": True}
    properties["lastModifiedDate"] = {"title": "Last Modified Date", "type": "string",
                                      "format": "date-time", "readOnly": True}
    for sublist in spec.sublists:
        properties[sublist.name] = {"title": sublist.name, "type": "object",
                                    "$ref": _ref(f"{spec.name}-{sublist.name}Collection",
                                                 local)}
    filterable = ["id", "externalId", *(f.name for f in spec.fields),
                  *([created] if created else []), "lastModifiedDate"]
    return {"type": "object", "properties": properties, "x-ns-filterable": filterable}


def sublist_schemas(spec: RecordSpec, *, local: bool = False) -> dict[str, dict[str, Any]]:
    """``{type}-{sublist}Collection`` and ``{type}-{sublist}Element`` for each sublist."""
    out: dict[str, dict[str, Any]] = {}
    for sublist in spec.sublists:
        element = f"{spec.name}-{sublist.name}Element"
        out[f"{spec.name}-{sublist.name}Collection"] = {"type": "object", "properties": {
            "links": {"title": "Links", "type": "array", "readOnly": True,
                      "items": {"$ref": _ref("nsLink", local)}},
            "items": {"title": "Items", "type": "array",
                      "items": {"$ref": _ref(element, local)}},
            "totalResults": {"title": "Total Results", "type": "integer", "readOnly": True},
            "count": {"title": "Count", "type": "integer", "readOnly": True},
            "hasMore": {"title": "Has More Results", "type": "boolean", "readOnly": True},
            "offset": {"title": "Query Offset", "type": "integer", "readOnly": True}}}
        properties: dict[str, Any] = {
            "links": {"title": "Links", "type": "array", "readOnly": True,
                      "items": {"$ref": _ref("nsLink", local)}},
            "line": {"title": "Line", "type": "integer", "format": "int64", "readOnly": True}}
        for field in sublist.fields:
            properties[field.name] = _field(field, local)
        out[element] = {"type": "object", "properties": properties}
    return out


def shared_schemas(*, local: bool = False) -> dict[str, dict[str, Any]]:
    return {
        "nsLink": {"type": "object", "properties": {
            "rel": {"title": "Relationship", "type": "string", "readOnly": True},
            "href": {"title": "Hypertext Reference", "type": "string", "format": "uri",
                     "readOnly": True}}},
        "nsResource": {"type": "object", "properties": {
            "links": {"title": "Links", "type": "array", "readOnly": True,
                      "items": {"$ref": _ref("nsLink", local)}},
            "id": {"title": "Internal identifier", "type": "string"},
            "refName": {"title": "Reference Name", "type": "string", "readOnly": True},
            "externalId": {"title": "External identifier", "type": "string"}}},
    }


def schema_named(name: str) -> dict[str, Any] | None:
    """The JSON Schema a catalog path names (a record type, a sublist part, nsLink,
    nsResource), or None."""
    shared = shared_schemas().get(name)
    if shared is not None:
        return shared
    spec = spec_for(name)
    if spec is not None:
        return record_schema(spec)
    owner, _, _part = name.partition("-")
    spec = spec_for(owner)
    if spec is not None:
        return sublist_schemas(spec).get(f"{spec.name}-{_part}")
    return None


def index(root: str) -> dict[str, Any]:
    """The catalog: every record type with links to its description."""
    def entry(spec: RecordSpec) -> dict[str, Any]:
        href = f"{root}{CATALOG}/{spec.name}"
        return {"name": spec.name, "links": [
            {"rel": "canonical", "href": href, "mediaType": "application/json"},
            {"rel": "alternate", "href": href, "mediaType": SWAGGER_JSON},
            {"rel": "describedby", "href": href, "mediaType": SCHEMA_JSON}]}
    return {"links": [{"rel": "self", "href": f"{root}{CATALOG}"}],
            "items": [entry(spec) for spec in SPECS]}


def entry(root: str, spec: RecordSpec) -> dict[str, Any]:
    return next(item for item in index(root)["items"] if item["name"] == spec.name)


def openapi(specs: list[RecordSpec], root: str) -> dict[str, Any]:
    """An OpenAPI 3.0 document for ``specs``: their paths and schemas."""
    schemas: dict[str, Any] = shared_schemas(local=True)
    paths: dict[str, Any] = {}
    for spec in specs:
        schemas[spec.name] = record_schema(spec, local=True)
        schemas.update(sublist_schemas(spec, local=True))
        schemas[f"{spec.name}Collection"] = {"type": "object", "properties": {
            "links": {"type": "array", "items": {"$ref": "#/components/schemas/nsLink"}},
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/nsResource"}},
            "totalResults": {"type": "integer"}, "count": {"type": "integer"},
            "hasMore": {"type": "boolean"}, "offset": {"type": "integer"}}}
        record = {"$ref": f"#/components/schemas/{spec.name}"}
        one = {"200": {"description": "The record.",
                       "content": {"application/vnd.oracle.resource+json; "
                                   "type=singular-resource": {"schema": record}}}}
        done = {"204": {"description": "Done."}}
        paths[f"/{spec.name}"] = {
            "get": {"summary": f"Get list of {spec.name} records.", "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                {"name": "offset", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "The page.", "content": {
                    "application/vnd.oracle.resource+json; type=collection": {
                        "schema": {"$ref": f"#/components/schemas/{spec.name}Collection"}}}}}},
            "post": {"summary": f"Insert a {spec.name} record.",
                     "requestBody": {"content": {"application/json": {"schema": record}}},
                     "responses": done}}
        key = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
        paths[f"/{spec.name}/{{id}}"] = {
            "get": {"summary": f"Get a {spec.name} record.", "parameters": [
                *key, {"name": "expandSubResources", "in": "query",
                       "schema": {"type": "boolean"}}], "responses": one},
            "patch": {"summary": f"Update a {spec.name} record.", "parameters": key,
                      "requestBody": {"content": {"application/json": {"schema": record}}},
                      "responses": done},
            "put": {"summary": f"Insert or update a {spec.name} record (eid:).",
                    "parameters": key,
                    "requestBody": {"content": {"application/json": {"schema": record}}},
                    "responses": done},
            "delete": {"summary": f"Remove a {spec.name} record.", "parameters": key,
                       "responses": done}}
    return {"openapi": "3.0.1",
            "info": {"title": "NetSuite REST Record API", "version": "v1",
                     "description": "Record types served by the accord NetSuite sandbox."},
            "servers": [{"url": f"{root}/services/rest/record/v1"}],
            "paths": paths, "components": {"schemas": schemas}}


__all__ = ["CATALOG", "DERIVED", "SCHEMA_JSON", "SWAGGER_JSON", "created_field", "entry",
           "index", "openapi", "record_schema", "schema_named", "shared_schemas",
           "sublist_schemas"]
