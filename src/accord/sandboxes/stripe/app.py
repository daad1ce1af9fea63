"""Wiring: the ``/v1`` API, the shared control plane and Stripe-specific controls.

Every API request passes, in order: authentication, rate and concurrency limits, parameter
parsing, idempotency (POST), the resource handler (under the store lock), then ``expand``.

``GET /__sandbox/stripe/limits`` reports the limits in force and what they did since the last
``POST /__sandbox/stripe/limits/reset``: requests admitted and refused (429), when the first
and last refusal happened, and the busiest one-second window of admitted requests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.control import SandboxControl, install_controls
from accord.sandboxes.stripe import billing
from accord.sandboxes.stripe.context import Ctx, RequestInfo, StripeSandboxSettings
from accord.sandboxes.stripe.errors import (
    ErrorType,
    StripeApiError,
    render_fault,
    unknown_param,
    unrecognized_url,
)
from accord.sandboxes.stripe.forms import parse_form
from accord.sandboxes.stripe.gate import LimitsView, RateGate, authenticate
from accord.sandboxes.stripe.ids import new_id
from accord.sandboxes.stripe.listing import expand
from accord.sandboxes.stripe.params import Params
from accord.sandboxes.stripe.persistence import StateFile
from accord.sandboxes.stripe.resources import build_router
from accord.sandboxes.stripe.routing import Router
from accord.sandboxes.stripe.state import SavedResponse, Store
from accord.sandboxes.stripe.webhooks import WebhookDispatcher, WebhookFaults


@dataclass
class ApiRequest:
    method: str
    path: str
    query: str
    body: str
    headers: dict[str, str]


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]


class StripeState:
    """The control plane's view: records plus webhook queue, reset and dumped together."""

    def __init__(self, api: StripeApi, dispatcher: WebhookDispatcher) -> None:
        self.store = api.store
        self.api = api
        self.dispatcher = dispatcher

    def reset(self) -> None:
        self.store.reset()
        self.dispatcher.reset()
        self.api.gate.reset()
        self.api.persist()

    def dump(self) -> dict[str, Any]:
        return self.store.dump()


