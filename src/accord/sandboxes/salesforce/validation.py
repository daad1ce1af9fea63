"""Field-level validation as Salesforce applies it on create and update.

Checks run in Salesforce's order: unknown fields and malformed values first (the request is
refused as a whole), then read-only fields, then picklists, lengths and required fields.
Values come out as Python types: ``Decimal`` for numbers, ``date``/``datetime`` for dates.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from accord.sandboxes.salesforce.errors import ApiError, ErrorCode, ErrorItem
from accord.sandboxes.salesforce.schema import FieldDef, FieldType, ObjectDef
from accord.sandboxes.salesforce.values import parse_datetime, truncate_ms

ID_PATTERN = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _parser_error(field: FieldDef, raw: Any, kind: str) -> ApiError:
    shown = "VALUE_STRING" if isinstance(raw, str) else "VALUE_NUMBER" if isinstance(
        raw, int | Decimal) else "VALUE_TRUE" if raw is True else "VALUE_OTHER"
    return ApiError.one(400, ErrorCode.JSON_PARSER_ERROR,
                        f"Cannot deserialize instance of {kind} from {shown} value {raw} "
                        f"or request may be missing a required field", field.name)


def coerce(field: FieldDef, raw: Any) -> Any:
    """One raw JSON value to the field's Python type; raises :class:`ApiError`."""
    if raw is None:
        return None
    kind = field.type
    if kind is FieldType.BOOLEAN:
        if not isinstance(raw, bool):
            raise _parser_error(field, raw, "boolean")
        return raw
    if kind in (FieldType.CURRENCY, FieldType.DOUBLE, FieldType.PERCENT, FieldType.INT):
        if isinstance(raw, bool) or not isinstance(raw, int | Decimal | str):
            raise _parser_error(field, raw, "double" if kind is not FieldType.INT else "int")
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise _parser_error(field, raw, "double") from None
        if kind is FieldType.INT:
            if number != number.to_integral_value():
                raise _parser_error(field, raw, "int")
            return int(number)
        return number
    if kind is FieldType.DATE:
        if not isinstance(raw, str):
            raise _parser_error(field, raw, "date")
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            raise _parser_error(field, raw, "date") from None
    if kind is FieldType.DATETIME:
        if not isinstance(raw, str):
            raise _parser_error(field, raw, "datetime")
        try:
            return truncate_ms(parse_datetime(raw))
        except ValueError:
            raise _parser_error(field, raw, "datetime") from None
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise _parser_error(field, raw, "String")
    text = str(raw)
    if kind is FieldType.REFERENCE and text and not ID_PATTERN.match(text):
        raise ApiError.one(400, ErrorCode.MALFORMED_ID,
                           f"{field.label or field.name}: id value of incorrect type: {text}",
                           field.name)
    return text if text != "" else None


def _check_value(field: FieldDef, value: Any) -> ErrorItem | None:
    if value is None:
        return None
    if field.type is FieldType.PICKLIST and field.restricted and value not in field.picklist:
        return ErrorItem(f"{field.label or field.name}: bad value for restricted picklist "
                         f"field: {value}", ErrorCode.INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST,
                         (field.name,))
    if field.type is FieldType.EMAIL and not EMAIL_PATTERN.match(value):
        return ErrorItem(f"{field.label or field.name}: invalid email address: {value}",
                         ErrorCode.INVALID_EMAIL_ADDRESS, (field.name,))
    if isinstance(value, str) and len(value) > field.length:
        return ErrorItem(f"{field.label or field.name}: data value too large: {value[:20]}... "
                         f"(max length={field.length})", ErrorCode.STRING_TOO_LONG, (field.name,))
    return None


def validate(obj: ObjectDef, payload: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Return the coerced field values of a create or update body."""
    if not isinstance(payload, dict):
        raise ApiError.one(400, ErrorCode.JSON_PARSER_ERROR,
                           "Cannot deserialize instance of SObject from a non-object value")
    values: dict[str, Any] = {}
    for key, raw in payload.items():
        if key == "attributes":
            continue
        field = obj.field(key)
        if field is None:
            raise ApiError.one(400, ErrorCode.INVALID_FIELD,
                               f"No such column '{key}' on sobject of type {obj.name}")
        values[field.name] = coerce(field, raw)
    read_only = [name for name in values
                 if not (obj.by_name[name.lower()].writable
                         and (creating or obj.by_name[name.lower()].updateable))]
    if read_only:
        raise ApiError.one(400, ErrorCode.INVALID_FIELD_FOR_INSERT_UPDATE,
                           f"Unable to create/update fields: {', '.join(read_only)}. Please "
                           "check the security settings of this field and verify that it is "
                           "read/write for your profile or permission set.", *read_only)
    problems = [item for name, value in values.items()
                if (item := _check_value(obj.by_name[name.lower()], value)) is not None]
    if creating:
        for field in obj.fields:
            if field.name not in values and field.default is not None:
                values[field.name] = field.default
    missing = [f.name for f in obj.fields if f.required and f.writable
               and (f.name in values if not creating else True) and values.get(f.name) is None]
    if missing:
        problems.insert(0, ErrorItem(f"Required fields are missing: [{', '.join(missing)}]",
                                     ErrorCode.REQUIRED_FIELD_MISSING, tuple(missing)))
    if problems:
        raise ApiError(400, problems)
    return values


__all__ = ["ID_PATTERN", "coerce", "validate"]
