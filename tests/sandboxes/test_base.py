"""The shared sandbox base: control plane, faults, clock and HTTPS, over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.responses import JSONResponse, Response

from accord.sandboxes.base import SandboxDefinition, SandboxEndpoint, SandboxOptions
from accord.sandboxes.control import SandboxControl, install_controls
from accord.sandboxes.faults import FaultKind
from accord.sandboxes.recording import Recorder
from accord.sandboxes.server import RunningSandbox, start_in_thread


class Counter:
    """A minimal record store for a toy sandbox."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: list[str] = []

    def reset(self) -> None:
        with self.lock:
            self.items.clear()

    def dump(self) -> dict[str, Any]:
        return {"items": list(self.items)}


def render(kind: FaultKind, status: int) -> Response:
    return JSONResponse({"error": {"kind": kind.value}}, status_code=status)


def create_app(options: SandboxOptions) -> FastAPI:
    app = FastAPI()
    control = SandboxControl("toy")
    state = Counter()
    install_controls(app, control, state, render)

    @app.post("/items/{name}")
    def add(name: str) -> dict[str, Any]:
        with state.lock:
            state.items.append(name)
        return {"name": name, "created": control.clock.timestamp()}

    return app


def credentials(endpoint: SandboxEndpoint) -> dict[str, str]:
    return {"base_url": endpoint.base_url, "api_key": "toy_key"}


TOY = SandboxDefinition(name="toy", description="toy", default_port=19999,
                        create_app=create_app, credentials=credentials)


@pytest.fixture
def toy(tmp_path: Path) -> Iterator[RunningSandbox]:
    sandbox = start_in_thread(TOY, SandboxOptions(data_dir=tmp_path))
    yield sandbox
    sandbox.stop()


def test_state_dump_and_reset(toy: RunningSandbox) -> None:
    with httpx.Client(base_url=toy.base_url) as client:
        client.post("/items/a").raise_for_status()
        client.post("/items/b").raise_for_status()
        assert client.get("/__sandbox/state").json() == {"items": ["a", "b"]}
        client.post("/__sandbox/reset").raise_for_status()
        assert client.get("/__sandbox/state").json() == {"items": []}
        assert toy.credentials() == {"base_url": toy.base_url, "api_key": "toy_key"}


def test_clock_advances_only_forward(toy: RunningSandbox) -> None:
    with httpx.Client(base_url=toy.base_url) as client:
        before = client.post("/items/x").json()["created"]
        view = client.post("/__sandbox/clock/advance", json={"seconds": 3 * 86400}).json()
        assert view["offset_seconds"] == pytest.approx(3 * 86400)
        after = client.post("/items/y").json()["created"]
        assert after - before >= 3 * 86400
        refused = client.post("/__sandbox/clock/advance", json={"seconds": -1})
        assert refused.status_code == 422


def test_outage_window_and_error_rate(toy: RunningSandbox) -> None:
    with httpx.Client(base_url=toy.base_url) as client:
        now = client.get("/__sandbox/clock").json()["now"]
        from datetime import datetime

        until = datetime.fromisoformat(now) + timedelta(hours=1)
        client.put("/__sandbox/faults", json={"outage_until": until.isoformat()}
                   ).raise_for_status()
        down = client.post("/items/z")
        assert down.status_code == 503
        assert down.json() == {"error": {"kind": "outage"}}
        # the control plane stays reachable during an outage; time heals the outage
        client.post("/__sandbox/clock/advance", json={"seconds": 3601}).raise_for_status()
        assert client.post("/items/z").status_code == 200

        client.put("/__sandbox/faults", json={"error_rate": 0.5, "error_status": 502,
                                              "seed": 3}).raise_for_status()
        statuses = [client.post(f"/items/{i}").status_code for i in range(60)]
        assert set(statuses) == {200, 502}
        client.delete("/__sandbox/faults").raise_for_status()
        assert all(client.post(f"/items/{i}").status_code == 200 for i in range(10))


def test_invalid_fault_settings_are_rejected(toy: RunningSandbox) -> None:
    with httpx.Client(base_url=toy.base_url) as client:
        answer = client.put("/__sandbox/faults", json={"error_rate": 2})
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["loc"] == ["body", "error_rate"]


def test_tls_sandbox_is_trusted_through_its_ca(tmp_path: Path) -> None:
    secure = SandboxDefinition(name="toy-tls", description="toy", default_port=19998,
                               create_app=create_app, credentials=credentials, tls=True)
    sandbox = start_in_thread(secure, SandboxOptions(data_dir=tmp_path))
    try:
        assert sandbox.base_url.startswith("https://")
        assert sandbox.tls is not None
        with httpx.Client(base_url=sandbox.base_url, verify=str(sandbox.tls.ca_cert)) as client:
            assert client.get("/__sandbox/health").json() == {"status": "ok", "sandbox": "toy"}
        with pytest.raises(httpx.ConnectError), httpx.Client(base_url=sandbox.base_url) as client:
            client.get("/__sandbox/health")
    finally:
        sandbox.stop()
    # the CA is reused across restarts so clients keep trusting it
    again = start_in_thread(secure, SandboxOptions(data_dir=tmp_path))
    try:
        assert again.tls == sandbox.tls
        assert again.tls is not None
        assert again.tls.ca_cert.read_bytes() == sandbox.tls.ca_cert.read_bytes()
    finally:
        again.stop()


def test_a_recorder_keeps_each_api_answer_but_not_the_control_plane(tmp_path: Path) -> None:
    recorder = Recorder()
    sandbox = start_in_thread(TOY, SandboxOptions(data_dir=tmp_path, recorder=recorder))
    try:
        with httpx.Client(base_url=sandbox.base_url) as client:
            client.post("/items/a?x=1").raise_for_status()
            client.post("/__sandbox/reset").raise_for_status()
            assert client.get("/missing").status_code == 404
    finally:
        sandbox.stop()
    kept = list(recorder.of("toy"))
    assert [(e.method, e.path, e.query, e.status) for e in kept] == [
        ("POST", "/items/a", "x=1", 200), ("GET", "/missing", "", 404)]
    assert kept[0].is_json
    assert kept[0].json()["name"] == "a"
    assert list(recorder.of("stripe")) == []
