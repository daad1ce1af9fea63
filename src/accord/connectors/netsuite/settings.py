"""NetSuite connection settings: ``[systems.netsuite]`` and ``ACCORD_NETSUITE_*``."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from accord.settings import SystemSettings

STANDARD_CONCURRENCY = 5


class NetSuiteSettings(SystemSettings):
    """Token-based authentication credentials of one NetSuite account."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_NETSUITE_", extra="ignore")
    toml_table: ClassVar[tuple[str, ...]] = ("systems", "netsuite")

    account_id: str = Field(default="", description="account id, e.g. 1234567 or 1234567_SB1",
                            json_schema_extra={"where": "Setup > Company > Company "
                                               "Information > Account ID"})
    consumer_key: str = Field(default="", description="integration record consumer key",
                              json_schema_extra={"where": "Setup > Integration > Manage "
                                                 "Integrations > New, with Token-Based "
                                                 "Authentication: shown once when saved"})
    consumer_secret: SecretStr = Field(default=SecretStr(""),
                                       description="integration record consumer secret",
                                       json_schema_extra={"where": "shown with the consumer "
                                                          "key; keep it in a secret file"})
    token_id: str = Field(default="", description="access token id",
                          json_schema_extra={"where": "Setup > Users/Roles > Access Tokens > "
                                             "New, for the integration and a role with REST "
                                             "web services and SuiteQL: shown once when "
                                             "saved"})
    token_secret: SecretStr = Field(default=SecretStr(""), description="access token secret",
                                    json_schema_extra={"where": "shown with the token id; "
                                                       "keep it in a secret file"})
    max_concurrency: int = Field(
        default=STANDARD_CONCURRENCY, ge=1,
        description="concurrent requests this integration may use (account-wide limit)")
    timeout_seconds: float = Field(default=60.0, gt=0)
    refdata_path: Path | None = Field(
        default=None, description="reference-data file (TOML or JSON); default: bundled v1")

    @property
    def configured(self) -> bool:
        return all((self.account_id, self.consumer_key, self.consumer_secret.get_secret_value(),
                    self.token_id, self.token_secret.get_secret_value()))

    @property
    def missing(self) -> str:
        return ("set account_id, consumer_key, consumer_secret, token_id and token_secret in "
                "its [systems.<instance>] table (or ACCORD_NETSUITE_*)")

    @property
    def rest_root(self) -> str:
        """``https://<account>.suitetalk.api.netsuite.com`` unless ``base_url`` overrides it."""
        if self.base_url:
            return self.base_url.rstrip("/")
        slug = self.account_id.lower().replace("_", "-")
        return f"https://{slug}.suitetalk.api.netsuite.com"


__all__ = ["STANDARD_CONCURRENCY", "NetSuiteSettings"]
