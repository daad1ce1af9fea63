"""The FastAPI application (``accord serve``). OpenAPI 3.1 at ``/openapi.json``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic_settings import BaseSettings

from accord import __version__, bootstrap
from accord.api.deps import COOKIE
from accord.api.guards import csrf_guard, security_headers
from accord.api.inputs import reject_nul
from accord.api.readiness import ProbeCache
from accord.api.responses import AUTHENTICATED
from accord.api.routes import (
    customers,
    exceptions,
    flows,
    health,
    hooks,
    invoices,
    kpis,
    reconciliation,
    refdata,
    schedules,
    systems,
    timeline,
    tokens,
    usage,
    workers,
)
from accord.api.vendor_reads import VendorReads
from accord.bootstrap import Deployment
from accord.console import router as console_router
from accord.console.views import HERE as CONSOLE_DIR
from accord.console.views import LoginRequired
from accord.engine.control import EngineClient
from accord.engine.runtime import EngineOptions
from accord.registry import load_policy
from accord.settings import AccordSettings, load_settings
from accord.store import Database


def create_app(settings: AccordSettings | None = None, database: Database | None = None, *,
               deployment: Deployment | None = None, run_engine: bool = False,
               engine: EngineOptions | None = None, drain_seconds: int = 10,
               system_settings: Mapping[str, BaseSettings] | None = None,
               clock: Callable[[], datetime] | None = None) -> FastAPI:
    """The API and console. With a ``deployment`` and ``run_engine``, the process also runs
    the engine (flows, queues, schedules; ``engine`` options, else the deployment's) for as
    long as the app lives (``accord serve``), started off the event loop, as DBOS
    requires. ``system_settings`` (else the deployment's) gives each system's settings by
    name; ``clock`` is what webhook signatures are checked against."""
    settings = settings or load_settings()
    owns_database = database is None
    db = database or Database(settings.effective_database_url)
    if run_engine and deployment is None:
        raise ValueError("deployment: needed to run the engine")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = None
        if run_engine and deployment is not None:
            service = await to_thread.run_sync(bootstrap.start, deployment, engine)
            app.state.service = service
        try:
            yield
        finally:
            if service is not None:
                await to_thread.run_sync(lambda: bootstrap.stop(
                    service, drain_seconds=drain_seconds))
            app.state.engine_client.close()
            if owns_database:
                db.dispose()

    # no /docs or /redoc: FastAPI's pages load their scripts from a public CDN; the
    # OpenAPI document at /openapi.json is served, for any viewer the operator trusts
    app = FastAPI(title="accord", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  description="Operations API: trace every deal from CRM to cash.")
    app.state.database = db
    app.state.settings = settings
    app.state.ownership = load_policy()
    app.state.system_settings = dict(
        system_settings if system_settings is not None
        else deployment.system_settings if deployment is not None else {})
    app.state.deployment = deployment
    app.state.service = None
    app.state.runs_engine = run_engine
    app.state.probes = ProbeCache()
    app.state.vendor_reads = VendorReads(settings.vendor_read_cache_seconds,
                                         settings.vendor_calls_per_minute)
    app.state.engine_client = EngineClient(db)
    app.state.clock = clock or (lambda: datetime.now(UTC))
    app.include_router(health.router)
    app.include_router(hooks.router)
    app.include_router(timeline.router, responses=AUTHENTICATED)
    app.include_router(customers.router, responses=AUTHENTICATED)
    app.include_router(invoices.router, responses=AUTHENTICATED)
    app.include_router(exceptions.router, responses=AUTHENTICATED)
    app.include_router(kpis.router, responses=AUTHENTICATED)
    app.include_router(reconciliation.router, responses=AUTHENTICATED)
    app.include_router(systems.router, responses=AUTHENTICATED)
    app.include_router(flows.router, responses=AUTHENTICATED)
    app.include_router(schedules.router, responses=AUTHENTICATED)
    app.include_router(usage.router, responses=AUTHENTICATED)
    app.include_router(workers.router, responses=AUTHENTICATED)
    app.include_router(tokens.router, responses=AUTHENTICATED)
    app.include_router(refdata.router, responses=AUTHENTICATED)
    app.include_router(console_router)
    app.middleware("http")(reject_nul)
    app.middleware("http")(csrf_guard(COOKIE))
    app.middleware("http")(security_headers)
    app.mount("/console/static", StaticFiles(directory=CONSOLE_DIR / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def to_login(_request: Request, _exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse("/console/login", status_code=303)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/console")

    return app


__all__ = ["create_app"]
