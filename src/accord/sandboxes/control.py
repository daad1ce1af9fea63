"""The control plane every sandbox serves under ``/__sandbox/``.

| method and path                  | does                                                    |
|----------------------------------|---------------------------------------------------------|
| GET    /__sandbox/health         | liveness and the sandbox name                           |
| GET    /__sandbox/state          | a JSON dump of the emulated records                     |
| POST   /__sandbox/reset          | forget every record, faults and clock offset            |
| GET    /__sandbox/clock          | the sandbox clock                                       |
| POST   /__sandbox/clock/advance  | ``{"seconds": N}`` moves the clock forward               |
| POST   /__sandbox/clock/freeze   | freeze (``{"at": iso}`` optional); ``/unfreeze`` resumes  |
| GET    /__sandbox/faults         | current fault settings                                  |
| PUT    /__sandbox/faults         | replace fault settings (see FaultSettings)               |
| DELETE /__sandbox/faults         | clear every fault                                       |

Sandbox-specific controls live under the same prefix (``/__sandbox/<name>/...``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI
from pydantic import AwareDatetime, BaseModel, Field

from accord.sandboxes.clock import SandboxClock
from accord.sandboxes.faults import (
    CONTROL_PREFIX,
    FaultMiddleware,
    FaultSettings,
    FaultState,
    Renderer,
)


class SandboxState(Protocol):
    """What the control plane needs from a sandbox's store of records."""

    def reset(self) -> None: ...

    def dump(self) -> dict[str, Any]: ...


class Advance(BaseModel):
    seconds: float = Field(ge=0, le=10 * 365 * 86400)


class Freeze(BaseModel):
    at: AwareDatetime | None = None


class ClockView(BaseModel):
    now: datetime
    offset_seconds: float
    frozen: bool


class SandboxControl:
    """Clock and faults of one sandbox instance."""

    def __init__(self, name: str, clock: SandboxClock | None = None) -> None:
        self.name = name
        self.clock = clock or SandboxClock()
        self.faults = FaultState(self.clock.now)

    def clock_view(self) -> ClockView:
        return ClockView(now=self.clock.now(), offset_seconds=self.clock.offset_seconds,
                         frozen=self.clock.frozen)


def control_router(control: SandboxControl, state: SandboxState) -> APIRouter:
    router = APIRouter(prefix=CONTROL_PREFIX, tags=["sandbox control"])

    @router.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "sandbox": control.name}

    @router.get("/state")
    def dump() -> dict[str, Any]:
        return state.dump()

    @router.post("/reset")
    def reset() -> dict[str, str]:
        state.reset()
        control.faults.reset()
        control.clock.reset()
        return {"status": "reset"}

    @router.get("/clock")
    def clock() -> ClockView:
        return control.clock_view()

    @router.post("/clock/advance")
    def advance(body: Advance) -> ClockView:
        control.clock.advance(body.seconds)
        return control.clock_view()

    @router.post("/clock/freeze")
    def freeze(body: Freeze) -> ClockView:
        control.clock.freeze(body.at)
        return control.clock_view()

    @router.post("/clock/unfreeze")
    def unfreeze() -> ClockView:
        control.clock.unfreeze()
        return control.clock_view()

    @router.get("/faults")
    def get_faults() -> FaultSettings:
        return control.faults.settings

    @router.put("/faults")
    def put_faults(body: FaultSettings) -> FaultSettings:
        control.faults.update(body)
        return control.faults.settings

    @router.delete("/faults")
    def clear_faults() -> FaultSettings:
        control.faults.reset()
        return control.faults.settings

    return router


def install_controls(app: FastAPI, control: SandboxControl, state: SandboxState,
                     render: Renderer) -> None:
    """Mount the control plane and the fault middleware on a sandbox app."""
    app.include_router(control_router(control, state))
    app.add_middleware(FaultMiddleware, faults=control.faults, render=render)


__all__ = ["SandboxControl", "SandboxState", "control_router", "install_controls"]
