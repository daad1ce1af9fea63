"""Wiring of the Salesforce sandbox: state, REST routes, controls, gate and error rendering."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from accord.sandboxes.base import SandboxEndpoint, SandboxOptions
from accord.sandboxes.control import SandboxControl, install_controls
from accord.sandboxes.faults import CONTROL_PREFIX, FaultKind
from accord.sandboxes.salesforce.controls import controls_router
from accord.sandboxes.salesforce.errors import ApiError, ErrorCode
from accord.sandboxes.salesforce.gate import ApiGate, error_response
from accord.sandboxes.salesforce.limits import LimitSettings
from accord.sandboxes.salesforce.rest.composite import composite_router
from accord.sandboxes.salesforce.rest.misc import misc_router
from accord.sandboxes.salesforce.rest.query import query_router
from accord.sandboxes.salesforce.rest.sobjects import sobjects_router
from accord.sandboxes.salesforce.state import SalesforceState

DEFAULT_SESSION_ID = "00D8d0000000001!AQsandbox.accord.dev.session"
API_VERSION = "62.0"


def render_fault(kind: FaultKind, status: int) -> Response:
    if kind is FaultKind.OUTAGE:
        error = ApiError.one(status, ErrorCode.SERVER_UNAVAILABLE,
                             "Server temporarily unavailable (sandbox outage)")
    else:
        error = ApiError.one(status, ErrorCode.UNKNOWN_EXCEPTION,
                             "An unexpected error occurred. Please include this ErrorId if you "
                             "contact support: 0000000000-00000 (-0)")
    return error_response(error)


def create_app(options: SandboxOptions) -> FastAPI:
    session_id = str(options.settings.get("session_id") or DEFAULT_SESSION_ID)
    app = FastAPI(title="accord Salesforce sandbox", redirect_slashes=False)
    control = SandboxControl("salesforce")
    state = SalesforceState(control, session_id, options.state_file)
    if "daily_api_requests" in options.settings:
        state.limits.configure(LimitSettings(
            daily_api_requests=int(options.settings["daily_api_requests"])))
    app.state.salesforce = state
    install_controls(app, control, state, render_fault)
    app.include_router(controls_router(state))
    for router in (misc_router(state), sobjects_router(state), query_router(state),
                   composite_router(state)):
        app.include_router(router)
    app.add_middleware(ApiGate, session_id=session_id, limits=state.limits)

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, error: ApiError) -> Response:
        return error_response(error)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if request.url.path.startswith(CONTROL_PREFIX):
            return await http_exception_handler(request, error)
        if error.status_code == 405:
            return error_response(ApiError.one(405, ErrorCode.METHOD_NOT_ALLOWED,
                                               f"HTTP Method '{request.method}' not allowed."))
        return error_response(ApiError.one(error.status_code, ErrorCode.NOT_FOUND,
                                           "The requested resource does not exist"))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        if request.url.path.startswith(CONTROL_PREFIX):
            return await request_validation_exception_handler(request, error)
        return error_response(ApiError.one(400, ErrorCode.JSON_PARSER_ERROR, str(error)))

    return app


def credentials(endpoint: SandboxEndpoint) -> dict[str, str]:
    return {"instance_url": endpoint.base_url, "session_id": DEFAULT_SESSION_ID,
            "ca_cert": str((endpoint.data_dir / "tls" / "ca.pem").resolve()),
            "api_version": API_VERSION}


__all__ = ["API_VERSION", "DEFAULT_SESSION_ID", "create_app", "credentials"]
