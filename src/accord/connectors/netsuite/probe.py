"""``accord doctor`` for NetSuite: are the credentials set, and does the account answer?"""

from __future__ import annotations

from typing import Any

from accord.connectors.base import ProbeFixes, ProbeResult, ProbeStatus, probe_failure
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.errors import AccordError

FIXES = ProbeFixes(
    refused="check the account id and the TBA consumer and token credentials",
    unreachable="check base_url and that NetSuite (or the sandbox) is reachable")


def probe(settings: Any) -> ProbeResult:
    if not isinstance(settings, NetSuiteSettings):
        settings = NetSuiteSettings()
    if not settings.enabled:
        return ProbeResult(ProbeStatus.OK, "disabled")
    if not settings.configured:
        return ProbeResult(ProbeStatus.WARNING, "not configured",
                           "set account_id, consumer_key, consumer_secret, token_id and "
                           "token_secret under [systems.netsuite] or ACCORD_NETSUITE_*")
    try:
        with NetSuiteClient(settings, retry=False) as client:
            page = client.suiteql_page("SELECT id FROM subsidiary", limit=1)
    except AccordError as exc:
        return probe_failure(settings.rest_root, exc, FIXES)
    return ProbeResult(ProbeStatus.OK, f"account {settings.account_id} at {settings.rest_root}: "
                       f"{page.total} subsidiaries visible")


__all__ = ["probe"]
