"""The connected systems: configuration, limits, recent use, and an on-demand probe."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.concurrency import run_in_threadpool

from accord.api.configured_systems import ConfiguredSystems
from accord.api.deps import Operator, SessionDep, Viewer
from accord.api.responses import documented
from accord.api.systems_view import ProbeView, SystemView, list_systems, probe_system
from accord.api.vendor_reads import VendorReads

router = APIRouter(prefix="/v1/systems", tags=["systems"])
SystemName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]*(-[a-z0-9_]+)*$", max_length=40)]


@router.get("")
def systems(request: Request, session: SessionDep, _who: Viewer) -> list[SystemView]:
    return list_systems(session, ConfiguredSystems(request.app.state.system_settings),
                        datetime.now(UTC))


@router.post("/{system}/probe", responses=documented(404, 429))
async def probe(system: SystemName, request: Request, who: Operator) -> ProbeView:
    """Run the connector's own check (what ``accord doctor`` shows) against the system.
    Operators only (it calls the vendor); rate-limited per token (429 with Retry-After)."""
    configured = ConfiguredSystems(request.app.state.system_settings)
    if configured.settings(system) is not None:
        reads: VendorReads = request.app.state.vendor_reads
        reads.probe(who.token_id)
    found = await run_in_threadpool(probe_system, configured, system)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"system: no connector or configured instance named {system!r}")
    return found
