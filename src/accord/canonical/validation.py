"""Turning pydantic's validation errors into plain sentences that name the field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from accord.errors import DataQualityError, Team

M = TypeVar("M", bound=BaseModel)

_PREFIXES = ("Value error, ", "Assertion failed, ")


@dataclass(frozen=True)
class FieldProblem:
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


def _split(loc: tuple[int | str, ...], message: str) -> FieldProblem:
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    path = ".".join(str(part) for part in loc)
    # Model-level validators say "field: problem"; lift the field into the path.
    head, sep, rest = message.partition(": ")
    if sep and head and " " not in head:
        path = f"{path}.{head}" if path else head
        message = rest
    return FieldProblem(field=path or "(document)", problem=message[:1].lower() + message[1:])


def field_problems(error: ValidationError) -> list[FieldProblem]:
    """One :class:`FieldProblem` per pydantic error, in order."""
    return [_split(tuple(item["loc"]), item["msg"]) for item in error.errors()]


def describe(error: ValidationError) -> str:
    """A plain-words summary: ``legal_entity: field required; lines.0.quantity: ...``."""
    return "; ".join(str(problem) for problem in field_problems(error))


def parse_entity(model: type[M], data: Any, *, owner: Team = Team.MASTER_DATA,
                 system: str | None = None) -> M:
    """Validate ``data`` as ``model``; on failure raise :class:`DataQualityError` naming
    the first bad field (all problems are in ``detail``)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = field_problems(exc)
        first = problems[0]
        raise DataQualityError(first.field, first.problem, owner=owner, system=system,
                               detail=describe(exc)) from exc


__all__ = ["FieldProblem", "describe", "field_problems", "parse_entity"]
