"""FakeBill settings: ``[systems.fakebill]`` in accord.toml or ``ACCORD_FAKEBILL_*``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from accord.settings import SystemSettings


class FakeBillSettings(SystemSettings):
    model_config = SettingsConfigDict(env_prefix="ACCORD_FAKEBILL_", extra="ignore")
    toml_table: ClassVar[tuple[str, ...]] = ("systems", "fakebill")

    api_key: SecretStr | None = Field(default=None, description="FakeBill API key (fb_...)")
    timeout_seconds: float = Field(default=30.0, gt=0)
    webhook_secret: SecretStr | None = Field(
        default=None, description="signing secret (fbwhsec_...) of FakeBill's webhook "
        "endpoint https://<accord>/hooks/fakebill; unset: events are polled only")
    webhook_tolerance_seconds: int = Field(default=300, ge=1,
                                           description="oldest signature timestamp accepted")

    @property
    def configured(self) -> bool:
        return self.api_key is not None and self.base_url is not None

    @property
    def missing(self) -> str:
        return "set base_url and api_key in [systems.fakebill] (or ACCORD_FAKEBILL_*)"
