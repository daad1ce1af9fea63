"""What a sandbox's limits did: requests refused for a limit, and when.

Shared by the sandboxes that enforce a published limit (Stripe's request rate, Salesforce's
concurrent and daily requests) for their ``/__sandbox/<system>/limits`` reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Refusals:
    """Requests refused for a limit, and when (sandbox clock) the first and the last were."""

    count: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None

    def add(self, at: datetime) -> None:
        self.count += 1
        self.first_at = self.first_at or at
        self.last_at = at


__all__ = ["Refusals"]
