"""``accord doctor`` for HubSpot: is the access token valid, how much of the daily
allocation is left, and does the deal pipeline have the closed-won stage accord listens
for?"""

from __future__ import annotations

from typing import Any

from accord.connectors.base import ProbeFixes, ProbeResult, ProbeStatus, probe_failure
from accord.connectors.hubspot.client import HubSpotClient
from accord.connectors.hubspot.mapping import WON_STAGE
from accord.connectors.hubspot.settings import HubSpotSettings
from accord.errors import AccordError

FIXES = ProbeFixes(refused="renew ACCORD_HUBSPOT_ACCESS_TOKEN or fix base_url",
                   unreachable="check that HubSpot (or the sandbox) is reachable",
                   throttled="wait for the ten-second window or the daily allocation")


def probe(settings: Any) -> ProbeResult:
    if not isinstance(settings, HubSpotSettings):
        settings = HubSpotSettings()
    if not settings.enabled:
        return ProbeResult(ProbeStatus.OK, "disabled")
    if not settings.configured:
        return ProbeResult(ProbeStatus.WARNING, "no access token configured",
                           "set ACCORD_HUBSPOT_ACCESS_TOKEN (for the sandbox: accord sandbox "
                           "credentials hubspot)")
    client = HubSpotClient(settings, retries=False)
    try:
        pipelines = client.pipelines()
    except AccordError as exc:
        return probe_failure(settings.base_url, exc, FIXES)
    finally:
        client.close()
    stages = {stage.id for pipeline in pipelines for stage in pipeline.stages}
    if WON_STAGE not in stages:
        return ProbeResult(ProbeStatus.FAILED, f"{settings.base_url}: no deal stage "
                           f"{WON_STAGE!r}", "accord starts billing when a deal reaches the "
                           "closedwon stage; add it to the deal pipeline")
    return ProbeResult(ProbeStatus.OK, f"{settings.base_url}: token valid, "
                       f"{len(pipelines)} deal pipeline(s) with a closed-won stage")


__all__ = ["probe"]
