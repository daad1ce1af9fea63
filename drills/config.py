"""What a drill tells its worker processes beyond the connectors' settings: which systems the
posting flow involves, the Stripe and Salesforce ids of the workload's customers, and the
limits accord is configured with.

The drill writes it as JSON to a file whose path is in ``DRILL_CONFIG``; workers read it
once, at import (a flow's steps must be the same in every process that may recover it).
Without ``DRILL_CONFIG`` the flow involves NetSuite only, as the drills always did.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from accord.resilience import LimitsProfile

ENV = "DRILL_CONFIG"
ALL_SYSTEMS = ("stripe", "salesforce", "netsuite")
NETSUITE_CONCURRENCY = 5
"""A standard NetSuite account's concurrency limit (the sandbox's default)."""
POSTED_INVOICE = "last_posted_invoice"
"""The Stripe customer's metadata key that the flow's ``stripe.record_posting`` sets."""


@dataclass(frozen=True)
class DrillConfig:
    systems: tuple[str, ...] = ("netsuite",)
    accounts: dict[str, dict[str, str]] = field(default_factory=dict)
    """Canonical customer id -> {"stripe": "cus_...", "salesforce": "001..."}."""
    limiters: bool = True
    """False: accord's limiters are switched off for every system (a control run)."""
    salesforce_concurrency: int | None = None
    """The org's concurrent-request limit, when it is not a production org's 25."""
    stripe_rate: float | None = None
    """Requests per second accord allows itself for Stripe; None: the engine's default, 80 %
    of the connector's published 25 (``RATE_HEADROOM``)."""

    def involves(self, system: str) -> bool:
        return system in self.systems

    def engine_limits(self) -> dict[str, LimitsProfile]:
        """``EngineOptions.limits`` for the workers: NetSuite's account limit and, when set,
        the org's Salesforce limit and a Stripe rate; otherwise Stripe keeps its connector's
        published 25 requests/s at the engine's headroom. Without limiters, an empty profile
        per system (no gate, no pacing)."""
        if not self.limiters:
            return {system: LimitsProfile() for system in ALL_SYSTEMS}
        limits = {"netsuite": LimitsProfile(max_concurrency=NETSUITE_CONCURRENCY)}
        if self.salesforce_concurrency:
            limits["salesforce"] = LimitsProfile(max_concurrency=self.salesforce_concurrency)
        if self.stripe_rate:
            limits["stripe"] = LimitsProfile(requests_per_second=self.stripe_rate)
        return limits

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))


def load(environ: dict[str, str] | None = None) -> DrillConfig:
    found = (environ if environ is not None else os.environ).get(ENV)
    if not found:
        return DrillConfig()
    raw = json.loads(Path(found).read_text())
    return DrillConfig(systems=tuple(raw["systems"]), accounts=dict(raw["accounts"]),
                       limiters=bool(raw["limiters"]),
                       salesforce_concurrency=raw.get("salesforce_concurrency"),
                       stripe_rate=raw.get("stripe_rate"))
