"""Wiring: the AvaTax REST v2 API (transactions, addresses, definitions, customers and
exemption certificates), the shared control plane and the AvaTax-specific controls.

Every API request passes, in order: the correlation id (``X-Correlation-Id`` on every
answer, faults included: the official client reads it for its log), faults, the
client-identification header (``X-Avalara-Client``, 400 without it), HTTP Basic auth with
the account id and license key (401 with AvaTax's error body otherwise; ``ping`` answers
without credentials and says whether they were accepted), then the handler.

| control                            | does                                                |
|------------------------------------|-----------------------------------------------------|
| GET /__sandbox/avatax/rates        | the rate table's version and content               |
| GET /__sandbox/avatax/clients      | the latest ``X-Avalara-Client`` values, in order    |
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from accord.sandboxes.avatax.definitions import definitions_router
from accord.sandboxes.avatax.errors import (
    AvaTaxError,
    Target,
    not_found,
    render_fault,
    required,
    unauthenticated,
)
from accord.sandboxes.avatax.exemptions import Exemptions, exemptions_router
from accord.sandboxes.avatax.rates import load
from accord.sandboxes.avatax.store import Company, Store
from accord.sandboxes.avatax.transactions import Transactions, transactions_router
from accord.sandboxes.base import SandboxEndpoint, SandboxOptions
from accord.sandboxes.control import SandboxControl, install_controls
from accord.sandboxes.faults import CONTROL_PREFIX

DEFAULT_ACCOUNT_ID = "2000134479"
DEFAULT_LICENSE_KEY = "ACCORDSANDBOX0000000000000000000"
API_VERSION = "26.10.0"
PING = "/api/v2/utilities/ping"
CLIENT_HEADER = "x-avalara-client"
CLIENTS_KEPT = 1000  # the latest client headers, for tests; a long run keeps no more


class AvaTaxSandboxSettings(BaseModel):
    """``SandboxOptions.settings`` for this sandbox."""

    model_config = ConfigDict(extra="forbid")

    account_id: str = Field(default=DEFAULT_ACCOUNT_ID, pattern=r"^\d+$")
    license_key: str = DEFAULT_LICENSE_KEY
    company_id: int = Field(default=7_305_112, ge=1)
    company_code: str = "DEFAULT"
    company_name: str = "accord sandbox company"


class AvaTaxState:
    """The control plane's view: records and the clients seen, reset together."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.clients: deque[str] = deque(maxlen=CLIENTS_KEPT)

    def reset(self) -> None:
        self.store.reset()
        self.clients.clear()

    def dump(self) -> dict[str, Any]:
        return self.store.dump()


def _credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def controls_router(state: AvaTaxState) -> APIRouter:
    router = APIRouter(prefix=f"{CONTROL_PREFIX}/avatax", tags=["sandbox control"])

    @router.get("/rates")
    def rates() -> dict[str, Any]:
        return load().model_dump(mode="json")

    @router.get("/clients")
    def clients() -> list[str]:
        return list(state.clients)

    return router


def create_app(options: SandboxOptions) -> FastAPI:
    settings = AvaTaxSandboxSettings(**options.settings)
    table = load()
    control = SandboxControl("avatax")
    store = Store(Company(settings.company_id, settings.company_code, settings.company_name))
    state = AvaTaxState(store)
    app = FastAPI(title="accord AvaTax sandbox", redirect_slashes=False)
    app.state.avatax = state
    install_controls(app, control, state, render_fault)
    app.include_router(controls_router(state))
    app.include_router(definitions_router(table, store, API_VERSION))
    app.include_router(transactions_router(Transactions(table, store, control.clock)))
    app.include_router(exemptions_router(Exemptions(table, store, control.clock)))
    expected = (settings.account_id, settings.license_key)

    @app.middleware("http")
    async def gatekeeper(request: Request,
                         call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if path.startswith(CONTROL_PREFIX):
            return await call_next(request)
        client = request.headers.get(CLIENT_HEADER)
        if not client:
            return required("X-Avalara-Client").response()
        state.clients.append(client)
        given = _credentials(request.headers.get("authorization"))
        if given == expected:
            request.state.account_id = int(settings.account_id)
        elif path != PING:
            return unauthenticated("no credentials" if given is None else
                                   "the account id or license key is wrong").response()
        return await call_next(request)

    @app.middleware("http")
    async def correlation(request: Request,
                          call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers["X-Correlation-Id"] = str(uuid.uuid4())
        return response

    @app.exception_handler(AvaTaxError)
    async def avatax_error(_request: Request, error: AvaTaxError) -> Response:
        return error.response()

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, error: RequestValidationError) -> Response:
        first = error.errors()[0] if error.errors() else {}
        field = ".".join(str(part) for part in first.get("loc", ())[1:]) or "request"
        return AvaTaxError(400, "RangeSetError", f"{field}: {first.get('msg', 'invalid')}",
                           target=Target.REQUEST, refers_to=field).response()

    @app.exception_handler(404)
    async def unknown(request: Request, _error: Exception) -> Response:
        return not_found("Resource", request.url.path).response()

    @app.exception_handler(405)
    async def not_allowed(request: Request, _error: Exception) -> Response:
        return AvaTaxError(405, "MethodNotAllowed", f"{request.method} is not allowed on "
                           f"{request.url.path}.", target=Target.REQUEST).response()

    return app


def credentials(endpoint: SandboxEndpoint) -> dict[str, str]:
    return {"base_url": endpoint.base_url, "account_id": DEFAULT_ACCOUNT_ID,
            "license_key": DEFAULT_LICENSE_KEY, "company_code": "DEFAULT"}


__all__ = ["DEFAULT_ACCOUNT_ID", "DEFAULT_LICENSE_KEY", "AvaTaxSandboxSettings",
           "create_app", "credentials"]
