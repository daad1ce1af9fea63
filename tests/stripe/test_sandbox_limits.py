"""``GET /__sandbox/stripe/limits``: what the rate limit did, read back after real requests
made with the official stripe client."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

import stripe


def frozen_at(control: httpx.Client) -> datetime:
    answer = control.post("/__sandbox/clock/freeze", json={})
    answer.raise_for_status()
    return datetime.fromisoformat(answer.json()["now"])


def limits(control: httpx.Client) -> dict[str, object]:
    answer = control.get("/__sandbox/stripe/limits")
    answer.raise_for_status()
    found: dict[str, object] = answer.json()
    return found


def test_refusals_are_counted_with_the_moment_of_the_first(
        client: stripe.StripeClient, control: httpx.Client) -> None:
    at = frozen_at(control)
    control.put("/__sandbox/faults", json={"rate_limit_per_second": 3}).raise_for_status()
    for _ in range(3):
        client.v1.customers.list()
    for _ in range(2):
        with pytest.raises(stripe.RateLimitError):
            client.v1.customers.list()
    view = limits(control)
    assert (view["rate_limit_per_second"], view["admitted"], view["refused"],
            view["refused_for_rate"], view["refused_for_concurrency"]) == (3.0, 3, 2, 2, 0)
    assert view["refused_after_first"] == 1
    assert view["peak_second"] == 3
    assert datetime.fromisoformat(str(view["first_refused_at"])) == at
    assert view["last_refused_at"] == view["first_refused_at"]


def test_reset_forgets_the_figures_but_not_the_limit(
        client: stripe.StripeClient, control: httpx.Client) -> None:
    frozen_at(control)
    control.put("/__sandbox/faults", json={"rate_limit_per_second": 2}).raise_for_status()
    for _ in range(2):
        client.v1.customers.list()
    reset = control.post("/__sandbox/stripe/limits/reset")
    reset.raise_for_status()
    assert (reset.json()["admitted"], reset.json()["refused"],
            reset.json()["peak_second"]) == (0, 0, 0)
    assert reset.json()["first_refused_at"] is None
    with pytest.raises(stripe.RateLimitError):  # the last second still holds two requests
        client.v1.customers.list()
    assert limits(control)["refused_after_first"] == 0
    control.post("/__sandbox/clock/advance", json={"seconds": 1}).raise_for_status()
    client.v1.customers.list()
    assert (limits(control)["admitted"], limits(control)["refused"]) == (1, 1)


def test_busiest_second_is_a_sliding_window_even_without_a_limit(
        client: stripe.StripeClient, control: httpx.Client) -> None:
    """The fixture's sandbox runs with ``rate_limit: 0``: nothing is refused, and the busiest
    second still counts only requests less than a second apart."""
    frozen_at(control)
    for _ in range(2):
        client.v1.customers.list()
    control.post("/__sandbox/clock/advance", json={"seconds": 0.5}).raise_for_status()
    for _ in range(2):
        client.v1.customers.list()
    control.post("/__sandbox/clock/advance", json={"seconds": 0.6}).raise_for_status()
    client.v1.customers.list()  # the first two are now more than a second old
    view = limits(control)
    assert (view["rate_limit_per_second"], view["admitted"], view["refused"]) == (0.0, 5, 0)
    assert view["peak_second"] == 4
    assert view["first_refused_at"] is None
