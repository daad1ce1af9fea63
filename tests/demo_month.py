"""One real demo month per test session, for the tests of a running demo: what the
operations view shows, the console, a deal closed afterwards, and the README's own command.

``accord demo --accounts 25 --keep-running`` - exactly as the README shows it, on the
default ports - runs as a subprocess in a fresh directory with no ``ACCORD_*`` settings. The
tests rely only on what it prints for a person - ``console: <url>``, ``admin token:
acc_...``, one ``<name> sandbox: <url>`` line per sandbox and ``data: <folder>`` - and on the
``/v1`` API and the sandboxes' own APIs; never on how the demo runs inside. The tests that use
it run last (``tests/conftest.py``), so nothing else needs the default ports meanwhile.
SIGTERM at the end of the session stops it and everything it started, and it must then end
with exit code 0 and no traceback.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import requests
import urllib3
from simple_salesforce import Salesforce

import stripe
from accord.sandboxes.netsuite import DEFAULT_CREDENTIALS as CREDS
from accord.sandboxes.salesforce import API_VERSION, DEFAULT_SESSION_ID
from accord.sandboxes.stripe import DEFAULT_API_KEY
from netsuite import Config, NetSuite, TokenAuth

ACCOUNTS = 25
COMMAND = ("accord", "demo", "--accounts", str(ACCOUNTS), "--keep-running")
"""The README's command for a demo that keeps running (``tests/test_readme.py`` checks it is
the README's)."""
SANDBOXES = ("stripe", "salesforce", "netsuite")
STARTUP_SECONDS = 900.0
"""A month of 25 accounts takes about three minutes on two shared cores."""
CONSOLE = re.compile(r"^console: (?P<url>http://\S+/console)\s*$")
TOKEN = re.compile(r"^admin token: (?P<token>acc_\S+)\s*$")
SANDBOX = re.compile(r"^(?P<name>[a-z][a-z0-9-]*) sandbox: (?P<url>https?://\S+)\s*$")
DATA = re.compile(r"^data: (?P<folder>/\S+) ")


@dataclass
class DemoMonth:
    """The running demo: where its console and sandboxes are, and the token to sign in."""

    console: str
    token: str
    sandboxes: dict[str, str]
    data: Path
    """The demo's folder (its sandboxes' local CA is under ``.accord/sandboxes/tls``)."""

    @property
    def base(self) -> str:
        return self.console.removesuffix("/console")

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=60,
                            headers={"Authorization": f"Bearer {self.token}"})


@dataclass
class _Output:
    """The demo's output, read on a thread so its pipe never fills."""

    lines: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    ended: bool = False

    def read(self, stream: Any) -> None:
        for line in stream:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.ended = True
            self.changed.notify_all()

    def tail(self, count: int = 40) -> str:
        """The last lines, without the token (a secret, even in a failing test's report)."""
        return "\n".join("admin token: [redacted]" if TOKEN.match(line) else line
                         for line in self.lines[-count:])


def _parse(lines: list[str]) -> DemoMonth | None:
    console = token = data = None
    sandboxes: dict[str, str] = {}
    for line in lines:
        if found := CONSOLE.match(line):
            console = found["url"]
        elif found := TOKEN.match(line):
            token = found["token"]
        elif found := SANDBOX.match(line):
            sandboxes[found["name"]] = found["url"]
        elif found := DATA.match(line):
            data = Path(found["folder"])
    if console and token and data and set(SANDBOXES) <= set(sandboxes):
        return DemoMonth(console=console, token=token, sandboxes=sandboxes, data=data)
    return None


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # the demo stops every process it started
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own process group, started below
        process.wait(timeout=30)
        raise AssertionError("accord demo did not stop within 120 s of SIGTERM") from None


