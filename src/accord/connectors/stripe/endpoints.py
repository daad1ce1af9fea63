"""Registering accord's webhook endpoint with Stripe (``accord init``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accord.connectors.base import ProbeResult, ProbeStatus, SetupCheck
from accord.connectors.stripe.client import StripeClient
from accord.connectors.stripe.settings import StripeSettings
from accord.errors import AccordError
from accord.resilience import RetryPolicy


def register_endpoint(settings: Any, url: str, event_types: Sequence[str]) -> str:
    """Subscribe ``url`` to ``event_types`` and return the endpoint's signing secret.
    Stripe shows a secret only when an endpoint is created, so an endpoint already there
    for ``url`` is replaced by a new one."""
    if not isinstance(settings, StripeSettings):
        raise TypeError("settings: expected the Stripe connector's settings")
    client = StripeClient(settings, policy=RetryPolicy(max_attempts=3))
    endpoints = client.v1.webhook_endpoints

    def register() -> str:
        for existing in endpoints.list(params={"limit": 100}).auto_paging_iter():
            if existing.url == url:
                endpoints.delete(existing.id)
        created = endpoints.create(params={"url": url, "enabled_events": sorted(event_types),
                                           "description": "accord"})
        return str(created.secret)

    # through the error table: Stripe down is an AccordError `accord init` reports in a line
    return str(client.call(register))


def registered_endpoint(settings: StripeSettings, event_types: Sequence[str]) -> str | None:
    """The URL of an enabled endpoint that receives every one of ``event_types``, if any."""
    client = StripeClient(settings, policy=RetryPolicy(max_attempts=1))
    wanted = set(event_types)
    for endpoint in client.v1.webhook_endpoints.list(params={"limit": 100}).auto_paging_iter():
        enabled = set(endpoint.enabled_events or [])
        if endpoint.status == "enabled" and ("*" in enabled or wanted <= enabled):
            return str(endpoint.url)
    return None


def verify_setup(settings: Any, event_types: Sequence[str]) -> list[SetupCheck]:
    """A webhook endpoint receives every event type a flow handles (``accord doctor``)."""
    if not isinstance(settings, StripeSettings):
        settings = StripeSettings()
    try:
        url = registered_endpoint(settings, event_types)
    except AccordError as exc:
        return [SetupCheck("webhook endpoint", ProbeResult(
            ProbeStatus.FAILED, f"cannot list webhook endpoints: {exc.message}",
            "give the key read access to webhook endpoints"))]
    if url is None:
        return [SetupCheck("webhook endpoint", ProbeResult(
            ProbeStatus.WARNING, f"no enabled endpoint receives {', '.join(event_types)}; "
            "accord falls back to polling events", "add an endpoint for "
            "https://<accord>/hooks/stripe (accord init registers one for the sandbox)"))]
    return [SetupCheck("webhook endpoint", ProbeResult(ProbeStatus.OK, f"{url} receives "
                                                      f"{len(event_types)} event types"))]


__all__ = ["register_endpoint", "registered_endpoint", "verify_setup"]