class StripeApi:
    def __init__(self, store: Store, control: SandboxControl, settings: StripeSandboxSettings,
                 router: Router, state_file: StateFile | None = None) -> None:
        self.store = store
        self.state_file = state_file
        self.control = control
        self.settings = settings
        self.router = router
        self.gate = RateGate(control.clock.now)

    def ctx(self, info: RequestInfo | None = None) -> Ctx:
        return Ctx(self.store, self.control.clock, self.settings, info or RequestInfo())

    def handle(self, request: ApiRequest) -> Answer:
        request_id = new_id("req")
        headers = {"Request-Id": request_id,
                   "Stripe-Version": request.headers.get("stripe-version",
                                                         self.settings.api_version)}
        try:
            authenticate(request.headers.get("authorization"), self.settings.api_key)
            self.gate.admit(*self.limits())
        except StripeApiError as error:
            return Answer(error.status, json.dumps(error.body()).encode(),
                          {**headers, **error.headers})
        try:
            answer = self._admitted(request, request_id, headers)
            if request.method != "GET":
                self.persist()
            return answer
        finally:
            self.gate.release()

    def limits(self) -> tuple[float, int | None]:
        """Requests per second (0: none) and concurrent requests (None: none) in force: the
        fault settings' overrides, else the sandbox's settings."""
        faults = self.control.faults.settings
        rate = (faults.rate_limit_per_second if faults.rate_limit_per_second is not None
                else self.settings.rate_limit)
        return rate, faults.concurrency_limit

    def persist(self) -> None:
        if self.state_file is not None:
            self.state_file.save(self.store)

    def _admitted(self, request: ApiRequest, request_id: str,
                  headers: dict[str, str]) -> Answer:
        key = request.headers.get("idempotency-key") if request.method == "POST" else None
        try:
            data = parse_form(request.query)
            if request.method == "POST":
                data.update(parse_form(request.body))
        except StripeApiError as error:
            return Answer(error.status, json.dumps(error.body()).encode(), headers)
        if key:
            headers["Idempotency-Key"] = key
            fingerprint = hashlib.sha256(json.dumps(
                [request.method, request.path, data], sort_keys=True).encode()).hexdigest()
            # results are kept per API key, identified by a digest (never the key itself)
            owner = hashlib.sha256(request.headers.get("authorization", "").encode()
                                   ).hexdigest()[:16]
            with self.store.lock:
                saved = self.store.idempotency.get((owner, key))
                if saved is not None:
                    if saved.fingerprint != fingerprint:
                        conflict = StripeApiError(
                            400, ErrorType.IDEMPOTENCY_ERROR,
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{key}' if you meant to execute a different request.")
                        return Answer(400, json.dumps(conflict.body()).encode(), headers)
                    return Answer(saved.status, saved.body,
                                  {**headers, "Idempotent-Replayed": "true",
                                   "Original-Request": saved.request_id or request_id})
                answer = self._dispatch(request, data, RequestInfo(
                    request_id, key, headers["Stripe-Version"]), headers)
                if 200 <= answer.status < 300 or answer.status == 402:
                    self.store.idempotency[(owner, key)] = SavedResponse(
                        fingerprint, answer.status, answer.body, request_id)
                return answer
        return self._dispatch(request, data, RequestInfo(request_id, None,
                                                         headers["Stripe-Version"]), headers)

    def _dispatch(self, request: ApiRequest, data: dict[str, Any], info: RequestInfo,
                  headers: dict[str, str]) -> Answer:
        found = self.router.match(request.method, request.path)
        try:
            if found is None:
                raise unrecognized_url(request.method, request.path)
            route, path_args = found
            if route.accepts is not None:
                unknown = sorted(set(data) - route.accepts)
                if unknown:
                    raise unknown_param(unknown[0])
            handler = route.handler
            params = Params(data)
            paths = params.strings("expand")
            with self.store.lock:
                result = handler(self.ctx(info), params, path_args)
                if paths:
                    result = expand(self.store, result, paths)
                body = json.dumps(result, indent=2).encode()
            return Answer(200, body, headers)
        except StripeApiError as error:
            return Answer(error.status, json.dumps(error.body()).encode(),
                          {**headers, **error.headers})
        except Exception as exc:  # a sandbox bug: answer like Stripe's 500
            failure = StripeApiError(500, ErrorType.API_ERROR,
                                     f"An unknown error occurred ({type(exc).__name__}).")
            return Answer(500, json.dumps(failure.body()).encode(),
                          {**headers, "Stripe-Should-Retry": "false"})

    def advance_all(self, until: int) -> int:
        """Renewals and retries for customers on no test clock (the sandbox clock moved)."""
        with self.store.lock:
            steps = billing.advance(self.ctx(), until, None)
        self.persist()
        return steps


def create_app(options: SandboxOptions) -> FastAPI:
    settings = StripeSandboxSettings.model_validate(options.settings)
    control = SandboxControl("stripe")
    store = Store()
    state_file = StateFile(options.state_file) if options.state_file else None
    if state_file is not None:
        saved = state_file.load()
        if saved is not None:
            store.restore(saved)
    api = StripeApi(store, control, settings, build_router(), state_file)
    dispatcher = WebhookDispatcher(store, control.clock, settings)
    store.listeners.append(dispatcher.on_event)
    def on_clock_advance(now: datetime) -> None:
        api.advance_all(int(now.timestamp()))

    control.clock.on_advance(on_clock_advance)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        dispatcher.start()
        try:
            yield
        finally:
            dispatcher.stop()
            if state_file is not None:
                state_file.close()

    app = FastAPI(title="accord Stripe sandbox", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None)
    app.state.stripe_api = api
    app.state.webhooks = dispatcher
    install_controls(app, control, StripeState(api, dispatcher), render_fault)

    @app.get("/__sandbox/stripe/webhooks")
    def webhook_view() -> dict[str, Any]:
        return dispatcher.view()

    @app.put("/__sandbox/stripe/webhooks")
    def webhook_faults(body: WebhookFaults) -> dict[str, Any]:
        dispatcher.faults = body
        return dispatcher.view()

    @app.post("/__sandbox/stripe/webhooks/deliver")
    def deliver_now() -> dict[str, int]:
        return {"delivered": dispatcher.deliver_due(), "pending": dispatcher.pending()}

    @app.get("/__sandbox/stripe/limits")
    def limits_view() -> LimitsView:
        return api.gate.view(*api.limits())

    @app.post("/__sandbox/stripe/limits/reset")
    def limits_reset() -> LimitsView:
        api.gate.reset_figures()
        return api.gate.view(*api.limits())

    @app.api_route("/v1/{rest:path}", methods=["GET", "POST", "DELETE"])
    async def stripe_api(request: Request) -> Response:
        body = (await request.body()).decode("utf-8", errors="replace")
        api_request = ApiRequest(request.method, request.url.path,
                                 request.url.query, body,
                                 {k.lower(): v for k, v in request.headers.items()})
        answer = await run_in_threadpool(api.handle, api_request)
        return Response(answer.body, status_code=answer.status, headers=answer.headers,
                        media_type="application/json")

    @app.exception_handler(404)
    async def not_found(request: Request, _: Exception) -> JSONResponse:
        error = unrecognized_url(request.method, request.url.path)
        return JSONResponse(error.body(), status_code=404)

    return app
