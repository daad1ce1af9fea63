"""ASGI middleware in front of the REST API: session check, limits, the usage header.

Requests under ``/services/`` need ``Authorization: Bearer <session id>`` (401
``INVALID_SESSION_ID`` otherwise, not counted), then count against the limits; every answer
gets ``Sforce-Limit-Info``.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.sandboxes.salesforce.errors import ApiError, ErrorCode
from accord.sandboxes.salesforce.limits import ApiLimits
from accord.sandboxes.salesforce.values import dumps

API_PREFIX = "/services/"


def error_response(error: ApiError, limit_info: str | None = None) -> Response:
    headers = dict(error.headers)
    if limit_info:
        headers["Sforce-Limit-Info"] = limit_info
    return Response(dumps(error.body()), status_code=error.status, headers=headers,
                    media_type="application/json;charset=UTF-8")


class ApiGate:
    def __init__(self, app: ASGIApp, session_id: str, limits: ApiLimits) -> None:
        self.app = app
        self.session_id = session_id
        self.limits = limits

    def _authorized(self, headers: Headers) -> bool:
        value = headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        return scheme.lower() in ("bearer", "oauth") and hmac.compare_digest(
            token.strip().encode(), self.session_id.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX) \
                or scope["path"].rstrip("/") == "/services/data":
            await self.app(scope, receive, send)
            return
        if not self._authorized(Headers(scope=scope)):
            error = ApiError.one(401, ErrorCode.INVALID_SESSION_ID, "Session expired or invalid")
            await error_response(error)(scope, receive, send)
            return
        try:
            self.limits.admit()
        except ApiError as error:
            await error_response(error, self.limits.header())(scope, receive, send)
            return

        async def with_usage(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Sforce-Limit-Info"] = self.limits.header()
            await send(message)

        try:
            await self.app(scope, receive, with_usage)
        finally:
            self.limits.release()


__all__ = ["API_PREFIX", "ApiGate", "error_response"]
