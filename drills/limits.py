"""The sandboxes' limit figures, read through their control planes, in one shape for the
three systems, and the throttle drill's checks on them: for every system no refusal after
the first one; Salesforce's daily requests within the allocation."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx


# -- NetSuite's first refusal ---------------------------------------------------------------
class RefusalWatch:
    """Polls a refusal count (NetSuite's governance ``rejected``) and notes when it first
    grew: the moment of the first refusal, to half a second."""

    def __init__(self, read: Callable[[], int], interval: float = 0.5) -> None:
        self.read = read
        self.interval = interval
        self.first_at: datetime | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="refusal-watch")
        self._thread.start()

    def _run(self) -> None:
        while self.first_at is None and not self._stop.wait(self.interval):
            try:
                if self.read() > 0:
                    self.first_at = datetime.now(UTC)
            except httpx.HTTPError:
                continue

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# -- one view of the three -------------------------------------------------------------------
def seconds_after(began: datetime, moment: str | datetime | None) -> float | None:
    if moment is None:
        return None
    at = moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)
    return round((at - began).total_seconds(), 1)


def stripe_limits(raw: Mapping[str, Any], began: datetime) -> dict[str, Any]:
    return {"limit": f"{raw['rate_limit_per_second']:g} requests/s",
            "refused": raw["refused"], "refused_after_first": raw["refused_after_first"],
            "first_refusal_s": seconds_after(began, raw["first_refused_at"]),
            "last_refusal_s": seconds_after(began, raw["last_refused_at"]),
            "peak": f"{raw['peak_second']} requests in the busiest second",
            "admitted": raw["admitted"]}


def salesforce_limits(raw: Mapping[str, Any], began: datetime) -> dict[str, Any]:
    return {"limit": f"{raw['concurrent_limit']} concurrent, "
                     f"{raw['daily_api_requests']:,} requests/24 h",
            "refused": raw["refused"], "refused_after_first": raw["refused_after_first"],
            "refused_concurrent": raw["refused_concurrent"],
            "refused_daily": raw["refused_daily"],
            "first_refusal_s": seconds_after(began, raw["first_refused_at"]),
            "last_refusal_s": seconds_after(began, raw["last_refused_at"]),
            "peak": f"{raw['peak_concurrency']} at once ({raw['peak_admitted']} admitted)",
            "daily_used": raw["used"], "daily_allocation": raw["daily_api_requests"]}


def netsuite_limits(raw: Mapping[str, Any], began: datetime,
                    first_at: datetime | None, rejected_before: int = 0) -> dict[str, Any]:
    """NetSuite's governance figures (``rejected_before``: refusals before the drill, which
    the sandbox cannot forget)."""
    refused = int(raw["rejected"]) - rejected_before
    return {"limit": f"{raw['limit']} concurrent", "refused": refused,
            "refused_after_first": max(0, refused - 1),
            "first_refusal_s": seconds_after(began, first_at),
            "peak": f"{raw['peak']} at once ({raw['peak_admitted']} admitted)",
            "admitted": raw["admitted"]}


def limit_checks(limits: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, bool], list[str]]:
    """Every system: no refusal after the first; Salesforce: the run fit in the daily
    allocation. Returns the checks and, for each failed one, a line naming the figures."""
    checks: dict[str, bool] = {}
    failures: list[str] = []
    for system, found in limits.items():
        name = f"{system}: no refusal after the first"
        checks[name] = found["refused_after_first"] == 0
        if not checks[name]:
            failures.append(
                f"{system} refused {found['refused']} requests for its limit ({found['limit']})"
                f": {found['refused_after_first']} after the first, which came at "
                f"{found['first_refusal_s']} s; peak {found['peak']}")
    if "salesforce" in limits:
        found = limits["salesforce"]
        name = "salesforce: daily requests within the allocation"
        checks[name] = (found["daily_used"] <= found["daily_allocation"]
                        and found["refused_daily"] == 0)
        if not checks[name]:
            failures.append(f"salesforce used {found['daily_used']:,} of "
                            f"{found['daily_allocation']:,} daily requests, "
                            f"{found['refused_daily']} refused for the allocation")
    return checks, failures


__all__ = ["RefusalWatch", "limit_checks", "netsuite_limits", "salesforce_limits",
           "stripe_limits"]
