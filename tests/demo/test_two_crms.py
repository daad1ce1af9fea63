"""``accord demo --crm both``, the README's command, end to end: one legal entity sells from
HubSpot and the other from Salesforce, with one Stripe and one NetSuite. It runs as a
subprocess in a fresh directory with no ``ACCORD_*`` settings, on free ports (without
``--keep-running`` the demo picks its own), and is judged on its ``--json`` summary alone -
figures the demo read from the vendors' APIs and accord's own API afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from accord.demo.crms import HUBSPOT_ENTITY
from accord.demo.scenario import Defect, generate

ACCOUNTS = 12
SEED = 3
"""A month of 12 accounts in which both legal entities win good deals and each CRM holds a
refused one (not every seed does, with so few accounts)."""
COMMAND = ("accord", "demo", "--crm", "both", "--accounts", str(ACCOUNTS), "--seed", str(SEED),
           "--json")
"""The README's command for the month with two CRMs (``tests/test_readme.py`` leaves it to
this test)."""
README = Path(__file__).parents[2] / "README.md"
RUN_SECONDS = 1500
"""About three minutes alone on two cores; far more when the machine is shared."""
pytestmark = pytest.mark.timeout(RUN_SECONDS + 120)


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    accord = Path(sys.executable).parent / COMMAND[0]
    done = subprocess.run([str(accord), *COMMAND[1:]], cwd=tmp_path_factory.mktemp("both"),
                          env=env, capture_output=True, text=True, timeout=RUN_SECONDS,
                          check=False)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, Any] = json.loads(done.stdout[done.stdout.index("{"):])
    return found


def test_the_readme_shows_the_command() -> None:
    assert " ".join(COMMAND) in README.read_text(encoding="utf-8")


def test_control_totals_agree_and_nothing_is_lost_or_doubled(summary: dict[str, Any]) -> None:
    assert summary["lost"] == 0, summary["lost_records"]
    assert summary["doubled"] == 0, summary["doubled_records"]
    assert summary["agree"] is True, summary["control_totals"]
    totals = summary["control_totals"]
    assert set(totals) == {"stripe", "netsuite"}
    # both legal entities sold, so both currencies were billed and posted
    assert set(totals["stripe"]) == set(totals["netsuite"]) == {"USD", "EUR"}


def test_both_crms_sold_and_every_good_deal_became_a_subscription(summary: dict[str, Any]
                                                                  ) -> None:
    crm = summary["crm"]
    assert (crm["choice"], crm["systems"]) == ("both", ["hubspot", "salesforce"])
    scenario = generate(seed=summary["seed"], accounts=ACCOUNTS, month=summary["month"])
    refused = [d for d in scenario.deals if d.ref not in {g.ref for g in scenario.good_deals()}
               and d.defect is not Defect.CLOSED_PERIOD]
    flows = summary["flows"]["closed_won"]
    # the deals accord refused (master data) stop; every other one - and the second CRM's
    # deal with the customer both sell to - made a subscription
    assert flows["exception"] == len(refused) == 3
    assert flows["created"] == len(scenario.deals) - len(refused) + 1
    assert summary["exceptions"]["master_data"] == 3


def test_reconciliation_reads_both_crms(summary: dict[str, Any]) -> None:
    """The refused accounts are spread over both CRMs (the EU one's without its VAT id in
    HubSpot, the duplicate in the other entity's CRM or the same one): the reconciliation
    finds each missing in billing, which it can only if it reads both CRMs, and nothing
    else but the closed period's invoice and payment."""
    scenario = generate(seed=summary["seed"], accounts=ACCOUNTS, month=summary["month"])
    missing_tax = next(a for a in scenario.accounts if a.defect is Defect.MISSING_TAX_ID)
    assert missing_tax.legal_entity == HUBSPOT_ENTITY
    refused_entities = {a.legal_entity for a in scenario.accounts if a.defect is not None} | {
        next(a for a in scenario.accounts if a.ref == d.account_ref).legal_entity
        for d in scenario.deals if d.defect is Defect.UNKNOWN_SKU}
    assert len(refused_entities) == 2, "the scenario no longer refuses deals in both CRMs"
    reconciliation = summary["reconciliation"]
    assert reconciliation["by_kind"] == {
        "missing_in_target": {"master_data": 3, "finance_operations": 2}}, reconciliation
    assert reconciliation["gl_clean"] is True


def test_usage_of_accounts_in_either_crm_is_reported_to_billing(summary: dict[str, Any]
                                                               ) -> None:
    """The metering names each account by its id in its home CRM; the usage flow finds the
    customer through whichever CRM knows the account."""
    scenario = generate(seed=summary["seed"], accounts=ACCOUNTS, month=summary["month"])
    entities = {a.ref: a.legal_entity for a in scenario.accounts}
    usage = scenario.usage()
    assert {entities[record.account_ref] for record in usage} == {"US01", HUBSPOT_ENTITY}
    assert summary["flows"]["usage_reporting"] == {"reported": len(usage)}


def test_a_customer_of_both_crms_is_one_customer_with_one_billing_customer(
        summary: dict[str, Any]) -> None:
    (shared,) = summary["crm"]["shared_customers"]
    by_crm = shared["crms"]
    assert set(by_crm) == {"hubspot", "salesforce"}
    # both CRMs hold accord's one customer id and one billing customer, written back
    (customer_id,) = shared["canonical_ids"]
    (billing_customer,) = shared["billing_customers"]
    for view in by_crm.values():
        assert (view["customer_id"], view["billing_customer"]) == (customer_id,
                                                                   billing_customer)
    # accord's customer record knows it in both CRMs and in billing
    ids = shared["ids"]
    assert ids["hubspot"] == by_crm["hubspot"]["account_id"]
    assert ids["salesforce"] == by_crm["salesforce"]["account_id"]
    assert ids["stripe"] == billing_customer
