"""Stripe connector settings: ``[systems.stripe]`` in accord.toml or ``ACCORD_STRIPE_*``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from accord.settings import SystemSettings

TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")


class StripeSettings(SystemSettings):
    """``base_url`` None means real Stripe (``https://api.stripe.com``); point it at the sandbox
    (``http://127.0.0.1:12111``) for local work."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_STRIPE_", extra="ignore")
    toml_table: ClassVar[tuple[str, ...]] = ("systems", "stripe")

    api_key: SecretStr | None = Field(
        default=None, description="secret or restricted key",
        json_schema_extra={"where": "Stripe Dashboard > Developers > API keys: the secret key "
                           "(sk_live_... or sk_test_...), or a restricted key that writes "
                           "customers, products, prices, subscriptions, invoices and billing "
                           "meters and reads charges, refunds and events"})
    webhook_secret: SecretStr | None = Field(
        default=None, description="signing secret (whsec_...) of the webhook endpoint",
        json_schema_extra={"where": "Dashboard > Developers > Webhooks > the endpoint "
                           "https://<accord>/hooks/stripe > Signing secret; keep it in a "
                           "secret file, not in accord.toml"})
    webhook_tolerance_seconds: int = Field(
        default=300, ge=1, description="oldest signature timestamp accepted (Stripe's default)")
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, description="attempts per call, first included")
    stripe_version: str | None = Field(
        default=None, description="API version to pin; default: the client library's own")

    test_clocks: bool = Field(
        default=False, description="create each customer on a test clock frozen at its "
        "contract start, so a test-mode account or the sandbox bills the contract's periods "
        "as they happened (demo and testing only; refused with a live key)")

    @property
    def configured(self) -> bool:
        return self.api_key is not None and bool(self.api_key.get_secret_value())

    @property
    def missing(self) -> str:
        return "set api_key in [systems.stripe] (or ACCORD_STRIPE_API_KEY)"

    @property
    def test_mode(self) -> bool:
        key = self.api_key.get_secret_value() if self.api_key else ""
        return key.startswith(TEST_KEY_PREFIXES)

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if self.test_mode:
            problems.append("api_key: a Stripe test-mode key (sk_test_/rk_test_); production "
                            "needs a live key (sk_live_ or rk_live_)")
        if self.test_clocks:
            problems.append("test_clocks: test clocks are for test mode, not production")
        return problems


__all__ = ["TEST_KEY_PREFIXES", "StripeSettings"]
