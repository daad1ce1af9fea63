"""The FastAPI application (``accord serve``). OpenAPI 3.1 at ``/openapi.json``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic_settings import BaseSettings

from accord import __version__
from accord.api.inputs import reject_nul
from accord.api.responses import AUTHENTICATED
from accord.api.routes import (
    customers,
    exceptions,
    health,
    hooks,
    invoices,
    kpis,
    reconciliation,
    systems,
    timeline,
)
from accord.console import router as console_router
from accord.console.views import HERE as CONSOLE_DIR
from accord.console.views import LoginRequired
from accord.engine.runtime import EngineOptions, launch, shutdown
from accord.registry import load_policy
from accord.settings import AccordSettings, load_settings
from accord.store import Database


def create_app(settings: AccordSettings | None = None, database: Database | None = None,
               engine: EngineOptions | None = None, *,
               system_settings: Mapping[str, BaseSettings] | None = None,
               clock: Callable[[], datetime] | None = None) -> FastAPI:
    """The API and console. With ``engine`` options, the process also runs the engine (flows,
    queues, exception retries) for as long as the app lives. ``system_settings`` overrides a
    connector's settings by connector name (otherwise read from the configuration);
    ``clock`` is what webhook signatures are checked against."""
    settings = settings or load_settings()
    owns_database = database is None
    db = database or Database(settings.effective_database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if engine is not None:
            launch(engine)
        try:
            yield
        finally:
            if engine is not None:
                shutdown()
            if owns_database:
                db.dispose()

    app = FastAPI(title="accord", version=__version__, lifespan=lifespan,
                  description="Operations API: trace every deal from CRM to cash.")
    app.state.database = db
    app.state.settings = settings
    app.state.ownership = load_policy()
    app.state.system_settings = dict(system_settings or {})
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
    app.include_router(console_router)
    app.middleware("http")(reject_nul)
    app.mount("/console/static", StaticFiles(directory=CONSOLE_DIR / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def to_login(_request: Request, _exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse("/console/login", status_code=303)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/console")

    return app


__all__ = ["create_app"]
