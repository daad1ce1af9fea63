"""Bad data: fuzz the webhook intake and the API with Hypothesis and Schemathesis while a
genuine workload flows.

Three kinds of input, all over real HTTP to ``accord serve``:

* **signed events with fuzzed records** - one of Stripe's own ``invoice.finalized`` events of
  the workload, under a new event id, correctly signed, whose invoice has one field replaced
  by an arbitrary JSON value or removed. The API must accept it (the signature is good), and
  the event must end processed (the posting flow reads the invoice from Stripe, so a fuzzed
  copy of a real invoice posts the same invoice, once), as an exception naming the field, or
  - its type fuzzed into one no flow acts on - kept in the inbox as ``unhandled``; nothing
  may stay stuck.
* **fuzzed deliveries** - arbitrary bytes, text, JSON, or a genuine event with a broken
  envelope, signed or not. The answer must be a 4xx whose detail starts with the field at fault
  (``body``, ``signature``, ``system``), or a 2xx for what is in fact a valid event; never 5xx.
* **the API's own inputs** - every operation of the app's OpenAPI document, through
  Schemathesis, authenticated as an admin: no 500, every 422 names its field (``loc``).

The genuine workload must still be posted exactly once with the right amounts, and the API
must answer ``/healthz`` at the end.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import httpx
from harness import Stage, correlation_of, stripe_signature
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workload import verdict

FIELDS_NAMED = ("body", "signature", "system")
INVOICE_PATHS = ("id", "object", "number", "customer", "currency", "status", "lines",
                 "lines.data", "lines.data.0", "lines.data.0.amount", "lines.data.0.price",
                 "amount_due", "subtotal", "total", "created", "subscription", "metadata")
ENVELOPE_PATHS = ("id", "object", "type", "created", "data", "data.object")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30) | st.sampled_from(["", "USD", "JPY", "-1", "1e400", "NaN", "0.001",
                                              "2026-02-30", "\x00", "x" * 300]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=6)
REMOVE = object()


def mutate(document: dict[str, Any], path: str, value: Any) -> None:
    """Replace (or, for REMOVE, delete) the value at dotted ``path`` when it exists."""
    parts = path.split(".")
    node: Any = document
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.get(part)
        if node is None or not isinstance(node, dict | list):
            return
    last = parts[-1]
    if isinstance(node, list):
        if value is REMOVE:
            node.pop(int(last))
        else:
            node[int(last)] = value
    elif value is REMOVE:
        node.pop(last, None)
    else:
        node[last] = value


def post(client: httpx.Client, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    response = client.post("/hooks/stripe", content=body, headers={
        "Content-Type": "application/json", **headers})
    try:
        detail = response.json().get("detail", "")
    except ValueError:
        detail = response.text
    return response.status_code, str(detail)


def fuzz_records(client: httpx.Client, secret: str, base: list[dict[str, Any]], examples: int,
                 accepted: dict[str, str], problems: list[dict[str, Any]]) -> None:
    counter = iter(range(10**9))
    target = "invoice"

    @given(path=st.sampled_from(INVOICE_PATHS), value=st.one_of(st.just(REMOVE), json_values))
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def one(path: str, value: Any) -> None:
        n = next(counter)
        event = copy.deepcopy(base[n % len(base)])
        event["id"] = f"evt_fuzz_{n:06d}"
        mutate(event["data"]["object"], path, value)
        body = json.dumps(event).encode()
        status, detail = post(client, body, {"Stripe-Signature": stripe_signature(
            body, secret, int(time.time()))})
        if status == 202:
            accepted[event["id"]] = f"{target}.{path}"
        else:
            problems.append({"input": f"signed event, {target}.{path} fuzzed", "status": status,
                             "detail": detail[:160]})

    one()


def fuzz_deliveries(client: httpx.Client, secret: str, base: list[dict[str, Any]], examples: int,
                    accepted: dict[str, str], problems: list[dict[str, Any]],
                    first: int = 0) -> None:
    counter = iter(range(first, 10**9))
    envelope_mutation = st.tuples(st.sampled_from(ENVELOPE_PATHS),
                                  st.one_of(st.just(REMOVE), json_values))
    bodies = st.one_of(
        st.binary(max_size=300).map(lambda b: ("bytes", b)),
        st.text(max_size=200).map(lambda t: ("text", t.encode("utf-8", "surrogatepass"))),
        json_values.map(lambda v: ("json", json.dumps(v).encode())),
        envelope_mutation.map(lambda m: ("envelope", m)))

    @given(kind_body=bodies, signed=st.booleans())
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def one(kind_body: tuple[str, Any], signed: bool) -> None:
        n = next(counter)
        kind, body = kind_body
        event_id = None
        if kind == "envelope":
            path, value = body
            event = copy.deepcopy(base[n % len(base)])
            event["id"] = event_id = f"evt_envfuzz_{n:06d}"
            mutate(event, path, value)
            event_id = str(event["id"]) if "id" in event else None
            body = json.dumps(event).encode()
            kind = f"envelope {path}"
        headers = {"Stripe-Signature": stripe_signature(body, secret, int(time.time()))} \
            if signed else {}
        status, detail = post(client, body, headers)
        field = detail.split(":", 1)[0]
        if status in (200, 202) and event_id is not None:
            accepted[event_id] = kind
        elif status >= 500 or not (400 <= status < 500 and field in FIELDS_NAMED):
            problems.append({"input": f"{kind}, {'signed' if signed else 'unsigned'}",
                             "status": status, "detail": detail[:160]})

    one()


def fuzz_api(url: str, token: str, examples: int, problems: list[dict[str, Any]]) -> int:
    """Schemathesis over every operation; returns how many operations were exercised."""
    import schemathesis

    def judge(_ctx: Any, response: Any, case: Any) -> bool | None:
        where = f"{case.method} {case.formatted_path}"
        if response.status_code >= 500 and response.status_code != 503:
            problems.append({"input": where, "status": response.status_code,
                             "detail": response.text[:160]})
        elif response.status_code == 422:
            details = (response.json() or {}).get("detail")
            if not isinstance(details, list) or not all(
                    isinstance(d, dict) and d.get("loc") for d in details):
                problems.append({"input": where, "status": 422,
                                 "detail": "rejection does not name its field"})
        return None

    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    results: list[Any] = list(schema.get_all_operations())
    operations = [result.ok() for result in results]  # an invalid operation raises here
    headers = {"Authorization": f"Bearer {token}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def exercise(case: Any) -> None:
            response = case.call(headers=headers)
            judge(None, response, case)

        exercise()
    return len(operations)


def run(events: int, customers: int, workers: int, use_postgres: bool, *,
        record_examples: int = 300, delivery_examples: int = 300, api_examples: int = 25,
        quiet: bool = False, deadline_seconds: float = 1500, stage: Stage | None = None,
        **_knobs: Any) -> dict[str, Any]:
    accepted: dict[str, str] = {}
    problems: list[dict[str, Any]] = []
    with ExitStack() as owned:
        if stage is None:
            stage = owned.enter_context(Stage(workers=workers, use_postgres=use_postgres,
                                              customers=customers, events=events))
        else:
            stage.next_workload(events)
        workload = stage.workload
        started = time.monotonic()
        sender = stage.sender()
        for event in workload.events:
            sender.send(event)
        with httpx.Client(base_url=stage.api.url, timeout=30) as client:
            fuzz_records(client, stage.webhook_secret, workload.events, record_examples,
                         accepted, problems)
            fuzz_deliveries(client, stage.webhook_secret, workload.events, delivery_examples,
                            accepted, problems, first=record_examples)
        sender.close()
        fuzzed_at = time.monotonic()
        operations = fuzz_api(stage.api.url, stage.env.token, api_examples, problems)
        api_at = time.monotonic()
        alive = stage.api.alive()
        stage.wait_for_drain(len(workload.invoices), started + deadline_seconds)
        elapsed = time.monotonic() - started
        phases = {"deliveries_and_fuzzed_events": round(fuzzed_at - started, 1),
                  "api_fuzz": round(api_at - fuzzed_at, 1),
                  "drain": round(time.monotonic() - api_at, 1)}
        stuck = stage.stuck_records()
        result = verdict(workload, stage.netsuite_invoices(), len(stuck))
        inbox = stage.inbox()
        # every status counts: the API fuzz, as an admin, may resolve or ignore some
        exceptions = stage.exceptions()
        by_correlation = {e["correlation_id"]: e for e in exceptions}
        outcomes = {"processed": 0, "exception": 0, "unhandled": 0}
        unaccounted: list[dict[str, Any]] = []
        unnamed: list[dict[str, Any]] = []
        for event_id, what in accepted.items():
            entry = inbox.get(event_id)
            exception = by_correlation.get(correlation_of(event_id))
            if entry and entry["workflow"] == "SUCCESS" and exception is None:
                outcomes["processed"] += 1
            elif entry and entry["status"] == "unhandled":
                # its type fuzzed into one no flow acts on: kept in the inbox, as Stripe's
                # many other event types are
                outcomes["unhandled"] += 1
            elif exception is not None:
                outcomes["exception"] += 1
                if not exception.get("field"):
                    unnamed.append({"event": event_id, "fuzzed": what,
                                    "reason": exception["reason"][:120]})
            else:
                unaccounted.append({"event": event_id, "fuzzed": what, "inbox": entry})
        summary = result.summary()
        summary["examples"].update({"stuck": stuck[:5], "problems": problems[:10],
                                    "unaccounted": unaccounted[:10],
                                    "exception_without_field": unnamed[:10]})
        checks = {"no_5xx_and_rejections_name_the_field": not problems,
                  "accepted_end_processed_or_exception": not unaccounted,
                  "exceptions_name_the_field": not unnamed, "server_up": alive}
        summary["checks"] = checks
        summary["ok"] = summary["ok"] and all(checks.values())
        fields = sorted({e["field"] for e in exceptions if e.get("field")})
        return {"drill": "bad_data", "events": events, "workers": stage.workers_wanted,
                "customers": customers,
                "database": "postgresql" if use_postgres else "sqlite",
                "intake": "Stripe's invoice.finalized events, signed, to POST /hooks/stripe "
                          "(accord serve --no-workers); flows on accord worker processes",
                "flows_by_status": stage.workflow_statuses(),
                "fuzz": {"signed_records": record_examples, "deliveries": delivery_examples,
                         "api_operations": operations, "api_examples_per_operation":
                         api_examples, "accepted_fuzzed_events": len(accepted),
                         **outcomes, "exception_fields": fields[:40]},
                "sender": sender.stats.summary(), "seconds": round(elapsed, 1),
                "phases_seconds": phases,
                "exceptions": [{k: e[k] for k in ("kind", "field", "reason", "correlation_id")}
                               for e in exceptions][:20],
                "events_per_second": round(events / elapsed, 1),
                "open_exception_count": sum(e["status"] == "open" for e in exceptions),
                "netsuite_governance": stage.governance(), "verdict": summary}


__all__ = ["run"]
