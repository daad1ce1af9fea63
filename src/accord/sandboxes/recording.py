"""Recording what a sandbox answers, so a test can judge every response afterwards.

``Recorder`` is an ASGI middleware factory: ``SandboxOptions(recorder=Recorder())`` makes
:func:`accord.sandboxes.server.start_in_thread` wrap the sandbox's app with it, and each HTTP
exchange is kept as an :class:`Exchange` (method, path, query, status, content type, body).
Contract tests collect the exchanges of a whole test session and check each body against the
vendor's published description of its objects. The control plane (``/__sandbox/...``) is not
the vendor's API and is not recorded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTROL_PREFIX = "/__sandbox"


@dataclass(frozen=True)
class Exchange:
    """One request and the sandbox's answer."""

    sandbox: str
    method: str
    path: str
    query: str
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def is_json(self) -> bool:
        return "json" in self.content_type and bool(self.body)


@dataclass
class Recorder:
    """Keeps the exchanges of every app it wraps; safe to share between sandboxes and
    threads."""

    exchanges: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wrap(self, app: ASGIApp, sandbox: str) -> ASGIApp:
        return _Recording(app, self, sandbox)

    def add(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)

    def of(self, sandbox: str) -> Iterator[Exchange]:
        with self._lock:
            kept = list(self.exchanges)
        return (exchange for exchange in kept if exchange.sandbox == sandbox)

    def clear(self) -> None:
        with self._lock:
            self.exchanges.clear()


class _Recording:
    def __init__(self, app: ASGIApp, recorder: Recorder, sandbox: str) -> None:
        self.app = app
        self.recorder = recorder
        self.sandbox = sandbox

    def __getattr__(self, name: str) -> Any:
        # the wrapped app's ``state`` and friends stay reachable
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        status = 0
        content_type = ""
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for key, value in message.get("headers", []):
                    if key.lower() == b"content-type":
                        content_type = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
            await send(message)

        await self.app(scope, receive, keep)
        self.recorder.add(Exchange(
            sandbox=self.sandbox, method=str(scope["method"]), path=str(scope["path"]),
            query=bytes(scope.get("query_string", b"")).decode("latin-1"), status=status,
            content_type=content_type, body=b"".join(chunks)))


__all__ = ["CONTROL_PREFIX", "Exchange", "Recorder"]
