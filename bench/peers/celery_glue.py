"""Peer (b): Celery workers on RabbitMQ posting straight to NetSuite.

Each task reads the event's invoice from Stripe and upserts it in NetSuite
(``glue_netsuite``). The webhook view does what Celery's documentation suggests: verify,
then hand the event to a task (``handle_event.delay(event)``) and answer 200. The task is
written the documented way for at-least-once work: ``acks_late=True`` (the message is
acknowledged after the task, so a worker that dies mid-task has it redelivered),
``autoretry_for`` the HTTP errors with ``retry_backoff`` / ``retry_jitter`` and
``max_retries=5`` (from the Celery "Automatic retry for known exceptions" guide), and
``worker_prefetch_multiplier = 1`` (the recommendation for long tasks with late acks).

    celery -A celery_glue worker --concurrency 4 -Q $BENCH_QUEUE

Broker: ``BENCH_BROKER_URL`` (default ``amqp://guest:guest@127.0.0.1:5672//``); each posted
invoice is appended to ``$BENCH_STATE/done.log``; a task that fails for good (retries exhausted)
is appended to ``$BENCH_STATE/failed.log``, as an error tracker would record it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import requests
from celery import Celery, Task
from celery.signals import task_failure
from glue_netsuite import customer_map, post_invoice_event, session, stripe_session
from workload import EVENT_TYPE, append_done

BROKER = os.environ.get("BENCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
QUEUE = os.environ.get("BENCH_QUEUE", "bench-peers")

app = Celery("celery_glue", broker=BROKER)
app.conf.update(task_default_queue=QUEUE, worker_prefetch_multiplier=1,
                task_acks_late=True, broker_connection_retry_on_startup=True,
                worker_hijack_root_logger=False)

_clients: tuple[requests.Session, requests.Session, dict[str, str]] | None = None


def clients() -> tuple[requests.Session, requests.Session, dict[str, str]]:
    """NetSuite and Stripe sessions and the customer map, once per worker child."""
    global _clients
    if _clients is None:
        _clients = (session(), stripe_session(), customer_map())
    return _clients


@app.task(bind=True, acks_late=True, autoretry_for=(requests.RequestException,),
          retry_backoff=True, retry_backoff_max=600, retry_jitter=True, max_retries=5)
def handle_event(self: Task, event: dict[str, Any]) -> str | None:  # type: ignore[type-arg]
    if event.get("type") != EVENT_TYPE:
        return None
    posted = post_invoice_event(*clients(), event)
    append_done(Path(os.environ["BENCH_STATE"]) / "done.log", event["data"]["object"]["id"],
                time.time())
    return posted


@task_failure.connect
def record_failure(sender: Any = None, task_id: str | None = None, exception: Any = None,
                   args: Any = None, **_: Any) -> None:
    event = (args or [{}])[0]
    with (Path(os.environ["BENCH_STATE"]) / "failed.log").open("a") as failed:
        failed.write(f"{event.get('id')} {type(exception).__name__}\n")