def run_demo_month(directory: Path) -> Iterator[DemoMonth]:
    """Start the demo in ``directory``, yield once it prints where it is, stop it after."""
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("ACCORD_")}
    environment.update(PYTHONUNBUFFERED="1", COLUMNS="200", NO_COLOR="1",
                       PATH=f"{Path(sys.executable).parent}{os.pathsep}"
                            f"{os.environ.get('PATH', '')}")
    process = subprocess.Popen(
        list(COMMAND),
        cwd=directory, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output = _Output()
    reader = threading.Thread(target=output.read, args=(process.stdout,), daemon=True,
                              name="demo-output")
    reader.start()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        with output.changed:
            while (month := _parse(output.lines)) is None:
                left = deadline - time.monotonic()
                if output.ended or left <= 0:
                    raise AssertionError(
                        f"accord demo {'ended' if output.ended else 'timed out'} before "
                        f"printing its console, token and sandboxes:\n{output.tail()}")
                output.changed.wait(timeout=min(left, 5.0))
        with month.api() as client:  # up and answering for its token
            client.get("/v1/kpis").raise_for_status()
        yield month
    finally:
        _stop(process)
        reader.join(timeout=30)
    printed = "\n".join(output.lines)
    assert "Traceback" not in printed, f"accord demo printed a traceback:\n{output.tail()}"
    assert process.returncode == 0, f"accord demo ended with {process.returncode} on " \
        f"SIGTERM:\n{output.tail()}"


# -- what the running service and the sandboxes say, each through its own API -------------
def all_steps(client: httpx.Client) -> list[dict[str, Any]]:
    """Every timeline row, page by page (``GET /v1/timeline/steps``)."""
    steps: list[dict[str, Any]] = []
    after = 0
    while True:
        page = client.get("/v1/timeline/steps", params={"after_id": after, "limit": 1000})
        page.raise_for_status()
        body = page.json()
        steps += body["steps"]
        if body["next_after_id"] is None:
            return steps
        after = body["next_after_id"]


def settled_report(month: DemoMonth) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``/v1/kpis`` and the timeline rows it counted, read when nothing ran in between."""
    with month.api() as client:
        for _ in range(20):
            before = client.get("/v1/kpis").json()
            steps = all_steps(client)
            after = client.get("/v1/kpis").json()
            counted = (before["technical"]["steps_last_24h"],
                       after["technical"]["steps_last_24h"])
            if counted == (len(steps), len(steps)):
                return after, steps
            time.sleep(3)  # a flow still writing: read again
    raise AssertionError(f"the timeline kept changing: {counted} vs {len(steps)} rows")


def stripe_invoices(month: DemoMonth) -> list[Any]:
    """Every Stripe invoice, with the official client."""
    client = stripe.StripeClient(DEFAULT_API_KEY, base_addresses={"api": month.sandboxes[
        "stripe"]}, max_network_retries=0)
    return list(client.v1.invoices.list(params={"limit": 100}).auto_paging_iter())


def stripe_succeeded_charges(month: DemoMonth) -> list[Any]:
    client = stripe.StripeClient(DEFAULT_API_KEY, base_addresses={"api": month.sandboxes[
        "stripe"]}, max_network_retries=0)
    return [charge for charge in client.v1.charges.list(params={"limit": 100})
            .auto_paging_iter() if charge.status == "succeeded"]


def suiteql(month: DemoMonth, query: str) -> list[dict[str, Any]]:
    """Every row of a SuiteQL query, through the ``netsuite`` package's REST client (signed
    with the sandbox's development credentials), page by page."""
    config = Config(account=CREDS.account_id, auth=TokenAuth(
        consumer_key=CREDS.consumer_key, consumer_secret=CREDS.consumer_secret,
        token_id=CREDS.token_id, token_secret=CREDS.token_secret))
    rest = NetSuite(config).rest_api
    base = month.sandboxes["netsuite"]
    rest._make_url = lambda subpath: f"{base}/services/rest{subpath}"

    async def pages() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while True:
            page = await rest.suiteql(query, limit=1000, offset=len(rows))
            rows += page["items"]
            if not page["hasMore"]:
                return rows

    # on a thread of its own: a browser test's Playwright already runs an event loop here
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(pages())).result()


def salesforce_query(month: DemoMonth, soql: str) -> list[dict[str, Any]]:
    """Every record a SOQL query finds, with simple-salesforce. The sandbox's CA lives in
    the demo's own directory, so its loopback certificate is not verified here."""
    class Unverified(requests.Session):
        def merge_environment_settings(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
            settings = super().merge_environment_settings(*args, **kwargs)
            settings["verify"] = False  # REQUESTS_CA_BUNDLE would win otherwise
            return settings

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    with Unverified() as session:
        sf = Salesforce(instance_url=month.sandboxes["salesforce"],
                        session_id=DEFAULT_SESSION_ID, version=API_VERSION, session=session)
        return list(sf.query_all(soql)["records"])


@dataclass(frozen=True)
class Truth:
    """What the three systems hold after the month, asked of each directly."""

    won_deals: set[str]
    deals_without_subscription: set[str]  # won in the CRM, never activated in billing
    account_of_deal: dict[str, str]
    finalized_invoices: dict[str, str]  # Stripe number -> Stripe id
    erp_invoices: set[str]  # NetSuite document numbers
    erp_payments: int
    succeeded_charges: int

    @property
    def invoices_missing_in_erp(self) -> set[str]:
        return set(self.finalized_invoices) - self.erp_invoices


def truth(month: DemoMonth) -> Truth:
    deals = salesforce_query(month, "SELECT Id, AccountId, Stripe_Subscription_Id__c "
                                    "FROM Opportunity WHERE StageName = 'Closed Won'")
    invoices = stripe_invoices(month)
    erp = suiteql(month, "SELECT t.id, t.tranid, t.type FROM transaction t "
                         "WHERE t.type IN ('CustInvc', 'CustPymt')")
    return Truth(
        won_deals={deal["Id"] for deal in deals},
        deals_without_subscription={deal["Id"] for deal in deals
                                    if not deal.get("Stripe_Subscription_Id__c")},
        account_of_deal={deal["Id"]: deal["AccountId"] for deal in deals},
        finalized_invoices={str(invoice.number): str(invoice.id) for invoice in invoices
                            if invoice.status != "draft" and invoice.number},
        erp_invoices={str(row["tranid"]) for row in erp if row["type"] == "CustInvc"},
        erp_payments=sum(row["type"] == "CustPymt" for row in erp),
        succeeded_charges=len(stripe_succeeded_charges(month)))


__all__ = ["ACCOUNTS", "COMMAND", "SANDBOXES", "DemoMonth", "Truth", "all_steps", "run_demo_month",
           "salesforce_query", "settled_report", "stripe_invoices", "suiteql", "truth"]
