"""Wiring: the CRM API (v3 objects, v4 associations, pipelines), the shared control plane,
HubSpot-specific controls, the token and limits gate, and the webhook delivery thread.

Every API request passes, in order: faults, the private-app token (``Authorization: Bearer``,
401 otherwise), the limits (429), then the handler; each answer carries the
``X-HubSpot-RateLimit-*`` headers.

| control                                   | does                                          |
|-------------------------------------------|-----------------------------------------------|
| GET/PUT /__sandbox/hubspot/limits         | the ten-second and daily limits; what they did |
| GET/PUT /__sandbox/hubspot/webhooks       | target URL, retries, batches, subscriptions, faults |
| POST    /__sandbox/hubspot/webhooks/flush | deliver pending events and due retries now    |
| GET     /__sandbox/hubspot/webhooks/attempts | each delivery attempt, its answer     |
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from accord.sandboxes.base import SandboxEndpoint, SandboxOptions
from accord.sandboxes.control import SandboxControl, install_controls
from accord.sandboxes.faults import CONTROL_PREFIX
from accord.sandboxes.hubspot.associations import associations_router
from accord.sandboxes.hubspot.errors import HubSpotError, not_found, render_fault, unauthenticated
from accord.sandboxes.hubspot.limits import LimitSettings, LimitsView, RateGate
from accord.sandboxes.hubspot.objects import objects_router
from accord.sandboxes.hubspot.properties import properties_router
from accord.sandboxes.hubspot.store import Store
from accord.sandboxes.hubspot.webhooks import Dispatcher, WebhookSettings

DEFAULT_ACCESS_TOKEN = "pat-na1-accord-sandbox-0000-0000-000000000000"  # noqa: S105
DEFAULT_APP_SECRET = "accord-sandbox-app-secret-0000000000"  # noqa: S105


class HubSpotSandboxSettings(BaseModel):
    """``SandboxOptions.settings`` for this sandbox."""

    model_config = ConfigDict(extra="forbid")

    access_token: str = DEFAULT_ACCESS_TOKEN
    app_secret: str = DEFAULT_APP_SECRET
    portal_id: int = 62515
    app_id: int = 1_160_452
    ten_second_limit: int = Field(default=190, ge=1)
    daily_limit: int = Field(default=625_000, ge=1)
    webhook_url: str | None = None


class HubSpotState:
    """The control plane's view: records, limits and the webhook queue, reset together."""

    def __init__(self, store: Store, gate: RateGate, dispatcher: Dispatcher) -> None:
        self.store = store
        self.gate = gate
        self.dispatcher = dispatcher
        self.initial_webhooks = dispatcher.settings

    def reset(self) -> None:
        self.store.reset()
        self.gate.reset()
        self.dispatcher.reset()
        self.dispatcher.configure(self.initial_webhooks)

    def dump(self) -> dict[str, Any]:
        return self.store.dump()


def controls_router(state: HubSpotState) -> APIRouter:
    router = APIRouter(prefix=f"{CONTROL_PREFIX}/hubspot", tags=["sandbox control"])

    @router.get("/limits")
    def limits() -> LimitsView:
        return state.gate.view()

    @router.put("/limits")
    def set_limits(body: LimitSettings) -> LimitsView:
        state.gate.configure(body)
        return state.gate.view()

    @router.get("/webhooks")
    def webhooks() -> WebhookSettings:
        return state.dispatcher.settings

    @router.put("/webhooks")
    def set_webhooks(body: WebhookSettings) -> WebhookSettings:
        state.dispatcher.configure(body)
        return state.dispatcher.settings

    @router.post("/webhooks/flush")
    def flush() -> dict[str, int]:
        return {"batches": state.dispatcher.flush(), "pending": state.dispatcher.pending()}

    @router.get("/webhooks/attempts")
    def attempts() -> list[dict[str, Any]]:
        return [asdict(attempt) for attempt in list(state.dispatcher.attempts)]

    return router


def create_app(options: SandboxOptions) -> FastAPI:
    settings = HubSpotSandboxSettings(**options.settings)
    control = SandboxControl("hubspot")
    dispatcher = Dispatcher(control.clock, settings.app_secret, settings.portal_id,
                            settings.app_id, WebhookSettings(target_url=settings.webhook_url))
    store = Store(control.clock, on_change=dispatcher.notify)
    gate = RateGate(control.clock.now, LimitSettings(ten_second_limit=settings.ten_second_limit,
                                                     daily_limit=settings.daily_limit))
    state = HubSpotState(store, gate, dispatcher)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        dispatcher.start()
        try:
            yield
        finally:
            dispatcher.stop()

    app = FastAPI(title="accord HubSpot sandbox", redirect_slashes=False, lifespan=lifespan)
    app.state.hubspot = state
    install_controls(app, control, state, render_fault)
    app.include_router(controls_router(state))
    app.include_router(objects_router(store))
    app.include_router(associations_router(store))
    app.include_router(properties_router(store))
    expected = f"Bearer {settings.access_token}"

    @app.middleware("http")
    async def gatekeeper(request: Request,
                         call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.url.path.startswith(CONTROL_PREFIX):
            return await call_next(request)
        if request.headers.get("authorization") != expected:
            return unauthenticated().response()
        try:
            headers = gate.admit()
        except HubSpotError as error:
            return error.response()
        response = await call_next(request)
        response.headers.update(headers)
        return response

    @app.exception_handler(HubSpotError)
    async def hubspot_error(_request: Request, error: HubSpotError) -> Response:
        return error.response()

    @app.exception_handler(404)
    async def unknown(_request: Request, _error: Exception) -> Response:
        return not_found("The requested resource was not found").response()

    @app.exception_handler(405)
    async def not_allowed(_request: Request, _error: Exception) -> Response:
        return HubSpotError(405, "VALIDATION_ERROR", "Method not allowed").response()

    return app


def credentials(endpoint: SandboxEndpoint) -> dict[str, str]:
    return {"base_url": endpoint.base_url, "access_token": DEFAULT_ACCESS_TOKEN,
            "webhook_secret": DEFAULT_APP_SECRET}


__all__ = ["DEFAULT_ACCESS_TOKEN", "DEFAULT_APP_SECRET", "HubSpotSandboxSettings",
           "create_app", "credentials"]
