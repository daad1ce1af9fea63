"""The error taxonomy every layer speaks.

Errors are classified by what should happen next, not by where they came from:

| class            | flow outcome                                             |
|------------------|----------------------------------------------------------|
| TransientError   | retry with backoff (timeouts, connection failures, 5xx)  |
| RateLimited      | retry, waiting at least ``retry_after`` seconds          |
| DataQualityError | no retry; straight to the exception queue with an owner  |
| ConflictError    | no retry; the caller re-reads and decides                |
| PermanentError   | no retry; exception queue (integration engineering)      |

This module sits at the bottom of the dependency graph so that connectors (which classify
vendor responses) and the engine (which acts on the class) share one vocabulary. Every error
has a stable ``code`` and survives a round trip through :meth:`AccordError.to_record` /
:func:`error_from_record`, so it can be stored in the exception queue and reloaded.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class Outcome(StrEnum):
    """What a flow does with an error."""

    RETRY = "retry"
    EXCEPTION = "exception"
    STOP = "stop"


class Team(StrEnum):
    """Owning teams for exceptions."""

    FINANCE_OPERATIONS = "finance_operations"
    REVENUE_OPERATIONS = "revenue_operations"
    MASTER_DATA = "master_data"
    INTEGRATION_ENGINEERING = "integration_engineering"


class AccordError(Exception):
    """Base of every classified error. ``system`` names the system that answered, if any."""

    code: ClassVar[str] = "accord_error"
    outcome: ClassVar[Outcome] = Outcome.STOP

    def __init__(self, message: str, *, system: str | None = None, status: int | None = None,
                 detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.system = system
        self.status = status
        self.detail = detail

    def to_record(self) -> dict[str, Any]:
        """A JSON-safe dict from which :func:`error_from_record` rebuilds an equal error."""
        return {
            "code": self.code,
            "message": self.message,
            "system": self.system,
            "status": self.status,
            "detail": self.detail,
            **self._extra(),
        }

    def _extra(self) -> dict[str, Any]:
        return {}

    def __str__(self) -> str:
        prefix = f"[{self.system}] " if self.system else ""
        return f"{prefix}{self.message}"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.to_record() == other.to_record()

    def __hash__(self) -> int:
        return hash((self.code, self.message, self.system))


class TransientError(AccordError):
    """A failure that is expected to pass: timeout, connection reset, 5xx."""

    code = "transient"
    outcome = Outcome.RETRY


class RateLimited(TransientError):
    """The system refused because of a rate or concurrency limit; wait ``retry_after`` seconds."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, system: str | None = None,
                 status: int | None = 429, detail: str | None = None) -> None:
        super().__init__(message, system=system, status=status, detail=detail)
        self.retry_after = retry_after

    def _extra(self) -> dict[str, Any]:
        return {"retry_after": self.retry_after}


class DataQualityError(AccordError):
    """The data itself is wrong; a person who owns it must fix it. Never retried as is."""

    code = "data_quality"
    outcome = Outcome.EXCEPTION

    def __init__(self, field: str, reason: str, *, owner: Team = Team.MASTER_DATA,
                 system: str | None = None, status: int | None = None,
                 detail: str | None = None) -> None:
        super().__init__(f"{field}: {reason}", system=system, status=status, detail=detail)
        self.field = field
        self.reason = reason
        self.owner = Team(owner)

    def _extra(self) -> dict[str, Any]:
        return {"field": self.field, "reason": self.reason, "owner": self.owner.value}


class ConflictError(AccordError):
    """The write conflicts with the system's current state (duplicate, stale version)."""

    code = "conflict"
    outcome = Outcome.EXCEPTION


class PermanentError(AccordError):
    """Retrying cannot help: bad credentials, unsupported operation, a bug."""

    code = "permanent"
    outcome = Outcome.EXCEPTION


_BY_CODE: dict[str, type[AccordError]] = {
    cls.code: cls
    for cls in (AccordError, TransientError, RateLimited, DataQualityError, ConflictError,
                PermanentError)
}


def error_from_record(record: dict[str, Any]) -> AccordError:
    """Rebuild an error stored with :meth:`AccordError.to_record`."""
    code = record.get("code")
    cls = _BY_CODE.get(str(code))
    if cls is None:
        raise ValueError(f"code: unknown error code {code!r}")
    common = {
        "system": record.get("system"),
        "status": record.get("status"),
        "detail": record.get("detail"),
    }
    if cls is DataQualityError:
        return DataQualityError(record["field"], record["reason"], owner=Team(record["owner"]),
                                **common)
    if cls is RateLimited:
        return RateLimited(record["message"], retry_after=record.get("retry_after"), **common)
    return cls(record["message"], **common)


__all__ = [
    "AccordError",
    "ConflictError",
    "DataQualityError",
    "Outcome",
    "PermanentError",
    "RateLimited",
    "Team",
    "TransientError",
    "error_from_record",
]
