"""The sales team working in Salesforce (a :class:`~accord.demo.sales.SalesTeam`), through
``simple-salesforce`` (:class:`~accord.demo.crm.SimpleSalesforceCrm`) and the seeding the
flow tests share (:mod:`accord.demo.seeding`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from accord.demo.crm import SimpleSalesforceCrm
from accord.demo.sales import Change
from accord.demo.scenario import AccountPlan, DealPlan
from accord.demo.seeding import Seeded, seed_change, seed_records, win_deals

CHANGE_TYPES = {Change.UPGRADE: "Existing Business - Upgrade", Change.RENEWAL: "Renewal"}
"""Opportunity ``Type`` of each kind of change."""


class SalesforceTeam:
    system = "salesforce"
    deal_poll = "poll.salesforce.opportunity"

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self.crm = SimpleSalesforceCrm(credentials["instance_url"], credentials["session_id"],
                                       credentials["api_version"],
                                       Path(credentials["ca_cert"]))

    def seed(self, accounts: Sequence[AccountPlan], deals: Sequence[DealPlan],
             extra_skus: Sequence[str], seeded: Seeded) -> None:
        seed_records(self.crm, accounts, deals, extra_skus, seeded)

    def seed_change(self, seeded: Seeded, deal: DealPlan, *, change: Change, ref: str,
                    lines: Sequence[tuple[str, int]], start: date, term_months: int) -> None:
        seed_change(self.crm, seeded, deal, kind=CHANGE_TYPES[change], ref=ref, lines=lines,
                    start=start, term_months=term_months)

    def win(self, seeded: Seeded, refs: Sequence[str]) -> None:
        win_deals(self.crm, seeded, refs)

    def _written(self, seeded: Seeded, field: str) -> dict[str, str]:
        """Account ref -> what accord wrote in ``field`` of the account."""
        by_id = {sf_id: ref for ref, sf_id in seeded.accounts.items()}
        found: dict[str, str] = {}
        soql = f"SELECT Id, {field} FROM Account WHERE {field} != null"  # noqa: S608 - ours
        for row in self.crm.query(soql):
            ref = by_id.get(str(row["Id"]))
            if ref is not None:
                found[ref] = str(row[field])
        return found

    def billing_customers(self, seeded: Seeded) -> dict[str, str]:
        return self._written(seeded, "Stripe_Customer_Id__c")

    def canonical_ids(self, seeded: Seeded, refs: Sequence[str]) -> dict[str, str]:
        wanted = set(refs)
        return {ref: value for ref, value in self._written(seeded, "Accord_Id__c").items()
                if ref in wanted}

    def close(self) -> None:
        self.crm.close()


__all__ = ["CHANGE_TYPES", "SalesforceTeam"]
