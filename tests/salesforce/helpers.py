"""Connector wiring for tests: settings pointing at the running sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr

from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.settings import SalesforceSettings
from accord.resilience import RetryPolicy
from accord.sandboxes.server import RunningSandbox


def settings_for(sandbox: RunningSandbox, **overrides: Any) -> SalesforceSettings:
    creds = sandbox.credentials()
    values: dict[str, Any] = {"instance_url": creds["instance_url"],
                              "session_id": SecretStr(creds["session_id"]),
                              "ca_cert": Path(creds["ca_cert"]),
                              "api_version": creds["api_version"]}
    values.update(overrides)
    return SalesforceSettings(**values)


def client_for(sandbox: RunningSandbox, **kwargs: Any) -> SalesforceClient:
    overrides = kwargs.pop("settings", {})
    kwargs.setdefault("policy", RetryPolicy(max_attempts=3, base_delay=0))
    kwargs.setdefault("sleep", lambda _seconds: None)
    return SalesforceClient(settings_for(sandbox, **overrides), **kwargs)
