"""Settings: ``[systems.avatax]`` in accord.toml and ``ACCORD_AVATAX_*`` variables."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from accord.settings import SystemSettings

PRODUCTION = "https://rest.avatax.com"


class AvaTaxSettings(SystemSettings):
    model_config = SettingsConfigDict(env_prefix="ACCORD_AVATAX_", extra="ignore")
    toml_table: ClassVar[tuple[str, ...]] = ("systems", "avatax")

    base_url: str = Field(default=PRODUCTION, description="AvaTax's API base URL "
                          "(https://sandbox-rest.avatax.com for an AvaTax sandbox account, "
                          "the local sandbox's for local runs)")
    account_id: str | None = Field(
        default=None, description="the AvaTax account id (digits)",
        json_schema_extra={"where": "AvaTax admin console: Settings > License and API keys "
                           "(Account ID)"})
    license_key: SecretStr | None = Field(
        default=None, description="the account's license key",
        json_schema_extra={"where": "AvaTax admin console: Settings > License and API keys > "
                           "Generate license key (shown once)"})
    company_code: str = Field(default="DEFAULT", description="the company whose nexus and "
                              "exemptions apply (Settings > Manage companies)")
    timeout_seconds: float = Field(default=30.0, gt=0)

    @property
    def configured(self) -> bool:
        return bool(self.account_id) and self.license_key is not None \
            and bool(self.license_key.get_secret_value())

    @property
    def missing(self) -> str:
        return ("set account_id and license_key in [systems.avatax] "
                "(or ACCORD_AVATAX_ACCOUNT_ID and ACCORD_AVATAX_LICENSE_KEY)")


__all__ = ["PRODUCTION", "AvaTaxSettings"]
