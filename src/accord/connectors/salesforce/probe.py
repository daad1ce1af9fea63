"""``accord doctor`` for Salesforce: is the session valid, and how much API allocation is left?"""

from __future__ import annotations

from typing import Any

from accord.connectors.base import ProbeFixes, ProbeResult, ProbeStatus, probe_failure
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.settings import SalesforceSettings
from accord.errors import AccordError

FIXES = ProbeFixes(refused="renew ACCORD_SALESFORCE_SESSION_ID or fix instance_url/ca_cert",
                   unreachable="check that Salesforce (or the sandbox) is reachable",
                   throttled="wait for the daily API allocation to recover")


def probe(settings: Any) -> ProbeResult:
    if not isinstance(settings, SalesforceSettings):
        settings = SalesforceSettings()
    if not settings.enabled:
        return ProbeResult(ProbeStatus.OK, "disabled")
    if settings.session_id is None:
        return ProbeResult(ProbeStatus.WARNING, "no session id configured",
                           "set ACCORD_SALESFORCE_SESSION_ID (for the sandbox: accord sandbox "
                           "credentials salesforce)")
    if settings.ca_cert is not None and not settings.ca_cert.exists():
        return ProbeResult(ProbeStatus.FAILED, f"CA bundle {settings.ca_cert} not found",
                           "set ACCORD_SALESFORCE_CA_CERT to the sandbox's ca.pem")
    client = SalesforceClient(settings, retries=False)
    try:
        limits = client.limits()
    except AccordError as exc:
        return probe_failure(settings.instance_url, exc, FIXES)
    finally:
        client.session.close()
    daily = limits.get("DailyApiRequests", {})
    remaining, maximum = daily.get("Remaining"), daily.get("Max")
    detail = f"{settings.instance_url} v{settings.api_version}: {remaining}/{maximum} daily " \
             "API requests left"
    if isinstance(remaining, int) and isinstance(maximum, int) and remaining < maximum // 10:
        return ProbeResult(ProbeStatus.WARNING, detail, "less than 10% of the allocation left")
    return ProbeResult(ProbeStatus.OK, detail)


__all__ = ["probe"]
