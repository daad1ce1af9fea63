"""Account governance: the concurrency limit and asynchronous requests with idempotency keys.

* Every request to the REST services takes one of the account's concurrent-request slots
  (default 5, overridable by the fault settings' ``concurrency_limit``); beyond the limit the
  account answers 429 ``CONCURRENCY_LIMIT_EXCEEDED``. A slot is given back just before the
  final response bytes are sent, so a client that waits for its answer before sending the
  next request never appears to exceed its own concurrency.
* ``Prefer: respond-async`` runs a request as a job: 202 with ``Location:
  /services/rest/async/v1/job/<id>``. A second request with the same
  ``X-NetSuite-Idempotency-Key`` is refused with 400 ``IDEMPOTENCY_ERROR`` and the first job's
  ``Location``, as documented.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.sandboxes.faults import CONTROL_PREFIX
from accord.sandboxes.netsuite import wire
from accord.sandboxes.netsuite.errors import ErrorCode, NetSuiteError, envelope, error_response

DEFAULT_CONCURRENCY = 5
ASYNC_PREFIX = "/services/rest/async/"
JOB_SCOPE_KEY = "accord.netsuite.job"
"""Set in the ASGI scope of a request run as a job (its job id): batch operations need it."""


class GovernanceView(BaseModel):
    limit: int
    in_flight: int
    peak: int
    """Most requests seen at once, counting ones refused for the limit."""
    peak_admitted: int
    admitted: int
    rejected: int


class Governor:
    """Counts concurrent requests for the whole account."""

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self.in_flight = self.peak = self.peak_admitted = self.admitted = self.rejected = 0

    def reset(self) -> None:
        with self._lock:
            self.peak_admitted = self.admitted = self.rejected = 0
            self.peak = self.in_flight

    def enter(self) -> bool:
        with self._lock:
            self.peak = max(self.peak, self.in_flight + 1)
            if self.in_flight >= self._limit():
                self.rejected += 1
                return False
            self.in_flight += 1
            self.admitted += 1
            self.peak_admitted = max(self.peak_admitted, self.in_flight)
            return True

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def view(self) -> GovernanceView:
        with self._lock:
            return GovernanceView(limit=self._limit(), in_flight=self.in_flight, peak=self.peak,
                                  peak_admitted=self.peak_admitted, admitted=self.admitted,
                                  rejected=self.rejected)


def _governed(scope: Scope) -> bool:
    return scope["type"] == "http" and not scope["path"].startswith(CONTROL_PREFIX)


class ConcurrencyMiddleware:
    def __init__(self, app: ASGIApp, governor: Governor) -> None:
        self.app = app
        self.governor = governor

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _governed(scope):
            await self.app(scope, receive, send)
            return
        if not self.governor.enter():
            error = NetSuiteError(429, ErrorCode.CONCURRENCY_LIMIT_EXCEEDED,
                                  "Concurrent request limit exceeded. Request blocked.")
            await error_response(error)(scope, receive, send)
            return
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.governor.leave()

        async def send_releasing(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                release()
            await send(message)

        try:
            await self.app(scope, receive, send_releasing)
        finally:
            release()


# -- asynchronous requests -----------------------------------------------------------------
@dataclass
class Job:
    id: str
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status < 300


class JobBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.jobs: dict[str, Job] = {}
        self.keys: dict[str, str] = {}
        self._next = 0

    def reset(self) -> None:
        with self._lock:
            self.jobs.clear()
            self.keys.clear()

    def open(self, key: str | None) -> tuple[Job, bool]:
        """A new job, or (the earlier job, False) when the idempotency key was used."""
        with self._lock:
            if key is not None and key in self.keys:
                return self.jobs[self.keys[key]], False
            self._next += 1
            job = Job(str(self._next))
            self.jobs[job.id] = job
            if key is not None:
                self.keys[key] = job.id
            return job, True

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def root_url(scope: Scope) -> str:
    host = _header(scope, b"host") or "localhost"
    return f"{scope.get('scheme', 'http')}://{host}"


class AsyncRequestMiddleware:
    def __init__(self, app: ASGIApp, jobs: JobBook) -> None:
        self.app = app
        self.jobs = jobs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        prefer = (_header(scope, b"prefer") or "") if _governed(scope) else ""
        if "respond-async" not in prefer.lower() or scope["path"].startswith(ASYNC_PREFIX):
            await self.app(scope, receive, send)
            return
        key = _header(scope, b"x-netsuite-idempotency-key")
        job, fresh = self.jobs.open(key)
        location = f"{root_url(scope)}/services/rest/async/v1/job/{job.id}"
        if not fresh:
            body = envelope(400, ErrorCode.IDEMPOTENCY_ERROR,
                            "A request with the same idempotency key is already submitted. See "
                            "the \"Location\" header for a link to the previously submitted job")
            body["title"] = "Conflict"
            body["type"] = "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.10"
            await _send(send, 400, wire.dumps(body).encode(),
                        [(b"location", location.encode()),
                         (b"preference-applied", b"respond-async")])
            return

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                job.status = int(message["status"])
                job.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                job.body += message.get("body", b"")

        await self.app({**scope, JOB_SCOPE_KEY: job.id}, receive, capture)
        await _send(send, 202, b"", [(b"location", location.encode()),
                                     (b"preference-applied", b"respond-async")])


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
                ) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


def job_view(job: Job, root: str) -> dict[str, Any]:
    href = f"{root}/services/rest/async/v1/job/{job.id}"
    return {"links": [{"rel": "self", "href": href}], "completed": True, "id": job.id,
            "progress": "succeeded" if job.succeeded else "failed",
            "task": {"links": [{"rel": "self", "href": f"{href}/task"}]}}


__all__ = ["DEFAULT_CONCURRENCY", "JOB_SCOPE_KEY", "AsyncRequestMiddleware",
           "ConcurrencyMiddleware",
           "GovernanceView", "Governor", "Job", "JobBook", "job_view", "root_url"]
