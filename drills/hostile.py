"""Hostile deliveries: Stripe's events of the workload arrive out of order, partly twice,
partly late and replayed, mixed with forged, tampered, expired, oversized and malformed
deliveries.

Every genuine event's invoice must be posted exactly once with its amount; every hostile
delivery must get its 4xx (400 for signatures and bodies, 413 for size), be counted by the
API's rejection counter (``accord_webhook_rejections_total`` on ``/metrics``) and leave
nothing in the inbox; the API must answer ``/healthz`` after each. ``late`` events are held
back until every other delivery (and the duplicates) has been made.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import contextlib

import httpx
from harness import Stage, stripe_signature
from workload import verdict


@dataclass(frozen=True)
class Hostile:
    kind: str
    body: bytes
    headers: dict[str, str]
    status: int
    reason: str  # the rejection counter's reason label


def hostile_deliveries(stage: Stage, genuine: list[bytes], forged: list[bytes],
                       rng: random.Random) -> list[Hostile]:
    """Deliveries that must all be refused."""
    secret = stage.webhook_secret
    now = int(time.time())
    found: list[Hostile] = []
    for body in forged:  # a sender that does not know the secret
        found.append(Hostile("forged", body, {"Stripe-Signature": stripe_signature(
            body, "whsec_" + "0" * 32, now)}, 400, "no signature matches the payload"))
    for body in rng.sample(genuine, min(len(genuine), max(5, len(forged)))):
        event = json.loads(body)
        event["data"]["object"]["amount_due"] = 1
        tampered = json.dumps(event).encode()  # signed as it was, altered on the way
        found.append(Hostile("tampered", tampered, {"Stripe-Signature": stripe_signature(
            body, secret, now)}, 400, "no signature matches the payload"))
    for body in rng.sample(genuine, min(len(genuine), max(5, len(forged)))):
        # a replay of a delivery captured ten minutes ago: its signature has expired
        found.append(Hostile("expired", body, {"Stripe-Signature": stripe_signature(
            body, secret, now - 600)}, 400, "signature timestamp is outside the tolerance"))
    body = genuine[0]
    found += [
        Hostile("unsigned", body, {}, 400, "missing Stripe-Signature header"),
        Hostile("no timestamp", body, {"Stripe-Signature": "v1=" + "ab" * 32}, 400,
                "Stripe-Signature has no timestamp"),
        Hostile("oversized", b'{"pad": "' + b"x" * (600 * 1024) + b'"}', {}, 413,
                "too large"),
        Hostile("oversized", b"[" + b"1," * (400 * 1024) + b"1]", {}, 413, "too large"),
        Hostile("malformed", b"{not json", {}, 400, "malformed body"),
        Hostile("malformed", b"\xff\xfe\x00garbage", {}, 400, "malformed body"),
        Hostile("malformed", b"[1, 2, 3]", {}, 400, "malformed body"),
        Hostile("malformed", b"", {}, 400, "malformed body"),
        Hostile("malformed", b'{"truncated": ', {}, 400, "malformed body"),
    ]
    rng.shuffle(found)
    return found


def run(events: int, customers: int, workers: int, use_postgres: bool, *, forged: int = 50,
        quiet: bool = False, deadline_seconds: float = 1500, stage: Stage | None = None,
        **_knobs: Any) -> dict[str, Any]:
    rng = random.Random(23)
    with ExitStack() as owned:
        if stage is None:
            stage = owned.enter_context(Stage(workers=workers, use_postgres=use_postgres,
                                              customers=customers, events=events))
        else:
            stage.next_workload(events)
        workload = stage.workload
        genuine = workload.events
        started = time.monotonic()
        count = len(genuine)
        late = set(range(3, count, 20))  # every 20th event is held back to the end
        bodies = {n: json.dumps(event).encode() for n, event in enumerate(genuine)}
        on_time = [n for n in range(count) if n not in late]
        # out of order: shuffled within windows of 50 events
        order: list[int] = []
        for at in range(0, len(on_time), 50):
            window = on_time[at:at + 50]
            rng.shuffle(window)
            order += window
        twice = set(rng.sample(on_time, len(on_time) // 5))
        forged_bodies = [json.dumps({**genuine[n % count], "id": f"evt_forged_{n:05d}"}
                                    ).encode() for n in range(forged)]
        hostile = hostile_deliveries(stage, [bodies[n] for n in on_time[:200]],
                                     forged_bodies, rng)
        before = stage.api.rejections()
        sender = stage.sender()
        hostile_at = {int(i * len(order) / max(1, len(hostile))): h
                      for i, h in enumerate(hostile)}
        answers: list[dict[str, Any]] = []
        with httpx.Client(base_url=stage.api.url, timeout=30) as client:
            for i, n in enumerate(order):
                sender.send_body(str(genuine[n]["id"]), bodies[n])
                if n in twice:  # a duplicate right behind the original
                    sender.send_body(str(genuine[n]["id"]), bodies[n])
                if i in hostile_at:
                    answers.append(send_hostile(client, hostile_at[i]))
            sender.close()
            behind = stage.sender()
            for n in sorted(late):
                behind.send_body(str(genuine[n]["id"]), bodies[n])
            replayed = rng.sample(on_time, max(1, len(on_time) // 20))
            for n in replayed:  # redelivered later, freshly signed (a resend)
                behind.send_body(str(genuine[n]["id"]), bodies[n])
            behind.close()
            after = stage.api.rejections()
            alive = stage.api.alive()
        stage.wait_for_drain(len(workload.invoices), started + deadline_seconds)
        elapsed = time.monotonic() - started
        stuck = stage.stuck_records()
        rows = stage.netsuite_invoices()
        result = verdict(workload, rows, len(stuck))
        inbox = stage.inbox()
        counted = {reason: after.get(reason, 0) - before.get(reason, 0)
                   for reason in set(after) | set(before)}
        expected_counts = Counter(h.reason for h in hostile)
        wrong_status = [a for a in answers if a["status"] != a["expected"]]
        unnamed = [a for a in answers if a["status"] == 400 and not a["names_field"]]
        down = [a for a in answers if not a["alive_after"]]
        stored_forged = sorted(e for e in inbox if e.startswith("evt_forged_"))
        miscount = {r: (counted.get(r, 0), c) for r, c in expected_counts.items()
                    if counted.get(r, 0) != c}
        dup_expected = len(twice) + len(replayed)
        dup_seen = sum(v["deliveries"] - 1 for v in inbox.values())
        summary = result.summary()
        summary["examples"].update({
            "stuck": stuck[:5], "wrong_status": wrong_status[:5],
            "rejection_without_field": unnamed[:5], "forged_stored": stored_forged[:5],
            "miscounted": {r: {"counted": a, "sent": b} for r, (a, b) in miscount.items()}})
        checks = {"hostile_refused_with_expected_status": not wrong_status,
                  "rejections_name_the_field": not unnamed,
                  "rejection_counter_matches": not miscount,
                  "nothing_hostile_stored": not stored_forged,
                  "server_up_throughout": not down and alive,
                  "duplicates_recorded_not_processed": dup_seen >= dup_expected}
        summary["checks"] = checks
        summary["ok"] = summary["ok"] and all(checks.values())
        return {"drill": "hostile", "events": count, "workers": stage.workers_wanted,
                "customers": customers,
                "database": "postgresql" if use_postgres else "sqlite",
                "intake": "Stripe's invoice.finalized events, signed, to POST /hooks/stripe "
                          "(accord serve --no-workers); flows on accord worker processes",
                "deliveries": {"out_of_order_window": 50, "duplicated": len(twice),
                               "late": len(late), "replayed": len(replayed),
                               "hostile": dict(Counter(h.kind for h in hostile))},
                "rejections_counted": counted, "duplicate_deliveries_recorded": dup_seen,
                "sender": sender.stats.summary(), "seconds": round(elapsed, 1),
                "events_per_second": round(count / elapsed, 1),
                "flows_by_status": stage.workflow_statuses(),
                "open_exception_count": len(stage.open_exceptions()),
                "netsuite_governance": stage.governance(), "verdict": summary}


def send_hostile(client: httpx.Client, hostile: Hostile) -> dict[str, Any]:
    response = client.post("/hooks/stripe", content=hostile.body,
                           headers={"Content-Type": "application/json", **hostile.headers})
    detail = ""
    with contextlib.suppress(ValueError):
        detail = str(response.json().get("detail", ""))
    field = detail.split(":", 1)[0]
    return {"kind": hostile.kind, "status": response.status_code, "expected": hostile.status,
            "detail": detail[:120], "names_field": field in {"body", "signature"},
            "alive_after": client.get("/healthz").status_code == 200}
