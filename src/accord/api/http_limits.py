"""Connection limits for ``accord serve``: a read timeout and a cap on concurrent work.

uvicorn closes an idle kept-alive connection after ``timeout_keep_alive`` but sets no limit
on how long a request may take to arrive: a client that opens a connection and sends nothing,
half a header, or ``Content-Length: 1000`` and 7 bytes, holds the connection (and, with a
body, a running request) for ever. :func:`read_timeout_protocol` gives uvicorn's h11
protocol a read deadline: from a connection's first moment (or a new request's first byte)
the whole request, headers and body, must arrive within ``http_read_timeout_seconds``; else
the server answers ``408 Request Timeout`` (when it has not begun answering) and closes the
connection. Time the application spends on a fully received request is not limited.

``http_max_connections`` is uvicorn's ``limit_concurrency``: beyond that many open
connections or running requests, a new request is answered 503 at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

TIMEOUT_BODY = b"request timeout: the request did not arrive in time\n"
TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\n"
                    b"content-type: text/plain; charset=utf-8\r\n"
                    b"connection: close\r\n"
                    b"content-length: " + str(len(TIMEOUT_BODY)).encode() + b"\r\n\r\n"
                    + TIMEOUT_BODY)
FINISHED = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR)
"""States of the client's side in which nothing more is awaited from it."""


class ReadTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on receiving each request."""

    read_timeout: float = 15.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_deadline: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        if self._read_deadline is None:
            self._read_deadline = self.loop.call_later(self.read_timeout, self._timed_out)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state not in FINISHED:
            self._arm()  # a request is arriving: its deadline counts from its first byte
        super().data_received(data)
        if self.conn.their_state in FINISHED:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _timed_out(self) -> None:
        self._read_deadline = None
        if self.transport.is_closing() or self.conn.their_state in FINISHED:
            return
        cycle = self.cycle
        if cycle is None or not cycle.response_started:
            self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()


def read_timeout_protocol(seconds: float) -> type[H11Protocol]:
    """The protocol class for ``uvicorn.Config(http=...)`` with a ``seconds`` deadline."""
    return type("AccordH11Protocol", (ReadTimeoutH11Protocol,), {"read_timeout": seconds})


__all__ = ["ReadTimeoutH11Protocol", "read_timeout_protocol"]
