"""Flows used by the engine tests, in-process and in worker subprocesses.

Steps call the effects server over HTTP with the step's idempotency key. The server's base
URL comes from ``ACCORD_TEST_EFFECTS_URL`` (or :func:`use_server`). ``ACCORD_TEST_CRASH_AT``
names a step after whose HTTP call the process kills itself with SIGKILL (the crash hook).
"""

from __future__ import annotations

import os
import signal
from typing import Any

import httpx

from accord.engine import FlowInput, Milestone, StepCall, flow, step
from accord.errors import (
    AccordError,
    ConflictError,
    DataQualityError,
    PermanentError,
    RateLimited,
    Team,
    TransientError,
)
from accord.resilience.retry import retry_after_seconds

_client: httpx.Client | None = None
_base_url: str | None = None


def use_server(base_url: str | None) -> None:
    global _client, _base_url
    if _client is not None:
        _client.close()
    _client = None
    _base_url = base_url


def _http() -> httpx.Client:
    global _client
    if _client is None:
        base = _base_url or os.environ["ACCORD_TEST_EFFECTS_URL"]
        _client = httpx.Client(base_url=base, timeout=30,
                               limits=httpx.Limits(max_connections=64))
    return _client


def classify(response: httpx.Response, system: str) -> AccordError | None:
    if response.status_code < 400:
        return None
    body: dict[str, Any] = response.json() if response.content else {}
    if response.status_code == 429:
        return RateLimited("rate limited", system=system,
                           retry_after=retry_after_seconds(response.headers.get("Retry-After")))
    if response.status_code >= 500:
        return TransientError(f"server error {response.status_code}", system=system,
                              status=response.status_code)
    if response.status_code == 422:
        return DataQualityError(body.get("field", "?"), body.get("reason", "invalid"),
                                owner=Team(body.get("owner", Team.MASTER_DATA.value)),
                                system=system, status=422, detail=response.text)
    if response.status_code == 409:
        return ConflictError("conflict", system=system, status=409, detail=response.text)
    return PermanentError(f"rejected {response.status_code}", system=system,
                          status=response.status_code, detail=response.text)


def post_effect(call: StepCall, name: str, body: dict[str, Any], delay_ms: int = 0) -> str:
    response = _http().post(f"/effects/{call.system}/{name}", json=body,
                            params={"delay_ms": delay_ms} if delay_ms else None,
                            headers={"Idempotency-Key": call.idempotency_key})
    if os.environ.get("ACCORD_TEST_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
    error = classify(response, call.system)
    if error is not None:
        raise error
    return str(response.json()["id"])


@step("crm", "read_opportunity", entity="opportunity")
def read_opportunity(call: StepCall, run: FlowInput) -> str:
    return post_effect(call, "read_opportunity", {"correlation": run.correlation_id},
                       delay_ms=int(run.payload.get("crm_delay_ms", 0)))


@step("billing", "create_subscription", entity="customer")
def create_subscription(call: StepCall, run: FlowInput) -> str:
    return post_effect(call, "create_subscription", {"correlation": run.correlation_id,
                                                     **run.payload})


@step("erp", "post_invoice", entity="invoice", milestone=Milestone.INVOICE_POSTED)
def post_invoice(call: StepCall, run: FlowInput) -> str:
    return post_effect(call, "post_invoice", {"correlation": run.correlation_id},
                       delay_ms=int(run.payload.get("erp_delay_ms", 0)))


@flow("test.quote_to_cash")
def quote_to_cash(run: FlowInput) -> list[str]:
    """Three steps, three systems, three side effects."""
    return [read_opportunity(run), create_subscription(run), post_invoice(run)]


@step("billing", "apply_event", entity="customer")
def apply_event(call: StepCall, run: FlowInput) -> str:
    return post_effect(call, "apply_event",
                       {"customer": run.partition_key, "seq": run.payload["seq"]},
                       delay_ms=int(run.payload.get("delay_ms", 0)))


@flow("test.customer_event")
def customer_event(run: FlowInput) -> str:
    return apply_event(run)


@step("erp", "limited_call")
def limited_call(call: StepCall, run: FlowInput) -> str:
    return post_effect(call, "limited_call", {"n": run.payload["n"]},
                       delay_ms=int(run.payload.get("delay_ms", 0)))


@flow("test.limited")
def limited(run: FlowInput) -> str:
    return limited_call(run)
