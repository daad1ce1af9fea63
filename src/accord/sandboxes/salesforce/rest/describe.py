"""``describe`` results built from the schema."""

from __future__ import annotations

from typing import Any

from accord.sandboxes.salesforce.schema import OBJECTS, FieldDef, FieldType, ObjectDef


def _urls(obj: ObjectDef, version: str) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}


def object_summary(obj: ObjectDef, version: str) -> dict[str, Any]:
    return {"name": obj.name, "label": obj.label, "labelPlural": obj.label_plural or obj.label,
            "keyPrefix": obj.key_prefix, "custom": False, "createable": True,
            "updateable": True, "deletable": True, "queryable": True, "retrieveable": True,
            "searchable": True, "triggerable": True, "urls": _urls(obj, version)}


def describe_field(field: FieldDef) -> dict[str, Any]:
    system = field.name in ("Id", "IsDeleted", "CreatedDate", "CreatedById",
                            "LastModifiedDate", "LastModifiedById", "SystemModstamp")
    return {
        "name": field.name,
        "label": field.label or field.name,
        "type": field.type.value,
        "length": field.length if field.type not in (
            FieldType.BOOLEAN, FieldType.DATE, FieldType.DATETIME, FieldType.ADDRESS,
            FieldType.INT, FieldType.DOUBLE, FieldType.CURRENCY, FieldType.PERCENT) else 0,
        "nillable": not field.required and field.type is not FieldType.BOOLEAN,
        "createable": field.writable,
        "updateable": field.writable and field.updateable,
        "calculated": not field.writable and not system,
        "defaultedOnCreate": field.default is not None or system,
        "defaultValue": field.default,
        "externalId": field.external_id,
        "unique": field.unique,
        "custom": field.name.endswith("__c"),
        "idLookup": field.external_id or field.name == "Id",
        "picklistValues": [{"value": value, "label": value, "active": True,
                            "defaultValue": value == field.default, "validFor": None}
                           for value in field.picklist],
        "restrictedPicklist": field.type is FieldType.PICKLIST and field.restricted,
        "referenceTo": [field.reference_to] if field.reference_to else [],
        "relationshipName": field.relationship_name,
        "precision": 18 if field.type is FieldType.CURRENCY else 0,
        "scale": 2 if field.type is FieldType.CURRENCY else 0,
    }


def describe_object(obj: ObjectDef, version: str) -> dict[str, Any]:
    return {**object_summary(obj, version),
            "fields": [describe_field(field) for field in obj.fields],
            "childRelationships": []}


def describe_global(version: str) -> dict[str, Any]:
    return {"encoding": "UTF-8", "maxBatchSize": 200,
            "sobjects": [object_summary(obj, version) for obj in OBJECTS.values()]}


__all__ = ["describe_field", "describe_global", "describe_object", "object_summary"]
