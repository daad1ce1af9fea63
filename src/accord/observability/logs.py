"""Structured logs: one JSON object per line, on every process.

Every line carries ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``, ``event`` (the
message) and, inside a trace, ``trace_id``, ``span_id`` and ``correlation_id`` (read from
the current span, which the engine opens for each intake, flow and step), so a line leads to
the trace waterfall and the timeline of the business event it is about.

accord's own modules, DBOS and uvicorn log through the standard library; structlog's
formatter renders all of them alike. Nothing personal or secret is written:

* fields whose name says they hold a secret, a person's data or a customer's identity - the
  product's one vocabulary, :mod:`accord.canonical.privacy` (``password``, ``token``,
  ``api_key``, ``authorization``, ``email``, ``name``, ``phone``, ``address``,
  ``legal_name``, ...) - are replaced by ``"[redacted]"``;
* e-mail addresses and credential-shaped strings (``sk_live_…``, ``Bearer …``, URL
  passwords) are masked inside every message and value.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Mapping
from typing import Any, TextIO

import structlog
from opentelemetry import trace
from structlog.types import EventDict, Processor, WrappedLogger

from accord.canonical.privacy import IDENTIFYING_WORDS, is_personal, is_secret, normalise

CORRELATION_ATTRIBUTE = "accord.correlation_id"
REDACTED = "[redacted]"


def sensitive(field: str) -> bool:
    """Whether a field's value is never written: a secret, personal or identifying one."""
    return (is_secret(field) or is_personal(field)
            or normalise(field) in IDENTIFYING_WORDS)


_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"\b(sk|rk|pk|whsec)_(test|live)?_?[A-Za-z0-9]{6,}"), "[key]"),
    (re.compile(r"(?i)\b(bearer|basic|oauth)\s+[A-Za-z0-9._~+/=,\"-]{6,}"), r"\1 [secret]"),
    (re.compile(r"(?i)(://[^:/@\s]+:)[^@\s]+@"), r"\1[secret]@"),
    (re.compile(r"\baccord_[A-Za-z0-9_-]{20,}"), "[token]"),
)
KEPT = frozenset({"event", "level", "logger", "timestamp", "trace_id", "span_id",
                  "correlation_id", "exception"})


def mask(text: str) -> str:
    """``text`` with e-mail addresses and credential-shaped strings masked."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, Mapping):
        return {k: REDACTED if sensitive(str(k)) else _scrub(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def redact(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """Drop sensitive fields' values and mask secrets and e-mail addresses everywhere."""
    for key in list(event):
        if key not in KEPT and sensitive(key):
            event[key] = REDACTED
        else:
            event[key] = _scrub(event[key])
    return event


def add_trace(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """``trace_id``, ``span_id`` and ``correlation_id`` of the current span, if any."""
    span = trace.get_current_span()
    context = span.get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", format(context.trace_id, "032x"))
        event.setdefault("span_id", format(context.span_id, "016x"))
        attributes: Mapping[str, Any] = getattr(span, "attributes", None) or {}
        correlation = attributes.get(CORRELATION_ATTRIBUTE)
        if correlation:
            event.setdefault("correlation_id", str(correlation))
    return event


def _render_exception(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """An exception as its type and masked message, without locals or record data."""
    info = event.pop("exc_info", None)
    if info:
        if info is True:
            info = sys.exc_info()
        if isinstance(info, BaseException):
            info = (type(info), info, info.__traceback__)
        if isinstance(info, tuple) and info[0] is not None:
            event["exception"] = mask("".join(
                traceback.format_exception(*info))[-4000:])
    return event


SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    add_trace,
]
HANDLER_NAME = "accord-json"
DBOS_HANDLER = "__dbos_console_log_handler__"  # DBOS keeps a handler of this name


def handler(stream: TextIO | None = None, *, json: bool = True) -> logging.Handler:
    """A standard-library handler rendering records as accord's lines."""
    renderer: Processor = (structlog.processors.JSONRenderer() if json
                           else structlog.dev.ConsoleRenderer(colors=False))
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*SHARED, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    _render_exception, redact, renderer])
    found = logging.StreamHandler(stream or sys.stderr)
    found.setFormatter(formatter)
    return found


def configure_logging(level: str = "INFO", *, json: bool = True,
                      stream: TextIO | None = None) -> None:
    """Route every log line of this process (accord, DBOS, uvicorn) through structlog."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.name == HANDLER_NAME]:
        root.removeHandler(old)
    main = handler(stream, json=json)
    main.name = HANDLER_NAME
    root.addHandler(main)
    root.setLevel(level.upper())
    dbos = logging.getLogger("dbos")
    for old in list(dbos.handlers):
        dbos.removeHandler(old)
    own = handler(stream, json=json)
    own.name = DBOS_HANDLER  # DBOS then adds none of its own, and tunes this one's level
    dbos.addHandler(own)
    dbos.propagate = False
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    structlog.configure(
        processors=[*SHARED, structlog.stdlib.PositionalArgumentsFormatter(),
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger, cache_logger_on_first_use=True)


__all__ = [
    "REDACTED",
    "add_trace",
    "configure_logging",
    "handler",
    "mask",
    "redact",
    "sensitive",
]
