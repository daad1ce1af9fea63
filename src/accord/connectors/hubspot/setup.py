"""What accord needs in a HubSpot account beyond a token: the custom properties it reads
and writes back, checked against the properties API (``accord doctor``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accord.connectors.base import ProbeResult, ProbeStatus, SetupCheck
from accord.connectors.hubspot.client import HubSpotClient
from accord.connectors.hubspot.settings import HubSpotSettings
from accord.errors import AccordError

REQUIRED_PROPERTIES: dict[str, tuple[str, ...]] = {
    "companies": ("legal_entity", "vat_number", "billing_email", "currency_code", "accord_id",
                  "billing_customer_id", "erp_customer_id", "billing_status"),
    "deals": ("legal_entity", "contract_term_months", "contract_start_date", "accord_id",
              "billing_subscription_id", "billing_status"),
    "products": ("accord_id", "billing_type", "revenue_category"),
}
"""The custom properties accord's mapping reads (deal terms, legal entity, tax id) and
writes back (its ids in billing and the ERP, billing status), by object."""
UNIQUE = {"accord_id"}


def verify_setup(settings: Any, _event_types: Sequence[str]) -> list[SetupCheck]:
    if not isinstance(settings, HubSpotSettings):
        settings = HubSpotSettings()
    client = HubSpotClient(settings, retries=False)
    checks: list[SetupCheck] = []
    api = client.api.crm.properties.core_api
    try:
        for kind, wanted in REQUIRED_PROPERTIES.items():
            try:
                found = {p.name: p for p in client.call(lambda kind=kind: api.get_all(  # type: ignore[misc]
                    kind, _request_timeout=client.timeout)).results}
            except AccordError as exc:
                checks.append(SetupCheck(f"{kind} properties", ProbeResult(
                    ProbeStatus.FAILED, f"cannot read {kind} properties: {exc.message}",
                    "give the private app the crm.schemas.<object>.read scope")))
                continue
            missing = [name for name in wanted if name not in found]
            not_unique = [name for name in wanted if name in UNIQUE and name in found
                          and not getattr(found[name], "has_unique_value", False)]
            if missing or not_unique:
                detail = "; ".join(filter(None, [
                    f"missing: {', '.join(missing)}" if missing else "",
                    f"not unique: {', '.join(not_unique)}" if not_unique else ""]))
                result = ProbeResult(ProbeStatus.FAILED, detail, "create them (Settings > "
                                     "Properties); docs/connectors/hubspot.md lists their "
                                     "types")
            else:
                result = ProbeResult(ProbeStatus.OK, f"{len(wanted)} custom properties present")
            checks.append(SetupCheck(f"{kind} properties", result))
    finally:
        client.close()
    return checks


__all__ = ["REQUIRED_PROPERTIES", "verify_setup"]
