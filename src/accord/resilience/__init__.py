"""Retry and limit policy shared by connectors and the engine."""

from accord.resilience.limits import LimitsProfile, LocalGate, RateLimiter, SlotGate
from accord.resilience.retry import RetriesExhausted, RetryPolicy, call_with_retry

__all__ = [
    "LimitsProfile",
    "LocalGate",
    "RateLimiter",
    "RetriesExhausted",
    "RetryPolicy",
    "SlotGate",
    "call_with_retry",
]
