"""Request admission: API-key authentication and Stripe's rate and concurrency limits, with
the figures ``GET /__sandbox/stripe/limits`` reports (refusals, busiest second)."""

from __future__ import annotations

import base64
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel

from accord.sandboxes.refusals import Refusals
from accord.sandboxes.stripe.errors import ErrorType, StripeApiError, invalid

_NO_KEY = ("You did not provide an API key. You need to provide your API key in the "
           "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
           "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or "
           "we can help at https://support.stripe.com/.")


def masked(key: str) -> str:
    """How Stripe echoes a rejected key: prefix, stars, last four characters."""
    prefix = key[:8] if key.startswith(("sk_", "rk_")) else ""
    return f"{prefix}{'*' * max(4, len(key) - len(prefix) - 4)}{key[-4:]}"


def api_key_from(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip()).decode()
        except ValueError:
            return None
        return decoded.partition(":")[0] or None
    return None


def authenticate(authorization: str | None, configured: str | None) -> str:
    key = api_key_from(authorization)
    if key is None:
        raise StripeApiError(401, ErrorType.INVALID_REQUEST, _NO_KEY)
    accepted = key == configured if configured else key.startswith(("sk_test_", "rk_test_"))
    if not accepted:
        raise StripeApiError(401, ErrorType.INVALID_REQUEST,
                             f"Invalid API Key provided: {masked(key)}",
                             code="api_key_invalid" if configured else None)
    return key


class LimitsView(BaseModel):
    """``GET /__sandbox/stripe/limits``: the limits in force and what they did."""

    rate_limit_per_second: float
    """0: no rate limit."""
    concurrency_limit: int | None
    admitted: int
    refused: int
    refused_for_rate: int
    refused_for_concurrency: int
    first_refused_at: datetime | None
    last_refused_at: datetime | None
    refused_after_first: int
    """Refusals after the first one: a client that heeds the first 429 keeps this at 0."""
    peak_second: int
    """Admitted requests in the busiest one-second window (sandbox clock)."""
    peak_in_flight: int


class RateGate:
    """A sliding one-second window on the sandbox clock (so a frozen clock makes the limit
    deterministic in tests) plus a cap on requests in flight. It also keeps the figures of
    :class:`LimitsView`: refusals, and the busiest second of admitted requests."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._recent: deque[float] = deque()
        """Admission times within the last second while a rate is set: what the limit counts
        (a rate set just now starts from an empty window, as before these figures)."""
        self._second: deque[float] = deque()
        """Admission times within the last second whatever the limits: the busiest second."""
        self._in_flight = 0
        self._admitted = self._peak_second = self._peak_in_flight = 0
        self._rate_refusals = Refusals()
        self._concurrency_refusals = Refusals()
        self._refusals = Refusals()

    def admit(self, per_second: float, concurrency: int | None) -> None:
        with self._lock:
            at = self._now()
            now = at.timestamp()
            for window in (self._recent, self._second):
                while window and window[0] <= now - 1.0:
                    window.popleft()
            if concurrency is not None and self._in_flight >= concurrency:
                self._refuse(at, self._concurrency_refusals)
                raise _limited("Too many concurrent requests. Please reduce concurrency.")
            if per_second:
                if len(self._recent) >= per_second:
                    self._refuse(at, self._rate_refusals)
                    raise _limited("Request rate limit exceeded. You can learn more about "
                                   "rate limits here https://stripe.com/docs/rate-limits.")
                self._recent.append(now)
            self._second.append(now)
            self._in_flight += 1
            self._admitted += 1
            self._peak_second = max(self._peak_second, len(self._second))
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)

    def _refuse(self, at: datetime, kind: Refusals) -> None:
        kind.add(at)
        self._refusals.add(at)

    def release(self) -> None:
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)

    def view(self, per_second: float, concurrency: int | None) -> LimitsView:
        """The figures since the last reset, with the limits now in force."""
        with self._lock:
            refusals = self._refusals
            return LimitsView(
                rate_limit_per_second=per_second, concurrency_limit=concurrency,
                admitted=self._admitted, refused=refusals.count,
                refused_for_rate=self._rate_refusals.count,
                refused_for_concurrency=self._concurrency_refusals.count,
                first_refused_at=refusals.first_at, last_refused_at=refusals.last_at,
                refused_after_first=max(0, refusals.count - 1),
                peak_second=self._peak_second, peak_in_flight=self._peak_in_flight)

    def reset_figures(self) -> None:
        """Forget refusals and peaks (the window itself is kept: the limit still holds)."""
        with self._lock:
            self._admitted = self._peak_second = 0
            self._peak_in_flight = self._in_flight
            self._rate_refusals = Refusals()
            self._concurrency_refusals = Refusals()
            self._refusals = Refusals()

    def reset(self) -> None:
        with self._lock:
            self._recent.clear()
            self._second.clear()
        self.reset_figures()


def _limited(message: str) -> StripeApiError:
    error = invalid(message, code="rate_limit", status=429)
    error.headers["Retry-After"] = "1"
    return error
