"""``accord doctor`` and ``/readyz`` for AvaTax: is it reachable, are the account id and
license key accepted, and does the account have the configured company?"""

from __future__ import annotations

from typing import Any

from accord.connectors.avatax.client import AvaTaxClient
from accord.connectors.avatax.settings import AvaTaxSettings
from accord.connectors.base import ProbeFixes, ProbeResult, ProbeStatus, probe_failure
from accord.errors import AccordError

FIXES = ProbeFixes(refused="fix company_code or base_url in [systems.avatax]",
                   unreachable="check that AvaTax (or the sandbox) is reachable",
                   throttled="AvaTax is throttling the account; try again in a minute")


def probe(settings: Any) -> ProbeResult:
    if not isinstance(settings, AvaTaxSettings):
        settings = AvaTaxSettings()
    if not settings.enabled:
        return ProbeResult(ProbeStatus.OK, "disabled")
    if not settings.configured:
        return ProbeResult(ProbeStatus.WARNING, "no account id or license key configured",
                           "set ACCORD_AVATAX_ACCOUNT_ID and ACCORD_AVATAX_LICENSE_KEY (for "
                           "the sandbox: accord sandbox credentials avatax)")
    client = AvaTaxClient(settings, retries=False)
    try:
        ping = client.ping()
        if not ping.get("authenticated"):
            return ProbeResult(ProbeStatus.FAILED, f"{settings.base_url}: the account id or "
                               "license key was not accepted",
                               "check ACCORD_AVATAX_ACCOUNT_ID and reset or renew "
                               "ACCORD_AVATAX_LICENSE_KEY")
        company = client.company_id()
    except AccordError as exc:
        return probe_failure(settings.base_url, exc, FIXES)
    return ProbeResult(ProbeStatus.OK, f"{settings.base_url}: credentials accepted, company "
                       f"{settings.company_code!r} (id {company}), API {ping.get('version')}")


__all__ = ["probe"]
