"""Errors raised by the engine itself (not by the systems it calls)."""

from __future__ import annotations

from typing import Any

from accord.errors import AccordError, PermanentError, error_from_record


class EngineError(Exception):
    """Base of the engine's own errors."""


class EngineNotRunning(EngineError):
    """The engine runtime has not been launched in this process."""


class UnknownTarget(EngineError):
    """No workflow, correlation id or exception matches what was asked for."""


class AlreadyClosed(EngineError):
    """The exception was already resolved or ignored: closing it again would overwrite who
    closed it and why (an HTTP 409)."""


class StepFailed(Exception):
    """A step ended with a classified error. Carries the error as a JSON record so that DBOS
    can store and reload it (accord errors take keyword arguments and do not pickle)."""

    def __init__(self, record: dict[str, Any], step: str, system: str | None = None,
                 entity: str | None = None) -> None:
        super().__init__(record, step, system, entity)
        self.record = record
        self.step = step
        self.system = system
        self.entity = entity

    @property
    def error(self) -> AccordError:
        """The classified error (codes unknown to the taxonomy come back as permanent)."""
        try:
            return error_from_record(self.record)
        except (ValueError, KeyError):
            return PermanentError(str(self.record.get("message")),
                                  system=self.record.get("system"),
                                  status=self.record.get("status"),
                                  detail=self.record.get("detail"))

    def __str__(self) -> str:
        return f"step {self.step} failed: {self.record.get('message')}"


class FlowFailed(Exception):
    """A flow stopped on a failed step; ``exception_id`` names its exception queue record."""

    def __init__(self, record: dict[str, Any], step: str, exception_id: int | None) -> None:
        super().__init__(record, step, exception_id)
        self.record = record
        self.step = step
        self.exception_id = exception_id

    def __str__(self) -> str:
        return (f"flow stopped at {self.step}: {self.record.get('message')} "
                f"(exception {self.exception_id})")


__all__ = ["AlreadyClosed", "EngineError", "EngineNotRunning", "FlowFailed", "StepFailed",
           "UnknownTarget"]
