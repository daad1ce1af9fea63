"""A webhook receiver for tests: an HTTP endpoint that keeps every delivery (method, URL,
headers, body) and answers with the statuses it is told, then 200."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accord.sandboxes.server import serve_in_thread


@dataclass(frozen=True)
class Delivery:
    url: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    url: str = ""
    answers: list[int] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def receive(self, request: Request) -> Response:
        body = (await request.body()).decode()
        with self.lock:
            self.deliveries.append(Delivery(self.url, dict(request.headers), body))
            status = self.answers.pop(0) if self.answers else 200
        return Response(status_code=status)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.deliveries) >= count:
                    return list(self.deliveries)
            time.sleep(0.02)
        raise AssertionError(f"{len(self.deliveries)} deliveries arrived, {count} expected")


@contextmanager
def receiving(path: str = "/hooks/hubspot") -> Iterator[Receiver]:
    receiver = Receiver()
    app = Starlette(routes=[Route(path, receiver.receive, methods=["POST"])])
    server = serve_in_thread(app, name="webhook-receiver")
    receiver.url = f"http://{server.host}:{server.port}{path}"
    try:
        yield receiver
    finally:
        server.stop()
