"""Actions a person takes on the exception queue, shared by the API and the console."""

from __future__ import annotations

from enum import StrEnum

from accord.engine.exception_queue import ExceptionView, ignore_exception, resolve_exception
from accord.store import Database


class Closing(StrEnum):
    RESOLVE = "resolve"
    IGNORE = "ignore"


def close_exception(database: Database, exception_id: int, action: Closing, *, actor: str,
                    note: str, token_id: int | None = None) -> ExceptionView:
    """Resolve (fixed) or ignore (needs no action) with a note; the engine audits it with
    the acting token's id."""
    closer = resolve_exception if action is Closing.RESOLVE else ignore_exception
    return closer(database, exception_id, actor=actor, note=note, token_id=token_id)


__all__ = ["Closing", "close_exception"]
