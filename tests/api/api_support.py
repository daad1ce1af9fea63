"""Shared helpers for the API tests: an app served over real HTTP with a token per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import httpx
from fastapi import FastAPI
from pydantic_settings import BaseSettings

from accord.api import create_app
from accord.api.tokens import Access, create_token
from accord.sandboxes.server import serve_in_thread
from accord.settings import load_settings
from accord.store import Database, upgrade


@dataclass
class Api:
    url: str
    db: Database
    tokens: dict[Access, str]
    app: FastAPI

    def client(self, role: Access | None = Access.VIEWER) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers)


@contextmanager
def serve_api(database_url: str, *, system_settings: Mapping[str, BaseSettings] | None = None,
              clock: Callable[[], datetime] | None = None) -> Iterator[Api]:
    db = Database(database_url)
    upgrade(db.engine)
    with db.session() as session:
        tokens = {role: create_token(session, f"test-{role.value}", role) for role in Access}
    app = create_app(load_settings(), db, system_settings=system_settings, clock=clock)
    server = serve_in_thread(app, name="api")
    try:
        yield Api(f"http://127.0.0.1:{server.port}", db, tokens, app)
    finally:
        server.stop()
        db.dispose()
