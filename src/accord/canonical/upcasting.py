"""Reading a stored canonical document written under an older schema version.

Documents outlive the model that wrote them: a flow's checkpoint, an event, a golden record.
Each new version of an entity registers an upcaster from the version before it, a pure
function from a document of version ``vN`` to the same document as ``vN+1``;
:func:`load` finds the version a document was written under and applies the upcasters one
step at a time up to the entity's current version, then validates the current model.

How a document's version is known, first rule that applies:

1. the version the caller names (a CloudEvent's ``schemaversion``, say);
2. the document's own ``schema_version`` key, which every version after the first writes;
3. otherwise the document is of the first version, ``v1``: v1 documents were written before
   the key existed, and a later version always writes it.

An upcaster is frozen with the version it reads: it builds the next version's shape from
plain data (not through today's model), so that it still holds when later versions follow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

from accord.canonical.base import FIRST_VERSION, VERSION_KEY, Entity
from accord.canonical.billing import RevenueRecognition
from accord.canonical.ids import EntityType
from accord.canonical.money import Money, allocate
from accord.canonical.registry import ENTITIES

Document = dict[str, Any]
Upcaster = Callable[[Document], Document]
E = TypeVar("E", bound=Entity)

_VERSION = re.compile(r"^v(?P<number>\d+)$")
_UPCASTERS: dict[tuple[EntityType, str], Upcaster] = {}


class SchemaVersionError(ValueError):
    """A stored document that cannot be read as the current model: its version is unknown,
    newer than this accord, or has no upcaster to the next one."""


def version_number(version: str) -> int:
    match = _VERSION.match(version)
    if match is None:
        raise SchemaVersionError(f"{VERSION_KEY}: {version!r} is not a version (v1, v2, ...)")
    return int(match["number"])


def next_version(version: str) -> str:
    return f"v{version_number(version) + 1}"


def upcaster(entity_type: EntityType, from_version: str) -> Callable[[Upcaster], Upcaster]:
    """Register the upcaster of ``entity_type`` documents from ``from_version`` to the next."""

    def register(function: Upcaster) -> Upcaster:
        key = (entity_type, from_version)
        if key in _UPCASTERS:
            raise ValueError(f"{entity_type.value} {from_version}: an upcaster is registered")
        version_number(from_version)
        _UPCASTERS[key] = function
        return function

    return register


def has_upcaster(entity_type: EntityType, from_version: str) -> bool:
    return (entity_type, from_version) in _UPCASTERS


def upcasts(entity: str, from_version: str, to_version: str) -> bool:
    """Whether a chain of upcasters reads ``entity`` documents of ``from_version`` as
    ``to_version``."""
    try:
        entity_type = EntityType(entity)
    except ValueError:
        return False
    version = from_version
    while version_number(version) < version_number(to_version):
        if not has_upcaster(entity_type, version):
            return False
        version = next_version(version)
    return version == to_version


def detect_version(data: Mapping[str, Any], version: str | None = None) -> str:
    """The version ``data`` was written under (the rules in this module's docstring)."""
    marked = data.get(VERSION_KEY)
    if version is not None and marked is not None and marked != version:
        raise SchemaVersionError(f"{VERSION_KEY}: the document says {marked}, its envelope "
                                 f"{version}")
    found = version or marked or FIRST_VERSION
    if not isinstance(found, str):
        raise SchemaVersionError(f"{VERSION_KEY}: {found!r} is not a version (v1, v2, ...)")
    version_number(found)
    return found


def upcast(entity_type: EntityType | str, data: Mapping[str, Any],
           version: str | None = None) -> Document:
    """``data`` as a document of the entity's current version (without its marker)."""
    entity = _entity_type(entity_type)
    current = ENTITIES[entity].schema_version
    found = detect_version(data, version)
    if version_number(found) > version_number(current):
        raise SchemaVersionError(f"{VERSION_KEY}: a {entity.value} {found} document is newer "
                                 f"than the {current} this accord reads")
    document = {key: value for key, value in data.items() if key != VERSION_KEY}
    while found != current:
        step = _UPCASTERS.get((entity, found))
        if step is None:
            raise SchemaVersionError(f"{VERSION_KEY}: no upcaster reads a {entity.value} "
                                     f"{found} document as {next_version(found)}")
        try:
            document = step(document)
        except (KeyError, TypeError, ValueError) as error:
            raise SchemaVersionError(f"{entity.value} {found} -> {next_version(found)}: "
                                     f"{_describe(error)}") from error
        found = next_version(found)
    return document


@overload
def load(entity: type[E], data: Mapping[str, Any], version: str | None = None) -> E: ...


@overload
def load(entity: EntityType | str, data: Mapping[str, Any],
         version: str | None = None) -> Entity: ...


def load(entity: type[Entity] | EntityType | str, data: Mapping[str, Any],
         version: str | None = None) -> Entity:
    """A stored document of ``entity`` (a model class or an entity type) as the current
    model, upcast from the version it was written under."""
    if isinstance(entity, type):
        model, entity_type = entity, entity.entity_type
    else:
        entity_type = _entity_type(entity)
        model = ENTITIES[entity_type]
    return model.model_validate(upcast(entity_type, data, version))


def _entity_type(value: EntityType | str) -> EntityType:
    try:
        return EntityType(value)
    except ValueError:
        raise SchemaVersionError(f"entity: {value!r} is not a canonical entity type") from None


def _describe(error: Exception) -> str:
    return f"missing field {error}" if isinstance(error, KeyError) else str(error)


# -- invoice --------------------------------------------------------------------------------
@upcaster(EntityType.INVOICE, "v1")
def invoice_v1_to_v2(data: Document) -> Document:
    """v2 lines carry their tax and revenue recognition. A v1 invoice knows only its tax
    total: each line's ``tax_amount`` is its share of ``tax_total`` in proportion to the
    line amounts, in whole minor units by largest remainder (:func:`allocate`, so the shares
    sum exactly to the total); ``tax_code`` is unknown (None); ``revenue_recognition`` is
    ratable for a line with a service period, point in time otherwise."""
    lines = list(data["lines"])
    tax_total = Money.model_validate(data["tax_total"])
    shares = allocate(tax_total, [Money.model_validate(line["amount"]) for line in lines])
    return {**data, "lines": [
        {**line, "tax_amount": share.model_dump(mode="json"), "tax_code": None,
         "revenue_recognition": (RevenueRecognition.POINT_IN_TIME
                                 if line.get("service_period") is None
                                 else RevenueRecognition.RATABLE).value}
        for line, share in zip(lines, shares, strict=True)]}


__all__ = [
    "SchemaVersionError",
    "Upcaster",
    "detect_version",
    "has_upcaster",
    "invoice_v1_to_v2",
    "load",
    "next_version",
    "upcast",
    "upcaster",
    "upcasts",
    "version_number",
]
