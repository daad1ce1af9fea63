"""The properties API (read side): each object type's property definitions, HubSpot's own
and the custom ones, with their type, field type, group and options."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from accord.sandboxes.hubspot.errors import not_found
from accord.sandboxes.hubspot.schema import ObjectType, PropertyDef, PropertyType
from accord.sandboxes.hubspot.store import Store

FIELD_TYPES = {PropertyType.STRING: "text", PropertyType.NUMBER: "number",
               PropertyType.ENUMERATION: "select", PropertyType.DATE: "date",
               PropertyType.DATETIME: "date", PropertyType.BOOL: "booleancheckbox"}


def property_body(kind: ObjectType, prop: PropertyDef) -> dict[str, Any]:
    options = prop.options or (("true", "false") if prop.type is PropertyType.BOOL else ())
    return {"name": prop.name, "label": prop.name.replace("_", " ").capitalize(),
            "description": "", "type": prop.type.value,
            "fieldType": FIELD_TYPES[prop.type],
            "groupName": "accord" if prop.custom else f"{kind.singular}information",
            "options": [{"label": option, "value": option, "hidden": False,
                         "displayOrder": index} for index, option in enumerate(options)],
            "hasUniqueValue": prop.unique, "hubspotDefined": not prop.custom,
            "calculated": prop.read_only, "archived": False,
            "modificationMetadata": {"archivable": prop.custom, "readOnlyValue": prop.read_only,
                                     "readOnlyDefinition": not prop.custom}}


def properties_router(store: Store) -> APIRouter:
    router = APIRouter()

    @router.get("/crm/v3/properties/{object_type}")
    def list_properties(object_type: str) -> dict[str, Any]:
        kind = store.kind(object_type)
        return {"results": [property_body(kind, p) for p in kind.properties.values()]}

    @router.get("/crm/v3/properties/{object_type}/{property_name}")
    def read_property(object_type: str, property_name: str) -> dict[str, Any]:
        kind = store.kind(object_type)
        found = kind.prop(property_name)
        if found is None:
            raise not_found(f"Unable to find property {property_name} on {kind.name}")
        return property_body(kind, found)

    return router


__all__ = ["properties_router"]
