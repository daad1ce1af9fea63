"""``accord demo`` exports its month's traces to the OTLP collector OpenTelemetry's own
environment variable names - here one in this test - with no ``accord.toml`` of the
user's: every business event's trace arrives whole, from its intake through its flow to
the step that wrote to billing or the ERP, with that step's vendor HTTP calls as children
carrying their system. (The demo runs on free ports: nothing else is disturbed.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from accord.observability.settings import TRACES_ENDPOINT

from .receivers import Received, chain_of

ACCOUNTS = 12
DEMO_SECONDS = 1200

pytestmark = pytest.mark.timeout(DEMO_SECONDS + 60)


def test_the_demo_exports_every_step_to_an_otlp_collector_named_in_its_environment(
        tmp_path: Path, collector: tuple[str, Received]) -> None:
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("ACCORD_", "OTEL_"))}
    environment.update({TRACES_ENDPOINT: f"{collector[0]}/v1/traces", "NO_COLOR": "1",
                        "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                                f"{os.environ.get('PATH', '')}"})
    demo = subprocess.Popen(["accord", "demo", "--accounts", str(ACCOUNTS), "--json"],
                            cwd=tmp_path, env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = demo.communicate(timeout=DEMO_SECONDS)
    finally:
        if demo.poll() is None:  # cut short: the demo stops what it started on SIGTERM
            os.killpg(demo.pid, signal.SIGTERM)
            demo.wait(timeout=120)
    assert demo.returncode == 0, output[-3000:]

    with collector[1].lock:
        spans = list(collector[1].spans)
    for flow, step, intake_system, system in (
            ("closed_won", "billing.create_subscription", "salesforce", "stripe"),
            ("invoice_posting_batch", "erp.post_invoice", "stripe", "netsuite"),
            ("payment_posting", "erp.post_payment", "stripe", "netsuite")):
        found = chain_of(spans, flow, step)
        assert found, f"no {flow} trace with {step} and its vendor calls"
        intake, flow_span, step_span, *calls = found
        assert intake.parent_span_id is None
        assert intake.name.startswith(f"intake {intake_system} ")
        assert intake.attributes["accord.system"] == intake_system
        assert flow_span.attributes["accord.correlation_id"]
        assert str(step_span.attributes["accord.system"]).startswith(system)
        assert {call.attributes["accord.system"] for call in calls} == {
            step_span.attributes["accord.system"]}
        # one trace from the flow down; the intake is its parent, or (a batch of several
        # invoices) the root of each invoice's own trace, which the batch's span links to
        assert len({span.trace_id for span in found[1:]}) == 1
        assert intake.trace_id == flow_span.trace_id or any(
            link.span_id == intake.span_id for link in flow_span.links)
