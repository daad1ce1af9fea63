"""What the demo month came to, read from outside: flows by outcome and the open
exceptions from accord's API, control totals from Stripe and NetSuite themselves, and a
reconciliation by ``accord reconcile --json``, as an operator would run it."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from pydantic import BaseModel, SecretStr

from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.connectors.stripe.client import StripeClient
from accord.connectors.stripe.settings import StripeSettings
from accord.demo.environment import Environment
from accord.demo.lost_and_doubled import jsonable_totals, reconcile
from accord.demo.month import Outside, flow_summary
from accord.demo.processes import run_accord
from accord.demo.scenario import Scenario


class ExceptionLine(BaseModel):
    owner: str
    reason: str
    record: str | None
    step: str | None


class Summary(BaseModel):
    seed: int
    accounts: int
    month: str
    flows: dict[str, dict[str, int]]
    exceptions: dict[str, int]
    exception_details: list[ExceptionLine]
    planted: dict[str, int]
    control_totals: dict[str, Any]
    held_by_exceptions: dict[str, Any]
    agree: bool
    lost: int
    doubled: int
    lost_records: list[str]
    doubled_records: list[str]
    webhooks_received: int
    seconds: float


class SharedCustomer(BaseModel):
    """A customer both sales teams sell to, as each CRM and accord see it."""

    account: str
    crms: dict[str, dict[str, str]]
    """CRM -> what it holds on the account: ``account_id``, and the ``customer_id`` and
    ``billing_customer`` accord wrote back."""
    canonical_ids: list[str]
    billing_customers: list[str]
    ids: dict[str, str]
    """System -> the customer's id there, from accord's customer record."""


class CrmSummary(BaseModel):
    choice: str
    systems: list[str]
    shared_customers: list[SharedCustomer]


def crm_summary(out: Outside, choice: str) -> CrmSummary:
    """Which CRMs sold, and each customer both sold to: what every CRM wrote back on it and
    the ids accord's customer record holds in every system."""
    shared: list[SharedCustomer] = []
    for account, by_crm in out.sales.shared_customers().items():
        canonical = sorted({view["customer_id"] for view in by_crm.values()
                            if "customer_id" in view})
        ids: dict[str, str] = {}
        for customer_id in canonical:
            answer = out.api.get(f"/v1/customers/{customer_id}")
            if answer.status_code == 200:
                ids.update(answer.json()["ids"])
        shared.append(SharedCustomer(
            account=account, crms=by_crm, canonical_ids=canonical, ids=ids,
            billing_customers=sorted({view["billing_customer"] for view in by_crm.values()
                                      if "billing_customer" in view})))
    return CrmSummary(choice=choice, systems=out.sales.systems, shared_customers=shared)


def open_exceptions(out: Outside) -> list[ExceptionLine]:
    answer = out.api.get("/v1/exceptions", params={"status": "open", "limit": 1000})
    answer.raise_for_status()
    return [ExceptionLine(owner=row["owner"], reason=row["reason"], record=row["record_ref"],
                          step=row["step"]) for row in answer.json()]


def webhooks_received(out: Outside, system: str = "stripe") -> int:
    """Webhook deliveries the API stored, from its Prometheus metrics."""
    text = out.api.get("/metrics").text
    total = 0.0
    for line in text.splitlines():
        if line.startswith("accord_webhook_deliveries_total{") and f'system="{system}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def _clients(env: Environment) -> tuple[StripeClient, NetSuiteClient]:
    stripe = env.credentials["stripe"]
    netsuite = env.credentials["netsuite"]
    billing = StripeClient(StripeSettings(api_key=SecretStr(stripe["api_key"]),
                                          base_url=stripe["base_url"]))
    erp = NetSuiteClient(NetSuiteSettings(
        base_url=netsuite["base_url"], account_id=netsuite["account_id"],
        consumer_key=netsuite["consumer_key"],
        consumer_secret=SecretStr(netsuite["consumer_secret"]),
        token_id=netsuite["token_id"], token_secret=SecretStr(netsuite["token_secret"])))
    return billing, erp


def summarise(env: Environment, out: Outside, scenario: Scenario, *, seconds: float
              ) -> Summary:
    flows = flow_summary(out)["flows"]
    details = open_exceptions(out)
    billing, erp = _clients(env)
    try:
        result = reconcile(billing, erp, {line.record for line in details if line.record})
    finally:
        erp.close()
    planted = Counter(defect.value for _, defect in scenario.defects())
    return Summary(
        seed=scenario.seed, accounts=len(scenario.accounts), month=scenario.month,
        flows=flows, exceptions=dict(Counter(line.owner for line in details)),
        exception_details=details, planted=dict(planted),
        control_totals=jsonable_totals(result.control_totals),
        held_by_exceptions=jsonable_totals({"stripe": result.held})["stripe"],
        agree=result.agree, lost=len(result.lost), doubled=len(result.doubled),
        lost_records=result.lost, doubled_records=result.doubled,
        webhooks_received=webhooks_received(out), seconds=round(seconds, 1))


def reconciliation(env: Environment) -> dict[str, Any]:
    """``accord reconcile --json`` over all time, run as an operator would; the summary's
    ``reconciliation`` key. (It exits 1 when it finds differences: the planted ones.)"""
    done = run_accord(["reconcile", "--json"], cwd=env.directory, env=env.stack.env,
                      timeout=900)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"accord reconcile failed ({done.returncode}): "
                           f"{done.stderr.strip()[-2000:]}")
    report = json.loads(done.stdout)
    by_kind: dict[str, dict[str, int]] = {}
    for difference in report["differences"]:
        owners = by_kind.setdefault(difference["kind"], {})
        owners[difference["owner"]] = owners.get(difference["owner"], 0) + 1
    return {"run_id": report["run_id"], "differences": len(report["differences"]),
            "by_kind": by_kind, "total_differences": len(report["total_differences"]),
            "gl_clean": report["gl_clean"], "line": report["summary"]}


__all__ = ["CrmSummary", "ExceptionLine", "SharedCustomer", "Summary", "crm_summary",
           "reconciliation", "summarise"]
