"""Record operations shared by the REST resources: create, update, delete, upsert.

Each runs inside a :class:`~.store.Transaction`; an :class:`~.errors.ApiError` raised here is
Salesforce's answer for that record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.sandboxes.salesforce import rules
from accord.sandboxes.salesforce.errors import ApiError, ErrorCode
from accord.sandboxes.salesforce.schema import ObjectDef
from accord.sandboxes.salesforce.store import SANDBOX_USER_ID, ChangeType, Record, Transaction
from accord.sandboxes.salesforce.validation import validate


@dataclass(frozen=True)
class UpsertResult:
    id: str
    created: bool


def create(tx: Transaction, obj: ObjectDef, payload: Any) -> str:
    store = tx.store
    values = validate(obj, payload, creating=True)
    rules.check_references(store, obj, values)
    now = store.now()
    record: Record = {field.name: None for field in obj.fields}
    record.update(values)
    record.update({"Id": store.ids.new(obj.key_prefix), "IsDeleted": False, "CreatedDate": now,
                   "CreatedById": SANDBOX_USER_ID, "LastModifiedDate": now,
                   "LastModifiedById": SANDBOX_USER_ID, "SystemModstamp": now})
    if obj.field("OwnerId") is not None:
        record["OwnerId"] = SANDBOX_USER_ID
    if obj.name == "Pricebook2":
        record["IsStandard"] = False
    rules.derive(store, obj, record, creating=True)
    rules.check_unique(store, obj, record)
    changed = tuple(name for name, value in record.items()
                    if value is not None and name not in ("Id", "IsDeleted"))
    tx.put(obj, record, ChangeType.CREATE, changed)
    rules.rollup(tx, obj, record)
    return str(record["Id"])


def update(tx: Transaction, obj: ObjectDef, record_id: str, payload: Any) -> None:
    store = tx.store
    current = store.get(obj, record_id)
    values = validate(obj, payload, creating=False)
    rules.check_references(store, obj, values)
    record = dict(current)
    record.update(values)
    rules.derive(store, obj, record, creating=False)
    rules.check_unique(store, obj, record)
    changed = [name for name in record if record[name] != current.get(name)]
    now = store.now()
    record.update({"LastModifiedDate": now, "LastModifiedById": SANDBOX_USER_ID,
                   "SystemModstamp": now})
    tx.put(obj, record, ChangeType.UPDATE, (*changed, "LastModifiedDate"))
    rules.rollup(tx, obj, record)


def delete(tx: Transaction, obj: ObjectDef, record_id: str) -> None:
    store = tx.store
    record = dict(store.get(obj, record_id))
    now = store.now()
    record.update({"IsDeleted": True, "LastModifiedDate": now, "SystemModstamp": now})
    tx.put(obj, record, ChangeType.DELETE, ())
    rules.rollup(tx, obj, record)


def external_id_field(obj: ObjectDef, name: str) -> str:
    field = obj.field(name)
    if field is None:
        raise ApiError.one(404, ErrorCode.NOT_FOUND,
                           f"Provided external ID field does not exist or is not accessible: "
                           f"{name}")
    if not (field.external_id or field.name == "Id"):
        raise ApiError.one(400, ErrorCode.INVALID_FIELD,
                           f"Field {field.name} is not an external id field for {obj.name}",
                           field.name)
    return field.name


def matches(tx: Transaction, obj: ObjectDef, field_name: str, value: str) -> list[Record]:
    if field_name == "Id":
        found = tx.store.find(value)
        return [found[1]] if found and found[0] is obj else []
    return tx.store.by_external_id(obj, field_name, value)


class MultipleMatches(Exception):
    def __init__(self, ids: list[str]) -> None:
        super().__init__(f"{len(ids)} records match")
        self.ids = ids


def upsert(tx: Transaction, obj: ObjectDef, field_name: str, value: str,
           payload: Any) -> UpsertResult:
    """Create when nothing matches, update the one match, refuse several (HTTP 300)."""
    field_name = external_id_field(obj, field_name)
    if not isinstance(payload, dict):
        raise ApiError.one(400, ErrorCode.JSON_PARSER_ERROR, "The request body must be an object")
    body = {key: item for key, item in payload.items()
            if key != "attributes" and key.lower() != field_name.lower()}
    found = matches(tx, obj, field_name, value)
    if len(found) > 1:
        raise MultipleMatches([record["Id"] for record in found])
    if found:
        update(tx, obj, found[0]["Id"], body)
        return UpsertResult(found[0]["Id"], created=False)
    if field_name != "Id":
        body[field_name] = value
    return UpsertResult(create(tx, obj, body), created=True)


__all__ = ["MultipleMatches", "UpsertResult", "create", "delete", "external_id_field",
           "update", "upsert"]
