"""Riding out a lost database connection.

A database restart, a failover or an administrator terminating sessions cuts every open
connection: the statement in flight fails with ``OperationalError`` (psycopg's
``AdminShutdown``, "server closed the connection unexpectedly", ...) although nothing is
wrong with the work. accord's own writes - limit slots, timeline rows, exception records -
must wait for the database to come back rather than fail the flow that made them.

:func:`is_disconnect` tells such an error from a real one (a constraint violation, a bad
statement), and :func:`retry_on_disconnect` retries a function on it for up to
``DISCONNECT_PATIENCE`` seconds. The engine's pool pings connections before use
(``pool_pre_ping``), so a retry gets a fresh connection. Only whole units of work are retried:
a function wrapped here must open and commit its own transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from tenacity import (
    RetryCallState,
    retry,
    retry_if_exception,
    stop_after_delay,
    wait_exponential_jitter,
)

P = ParamSpec("P")
R = TypeVar("R")

DISCONNECT_PATIENCE = 120.0
"""Seconds a unit of work waits for a lost database to come back before failing."""

log = logging.getLogger(__name__)


def is_disconnect(error: BaseException) -> bool:
    """Whether ``error`` is the database going away rather than something the statement did.

    SQLAlchemy marks errors it recognises as disconnects (``connection_invalidated``);
    ``OperationalError`` and ``InterfaceError`` cover the rest of the lost-connection family
    (a server shutting down, a refused connection while it restarts). SQLite's "database is
    locked" is an ``OperationalError`` too, and waiting is the right answer to it as well."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError | InterfaceError)


def _log_wait(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    log.warning("database unavailable (%s); retrying %s, attempt %d",
                type(error).__name__, getattr(state.fn, "__qualname__", "a unit of work"),
                state.attempt_number)


def retry_on_disconnect(fn: Callable[P, R]) -> Callable[P, R]:
    """Retry ``fn`` while it fails because the database is unreachable, for at most
    :data:`DISCONNECT_PATIENCE` seconds, then raise the last error."""
    return retry(
        retry=retry_if_exception(is_disconnect),
        wait=wait_exponential_jitter(multiplier=0.1, max=5.0, jitter=0.5),
        stop=stop_after_delay(DISCONNECT_PATIENCE),
        reraise=True,
        before_sleep=_log_wait,
    )(fn)


__all__ = ["DISCONNECT_PATIENCE", "is_disconnect", "retry_on_disconnect"]
