"""A tiny HTTP system for engine tests: applies idempotent "effects", counts them, records
per-system peak concurrency, and can be scripted to fail."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response

from accord.sandboxes.base import SandboxDefinition, SandboxEndpoint, SandboxOptions


@dataclass
class Scripted:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class EffectsState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)
    applications: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    requests: int = 0
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    """Requests per ``<name>:<idempotency key>`` (replays included): how often each step ran."""
    inflight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    peak: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    script: dict[str, list[Scripted]] = field(default_factory=lambda: defaultdict(list))

    def fail_next(self, name: str, *responses: Scripted) -> None:
        with self.lock:
            self.script[name].extend(responses)


STATES: dict[str, EffectsState] = {}


def create_app(options: SandboxOptions) -> FastAPI:
    app = FastAPI()
    state = EffectsState()
    STATES[str(options.data_dir)] = state

    @app.post("/effects/{system}/{name}")
    async def effect(system: str, name: str, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key", "")
        body = await request.json()
        delay_ms = int(request.query_params.get("delay_ms", "0"))
        with state.lock:
            state.requests += 1
            state.calls[f"{name}:{key}"] += 1
            if key and key in state.applied:
                return JSONResponse(state.applied[key],
                                    headers={"Idempotent-Replayed": "true"})
            scripted = state.script[name].pop(0) if state.script[name] else None
        if scripted is not None:
            return JSONResponse(scripted.body, status_code=scripted.status,
                                headers=scripted.headers)
        lanes = [system] + ([f"{system}/{body['customer']}"] if "customer" in body else [])
        with state.lock:
            for lane in lanes:
                state.inflight[lane] += 1
                state.peak[lane] = max(state.peak[lane], state.inflight[lane])
        try:
            if delay_ms:
                await asyncio.sleep(delay_ms / 1000)
        finally:
            with state.lock:
                for lane in lanes:
                    state.inflight[lane] -= 1
        with state.lock:
            if key and key in state.applied:
                return JSONResponse(state.applied[key],
                                    headers={"Idempotent-Replayed": "true"})
            result = {"id": f"{name}-{len(state.log) + 1}", "system": system, "name": name,
                      "body": body}
            state.applied[key or result["id"]] = result
            state.applications[key or result["id"]] += 1
            state.log.append({"system": system, "name": name, "key": key, "body": body})
        return JSONResponse(result)

    @app.get("/state")
    def dump() -> dict[str, Any]:
        with state.lock:
            return {"requests": state.requests, "log": list(state.log),
                    "applications": dict(state.applications), "peak": dict(state.peak)}

    return app


def credentials(endpoint: SandboxEndpoint) -> dict[str, str]:
    return {"base_url": endpoint.base_url}


EFFECTS = SandboxDefinition(name="effects", description="side-effect counter for engine tests",
                            default_port=18999, create_app=create_app, credentials=credentials)

__all__ = ["EFFECTS", "STATES", "EffectsState", "Scripted"]
