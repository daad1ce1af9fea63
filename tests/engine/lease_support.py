"""A flow whose one step creates a customer in the billing sandbox (Stripe's official client,
over HTTP) with the step's idempotency key, for the zombie test.

``ACCORD_TEST_STRIPE_URL`` / ``ACCORD_TEST_STRIPE_KEY`` point at the sandbox. After the
vendor call the step writes ``called-<executor>`` in ``ACCORD_TEST_HOLD_DIR``; a worker with
``ACCORD_TEST_HOLD=1`` then waits for a ``release`` file there before returning (the window
in which it is paused and taken over), and writes ``returned-<executor>`` when it returns.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import stripe
from accord.engine import FlowInput, StepCall, current, flow, step


def _client() -> stripe.StripeClient:
    return stripe.StripeClient(os.environ["ACCORD_TEST_STRIPE_KEY"],
                               base_addresses={"api": os.environ["ACCORD_TEST_STRIPE_URL"]},
                               max_network_retries=0)


@step("billing", "create_customer", entity="customer")
def create_customer(call: StepCall, run: FlowInput) -> dict[str, str]:
    customer = _client().v1.customers.create(
        {"email": run.payload["email"], "name": run.payload["name"]},
        {"idempotency_key": call.idempotency_key})
    executor = current().options.executor_id
    hold = Path(os.environ["ACCORD_TEST_HOLD_DIR"])
    (hold / f"called-{executor}").write_text(customer.id)
    if os.environ.get("ACCORD_TEST_HOLD") == "1":
        while not (hold / "release").exists():
            time.sleep(0.02)
    (hold / f"returned-{executor}").write_text(customer.id)
    return {"customer": customer.id, "by": executor}


@flow("test.vendor_customer")
def vendor_customer(run: FlowInput) -> dict[str, str]:
    return create_customer(run)
