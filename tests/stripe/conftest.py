"""Fixtures: a Stripe sandbox on a free port and official ``stripe`` clients pointed at it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from tests.sandboxes.contract import RECORDER, run_last

import stripe
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.server import RunningSandbox, start_in_thread
from accord.sandboxes.stripe import SANDBOX


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # the contract test judges what the other tests recorded, so it runs after them
    run_last(items, Path(__file__).parent / "test_contract.py")


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    running = start_in_thread(SANDBOX, SandboxOptions(data_dir=tmp_path,
                                                      settings={"rate_limit": 0},
                                                      recorder=RECORDER))
    yield running
    running.stop()


@pytest.fixture
def client(sandbox: RunningSandbox) -> stripe.StripeClient:
    key = sandbox.credentials()["api_key"]
    return stripe.StripeClient(key, base_addresses={"api": sandbox.base_url},
                               max_network_retries=0)


@pytest.fixture
def control(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url) as http:
        yield http


@dataclass
class Receiver:
    """A local HTTP endpoint that records deliveries and fails the first ``fail_first``."""

    url: str = ""
    fail_first: int = 0
    received: list[tuple[bytes, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, body: bytes, signature: str) -> int:
        with self.lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                return 500
            self.received.append((body, signature))
            return 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = state.handle(body, self.headers["Stripe-Signature"])
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
