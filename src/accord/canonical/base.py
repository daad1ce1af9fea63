"""What every canonical entity shares: a canonical id, the ids it has in each system,
and the schema version it was written under."""

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
    field_validator,
    model_validator,
)

from accord.canonical.ids import CanonicalId, EntityType, SystemName, new_id
from accord.canonical.money import Money

SCHEMA_VERSION = "v1"

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
    schema_version: ClassVar[str] = SCHEMA_VERSION

    id: CanonicalId = Field(default=None, validate_default=True,
                            description="accord canonical id (assigned when omitted)")
    external_ids: dict[SystemName, NonEmptyStr] = Field(
        default_factory=dict, description="the entity's id in each system, by system name"
    )

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
    "SCHEMA_VERSION",
    "DateRange",
    "Entity",
    "Frozen",
    "NonEmptyStr",
    "Period",
    "at_least",
    "require_currency",
]
