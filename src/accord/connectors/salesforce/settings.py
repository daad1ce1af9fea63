"""Settings: ``[systems.salesforce]`` in accord.toml and ``ACCORD_SALESFORCE_*`` variables."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from accord.settings import SystemSettings


class SalesforceSettings(SystemSettings):
    model_config = SettingsConfigDict(env_prefix="ACCORD_SALESFORCE_", extra="ignore")
    toml_table: ClassVar[tuple[str, ...]] = ("systems", "salesforce")

    instance_url: str = Field(default="https://127.0.0.1:12112",
                              description="the org's instance URL (My Domain)",
                              json_schema_extra={"where": "Setup > My Domain: "
                                                 "https://<domain>.my.salesforce.com"})
    session_id: SecretStr | None = Field(
        default=None, description="session id / OAuth access token",
        json_schema_extra={"where": "an OAuth access token of the integration user, from a "
                           "Connected App (Setup > App Manager) with the api scope; keep it "
                           "in a secret file"})
    ca_cert: Path | None = Field(default=None,
                                 description="CA bundle to trust (the sandbox's ca.pem)")
    api_version: str = Field(default="62.0", pattern=r"^\d+\.\d$")
    client_id: str = Field(default="accord", description="sent as Sforce-Call-Options client; "
                           "shows up in changeOrigin so accord can skip its own writes")
    timeout_seconds: float = Field(default=30.0, gt=0)
    legal_entity: str = Field(default="US01", description="legal entity for accounts and "
                              "deals that do not name one (Legal_Entity__c)")
    cdc_feed_url: str | None = Field(default=None, description="CDC-style change feed; set to "
                                     "<instance_url>/__sandbox/salesforce/cdc for the sandbox")
    poll_overlap_seconds: float = Field(default=300.0, ge=0, description="how far back each "
                                        "SystemModstamp poll re-reads, for late commits")

    @property
    def configured(self) -> bool:
        return self.session_id is not None and bool(self.session_id.get_secret_value())

    @property
    def missing(self) -> str:
        return ("set instance_url and session_id in [systems.salesforce] "
                "(or ACCORD_SALESFORCE_INSTANCE_URL and ACCORD_SALESFORCE_SESSION_ID)")

    def endpoints(self) -> dict[str, str]:
        found = {**super().endpoints(), "instance_url": self.instance_url}
        if self.cdc_feed_url:
            found["cdc_feed_url"] = self.cdc_feed_url
        return found


__all__ = ["SalesforceSettings"]
