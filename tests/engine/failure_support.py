"""Flows that fail where no step classifies the error, for the unrecorded-failure tests.

``LOST_DATABASE`` makes the ``lookup`` step's call raise the error a lost database connection
raises (psycopg's ``AdminShutdown`` wrapped by SQLAlchemy) that many times; ``BODY_BUG`` makes
the flow's own code raise after its first step; ``BATCH_BUG`` makes a batch flow's code raise.
"""

from __future__ import annotations

from typing import Any

from dbos import DBOS
from engine_support_flows import post_effect
from sqlalchemy.exc import OperationalError

from accord.engine import FlowInput, StepCall, flow, step
from accord.engine.batch import Batch, BatchCall, batch_flow, batch_step

LOST_DATABASE = [0]
BODY_BUG = [False]
BATCH_BUG = [False]


def admin_shutdown() -> OperationalError:
    return OperationalError("UPDATE limit_slot SET holder=%(holder)s", {},
                            Exception("terminating connection due to administrator command"))


@step("erp", "lookup", entity="invoice")
def lookup(call: StepCall, run: FlowInput) -> str:
    if LOST_DATABASE[0] > 0:
        LOST_DATABASE[0] -= 1
        raise admin_shutdown()
    return post_effect(call, "lookup", {"correlation": run.correlation_id})


@flow("test.lookup_flow")
def lookup_flow(run: FlowInput) -> str:
    return lookup(run)


@step("erp", "first_effect", entity="invoice")
def first_effect(call: StepCall, run: FlowInput) -> str:
    return post_effect(call, "first_effect", {"correlation": run.correlation_id})


@step("erp", "second_effect", entity="invoice")
def second_effect(call: StepCall, run: FlowInput) -> str:
    return post_effect(call, "second_effect", {"correlation": run.correlation_id})


@flow("test.body_bug_flow")
def body_bug_flow(run: FlowInput) -> list[str]:
    first = first_effect(run)
    if BODY_BUG[0]:
        raise KeyError("currency")
    return [first, second_effect(run)]


@DBOS.workflow(name="test.raw_failing_workflow")
def raw_failing_workflow(run: FlowInput) -> str:
    """Fails the way a flow does when it cannot open its exception record."""
    raise RuntimeError(f"no exception could be recorded for {run.correlation_id}")


@batch_step("toyerp", "stamp", entity="invoice_number")
def stamp(_call: BatchCall, inputs: dict[str, Any]) -> dict[str, Any]:
    return dict.fromkeys(inputs, "stamped")


@batch_flow("test.batch_bug_flow")
def batch_bug_flow(batch: Batch) -> None:
    batch.absorb(stamp({item.correlation_id: item.payload for item in batch.alive}))
    if BATCH_BUG[0]:
        raise ValueError("a bug after the batch step")
