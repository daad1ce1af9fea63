"""Request admission: API-key authentication and Stripe's rate and concurrency limits."""

from __future__ import annotations

import base64
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime

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


class RateGate:
    """A sliding one-second window on the sandbox clock (so a frozen clock makes the limit
    deterministic in tests) plus a cap on requests in flight."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._recent: deque[float] = deque()
        self._in_flight = 0

    def admit(self, per_second: float, concurrency: int | None) -> None:
        with self._lock:
            if concurrency is not None and self._in_flight >= concurrency:
                raise _limited("Too many concurrent requests. Please reduce concurrency.")
            if per_second:
                now = self._now().timestamp()
                while self._recent and self._recent[0] <= now - 1.0:
                    self._recent.popleft()
                if len(self._recent) >= per_second:
                    raise _limited("Request rate limit exceeded. You can learn more about rate "
                                   "limits here https://stripe.com/docs/rate-limits.")
                self._recent.append(now)
            self._in_flight += 1

    def release(self) -> None:
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)

    def reset(self) -> None:
        with self._lock:
            self._recent.clear()


def _limited(message: str) -> StripeApiError:
    error = invalid(message, code="rate_limit", status=429)
    error.headers["Retry-After"] = "1"
    return error
