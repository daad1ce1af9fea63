"""Settings: ``[systems.hubspot]`` in accord.toml and ``ACCORD_HUBSPOT_*`` variables."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from accord.settings import SystemSettings


class HubSpotSettings(SystemSettings):
    model_config = SettingsConfigDict(env_prefix="ACCORD_HUBSPOT_", extra="ignore")
    toml_table: ClassVar[tuple[str, ...]] = ("systems", "hubspot")

    base_url: str = Field(default="https://api.hubapi.com",
                          description="HubSpot's API base URL (the sandbox's for local runs)")
    access_token: SecretStr | None = Field(
        default=None, description="private app access token",
        json_schema_extra={"where": "Settings > Integrations > Private Apps > <app> > Auth; "
                           "scopes crm.objects.companies/contacts/deals/line_items read and "
                           "write, crm.schemas.deals.read, e-commerce (products)"})
    webhook_secret: SecretStr | None = Field(
        default=None, description="the app's client secret, which signs webhooks (v3)",
        json_schema_extra={"where": "the private app's Auth tab: Client secret"})
    webhook_url: str | None = Field(
        default=None, description="the target URL as configured in HubSpot (the v3 signature "
        "covers it); default: the Host of each delivery + /hooks/<system>")
    legal_entity: str = Field(default="US01", description="legal entity for companies and "
                              "deals that name none (the legal_entity property)")
    timeout_seconds: float = Field(default=30.0, gt=0)
    poll_overlap_seconds: float = Field(default=60.0, ge=0, description="how far back each "
                                        "hs_lastmodifieddate poll re-reads, for late indexing")

    @property
    def configured(self) -> bool:
        return self.access_token is not None and bool(self.access_token.get_secret_value())

    @property
    def missing(self) -> str:
        return ("set base_url and access_token in [systems.hubspot] "
                "(or ACCORD_HUBSPOT_BASE_URL and ACCORD_HUBSPOT_ACCESS_TOKEN)")


__all__ = ["HubSpotSettings"]
