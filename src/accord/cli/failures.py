"""Expected failures end a command with one line and a documented exit code.

==== =====================================================================================
code meaning
==== =====================================================================================
0    done
1    the command ran and found a problem (``doctor`` failed a check, the demo lost or
     doubled a record, ``reconcile`` found differences)
2    the command or the configuration is wrong: a bad or missing setting, an unknown
     system, an invalid argument (the line names the setting and how to fix it)
3    something accord needs is not there: the database, a system, a free port
==== =====================================================================================

A traceback is printed only with ``accord --debug`` (or ``ACCORD_DEBUG=1``).
"""

from __future__ import annotations

import errno
from enum import IntEnum

from pydantic import ValidationError

from accord.errors import AccordError


class ExitCode(IntEnum):
    OK = 0
    PROBLEM_FOUND = 1
    CONFIGURATION = 2
    UNAVAILABLE = 3


class CommandFailed(Exception):
    """Raised by a command to stop with ``message`` and ``code``."""

    def __init__(self, message: str, code: ExitCode) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _validation_line(exc: ValidationError) -> str:
    problem = exc.errors()[0]
    where = ".".join(str(part) for part in problem["loc"]) or exc.title
    return f"{where}: {problem['msg']} (setting of {exc.title})"


def describe(exc: BaseException) -> tuple[str, ExitCode] | None:
    """The line and exit code for an expected failure; None for a bug (traceback)."""
    # imported here, when a command failed, so that a command starts without them
    from sqlalchemy.exc import OperationalError, SQLAlchemyError

    from accord.bootstrap.config import UnknownSystemError
    from accord.engine.schedules import ScheduleError
    from accord.settings import ConfigFileError

    if isinstance(exc, CommandFailed):
        return exc.message, exc.code
    if isinstance(exc, ConfigFileError | ScheduleError | UnknownSystemError):
        return str(exc), ExitCode.CONFIGURATION
    if isinstance(exc, ValidationError):
        return _validation_line(exc), ExitCode.CONFIGURATION
    if isinstance(exc, OperationalError):
        original = getattr(exc, "orig", None)
        reason = str(original).strip().splitlines()[0] if original else type(exc).__name__
        return (f"database unreachable: {reason} (check ACCORD_DATABASE_URL, or that the "
                "database server runs)"), ExitCode.UNAVAILABLE
    if isinstance(exc, SQLAlchemyError):
        return f"database error: {type(exc).__name__}: {exc}".splitlines()[0], \
            ExitCode.UNAVAILABLE
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return f"address already in use: {exc.strerror} (pass --port N, or stop what " \
               "listens there)", ExitCode.UNAVAILABLE
    if isinstance(exc, AccordError):
        return str(exc), ExitCode.UNAVAILABLE
    return None


__all__ = ["CommandFailed", "ExitCode", "describe"]
