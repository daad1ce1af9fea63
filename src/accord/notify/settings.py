"""The ``[notifications]`` table of ``accord.toml``: how each owning team is told::

    [notifications]
    console_url = "https://accord.example.com"   # links in messages
    aging_ratio = 0.5          # an exception past half its SLA gets a reminder
    digest_threshold = 5       # more messages than this for one owner in one pass: a digest

    [notifications.smtp]
    host = "smtp.example.com"
    port = 587
    starttls = true
    username = "accord"        # password: ACCORD_SMTP_PASSWORD (environment or secret file)
    sender = "accord@example.com"

    [notifications.webhooks]   # Slack-compatible incoming webhooks, by name; their URLs are
    finance = "https://hooks.example.com/services/T000/B000/XXXX"   # secrets: or set
                               # ACCORD_WEBHOOK_FINANCE

    [notifications.owners.finance_operations]
    email = ["finance-ops@example.com"]
    webhook = "finance"
    escalate_email = ["cfo-office@example.com"]   # told once an exception breaches its SLA
    escalate_webhook = "finance"

    [notifications.owners.default]   # any owner without a table of its own
    email = ["integration@example.com"]

Exception SLAs (hours, business hours) are ``[slas.exceptions.<owner>]``
(:mod:`accord.observability.slas`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from accord.settings import secrets_dir

DEFAULT_OWNER = "default"


class Smtp(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "accord@localhost"
    timeout_seconds: float = Field(default=10, gt=0)


class OwnerContacts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    email: tuple[str, ...] = ()
    webhook: str | None = None
    escalate_email: tuple[str, ...] = ()
    escalate_webhook: str | None = None

    @property
    def escalates(self) -> bool:
        return bool(self.escalate_email or self.escalate_webhook)


class NotificationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    console_url: str = "http://127.0.0.1:8080"
    aging_ratio: float = Field(default=0.5, gt=0, lt=1)
    digest_threshold: int = Field(default=5, ge=1)
    every_seconds: float = Field(default=60, gt=0)
    smtp: Smtp | None = None
    webhooks: dict[str, SecretStr] = Field(default_factory=dict)
    owners: dict[str, OwnerContacts] = Field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return self.enabled and bool(self.owners)

    def contacts(self, owner: str) -> OwnerContacts | None:
        return self.owners.get(owner) or self.owners.get(DEFAULT_OWNER)


def _secret(name: str) -> str | None:
    """``ACCORD_<NAME>`` from the environment, else from the secrets folder."""
    variable = f"ACCORD_{name}"
    if os.environ.get(variable):
        return os.environ[variable]
    folder = secrets_dir()
    path = Path(folder, variable) if folder is not None else None
    if path is not None and path.is_file():
        return path.read_text(encoding="utf-8").strip()
    return None


def notification_settings(config: Mapping[str, Any]) -> NotificationSettings:
    """``[notifications]`` with its secrets from the environment or secret files."""
    table = dict(config.get("notifications", {}) or {})
    smtp = dict(table.get("smtp", {}) or {})
    if smtp and not smtp.get("password"):
        smtp["password"] = _secret("SMTP_PASSWORD")
    if smtp:
        table["smtp"] = smtp
    hooks = dict(table.get("webhooks", {}) or {})
    for owner in (table.get("owners", {}) or {}).values():
        for key in ("webhook", "escalate_webhook"):
            name = owner.get(key) if isinstance(owner, Mapping) else None
            if name and not hooks.get(name):
                found = _secret(f"WEBHOOK_{str(name).upper().replace('-', '_')}")
                if found:
                    hooks[name] = found
    table["webhooks"] = hooks
    return NotificationSettings.model_validate(table)


__all__ = ["DEFAULT_OWNER", "NotificationSettings", "OwnerContacts", "Smtp",
           "notification_settings"]
