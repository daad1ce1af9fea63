"""What every canonical entity shares: a canonical id, the ids it has in each system,
and the schema version it was written under.

Each entity class carries its own ``schema_version`` (``v1``, ``v2``, ...). A document of
the first version carries no marker (every stored v1 document was written before markers
existed, and stays as it was); a document of a later version says which it is in a
``schema_version`` key, which :class:`Entity` writes on every dump and checks when it reads
one (an older document is read through :mod:`accord.canonical.upcasting`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from accord.canonical.ids import CanonicalId, EntityType, SystemName, new_id
from accord.canonical.money import Money

FIRST_VERSION = "v1"
"""Every entity's first schema version: its documents carry no ``schema_version`` key."""
VERSION_KEY = "schema_version"
"""The key a document of a later version names its version in."""

NonEmptyStr = Annotated[str, Field(min_length=1)]


def at_least(count: int) -> AfterValidator:
    """A collection validator that runs only when every item was valid (unlike min_length,
    which would add a second, confusing complaint about an item that failed)."""

    def check(value: Sequence[Any]) -> Sequence[Any]:
        if len(value) < count:
            raise ValueError(f"at least {count} required, got {len(value)}")
        return value

    return AfterValidator(check)


class Frozen(BaseModel):
    """Base for immutable value objects: unknown fields are refused, strings are stripped."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Entity(Frozen):
    """A canonical entity. ``external_ids`` maps a system name to this entity's id there."""

    entity_type: ClassVar[EntityType]
    schema_version: ClassVar[str] = FIRST_VERSION
    """The version of this entity's schema that the class reads and writes."""

    id: CanonicalId = Field(default=None, validate_default=True,
                            description="accord canonical id (assigned when omitted)")
    external_ids: dict[SystemName, NonEmptyStr] = Field(
        default_factory=dict, description="the entity's id in each system, by system name"
    )

    @model_validator(mode="before")
    @classmethod
    def _read_version(cls, data: Any) -> Any:
        """A document marked with this class's version is read without its marker; a
        document of another version is refused (it is upcast by
        :func:`accord.canonical.upcasting.load`, not read as if it were this one)."""
        if not isinstance(data, dict) or VERSION_KEY not in data:
            return data
        marked = data[VERSION_KEY]
        if marked != cls.schema_version:
            raise ValueError(
                f"{VERSION_KEY}: the document is {cls.entity_type.value} {marked}, not "
                f"{cls.schema_version}; read it through accord.canonical.upcasting.load")
        return {key: value for key, value in data.items() if key != VERSION_KEY}

    @model_serializer(mode="wrap")
    def _write_version(self, handler: SerializerFunctionWrapHandler,
                       info: SerializationInfo) -> dict[str, Any]:
        """A whole document of a later version is marked with it (a dump of chosen fields,
        ``include=``, is not a document)."""
        dumped: dict[str, Any] = handler(self)
        if self.schema_version != FIRST_VERSION and info.include is None \
                and VERSION_KEY not in (info.exclude or ()):
            dumped[VERSION_KEY] = self.schema_version
        return dumped

    @field_validator("id", mode="before")
    @classmethod
    def _assign_id(cls, value: Any) -> Any:
        return value or new_id(cls.entity_type)

    @model_validator(mode="after")
    def _check_prefix(self) -> Self:
        from accord.canonical.ids import ID_PREFIXES

        prefix = ID_PREFIXES[self.entity_type]
        if not self.id.startswith(prefix + "_"):
            raise ValueError(f"id: a {self.entity_type.value} id must start with '{prefix}_'")
        return self

    def with_external_id(self, system: str, external_id: str) -> Self:
        return type(self).model_validate(
            {**self.model_dump(), "external_ids": {**self.external_ids, system: external_id}}
        )


class Period(Frozen):
    """A half-open time span [start, end) in UTC."""

    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end: must be after start")
        return self


class DateRange(Frozen):
    """An inclusive range of calendar dates (service periods, terms)."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError("end: must not be before start")
        return self


def require_currency(currency: str, **amounts: Money | None) -> None:
    """Raise naming the first field whose Money is not in ``currency``."""
    for field, money in amounts.items():
        if money is not None and money.currency != currency:
            raise ValueError(
                f"{field}: currency {money.currency} differs from the document currency {currency}"
            )


__all__ = [
    "FIRST_VERSION",
    "VERSION_KEY",
    "DateRange",
    "Entity",
    "Frozen",
    "NonEmptyStr",
    "Period",
    "at_least",
    "require_currency",
]
