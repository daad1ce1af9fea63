"""The company's sales teams, each working in its own CRM, and which team sells to whom.

A :class:`SalesTeam` is what the month needs from one CRM, in the scenario's words: enter
accounts and open deals, enter an amendment or a renewal, win deals, and read back the
billing customer accord wrote on each account. :mod:`accord.demo.crm` plays it in
Salesforce, :mod:`accord.demo.hubspot` in HubSpot; both only through the vendor's client.

:class:`Sales` puts one or two teams together: each account lives in its home team's CRM
(chosen by legal entity, as routing chooses the CRM), and a *shared* account - a customer
both teams sell to, after an acquisition - is entered in both, with a deal in each. accord
must keep it one customer with one billing customer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol

from accord.demo.scenario import AccountPlan, DealPlan, LinePlan, Scenario
from accord.demo.seeding import Seeded


class Change(StrEnum):
    """A deal that changes what a customer already has."""

    UPGRADE = "upgrade"
    RENEWAL = "renewal"


class SalesTeam(Protocol):
    """One CRM, worked by its sales team (ids in :class:`Seeded` are that CRM's)."""

    @property
    def system(self) -> str:
        """The CRM's system name in accord's configuration."""
        ...

    @property
    def deal_poll(self) -> str:
        """The schedule whose run sees deals won in this CRM."""
        ...

    def seed(self, accounts: Sequence[AccountPlan], deals: Sequence[DealPlan],
             extra_skus: Sequence[str], seeded: Seeded) -> None:
        """Accounts and open deals with their lines; products sales sells that the catalog
        does not know (``extra_skus``) created as a sales admin would."""
        ...

    def seed_change(self, seeded: Seeded, deal: DealPlan, *, change: Change, ref: str,
                    lines: Sequence[tuple[str, int]], start: date, term_months: int) -> None:
        """An open deal on ``deal``'s account; remembered under ``ref``."""
        ...

    def win(self, seeded: Seeded, refs: Sequence[str]) -> None:
        """Move the deals to closed won, in order."""
        ...

    def billing_customers(self, seeded: Seeded) -> dict[str, str]:
        """Account ref -> the billing customer accord wrote back on the account."""
        ...

    def canonical_ids(self, seeded: Seeded, refs: Sequence[str]) -> dict[str, str]:
        """Account ref -> accord's customer id written back on the account."""
        ...

    def close(self) -> None: ...


@dataclass
class Desk:
    team: SalesTeam
    seeded: Seeded = field(default_factory=Seeded)


def shared_account(scenario: Scenario) -> AccountPlan | None:
    """The account both teams sell to: the first clean one whose deal simply pays."""
    good = {d.account_ref: d for d in scenario.good_deals()}
    for account in scenario.accounts:
        deal = good.get(account.ref)
        if account.defect is None and deal is not None and deal.amendment is None \
                and not deal.renewal and not deal.refund and not deal.usage_units \
                and deal.payment.value == "pays":
            return account
    return None


def cross_deal(deal: DealPlan, price: Callable[[str, str], LinePlan]) -> DealPlan:
    """The other team's first deal with a shared account: the analytics add-on, new
    business of its own (its own subscription on the same billing customer)."""
    return deal.model_copy(update={
        "ref": f"{deal.ref}-X", "name": f"{deal.name} - analytics",
        "lines": (price("BW-ANALYTICS", deal.currency),)})


class Sales:
    """The teams, by CRM system name; each account's home team by ``home``."""

    def __init__(self, teams: Mapping[str, SalesTeam], home: Callable[[AccountPlan], str]
                 ) -> None:
        self.desks = {name: Desk(team) for name, team in teams.items()}
        self.home = home
        self.homes: dict[str, str] = {}
        """account ref -> its home team's system"""
        self.shared: dict[str, DealPlan] = {}
        """shared account ref -> the other team's deal with it"""

    @property
    def systems(self) -> list[str]:
        return sorted(self.desks)

    def desk_of(self, account_ref: str) -> Desk:
        return self.desks[self.homes[account_ref]]

    def seed(self, scenario: Scenario, extra_skus: Sequence[str],
             price: Callable[[str, str], LinePlan]) -> None:
        self.homes = {a.ref: self.home(a) for a in scenario.accounts}
        shared = shared_account(scenario) if len(self.desks) > 1 else None
        for name, desk in self.desks.items():
            accounts = [a for a in scenario.accounts
                        if self.homes[a.ref] == name or (shared and a.ref == shared.ref)]
            deals = [d for d in scenario.deals if self.homes[d.account_ref] == name]
            if shared is not None and self.homes[shared.ref] != name:
                own = next(d for d in scenario.deals if d.account_ref == shared.ref)
                self.shared[shared.ref] = cross_deal(own, price)
                deals.append(self.shared[shared.ref])
            desk.team.seed(accounts, deals, extra_skus, desk.seeded)

    def other_desk(self, account_ref: str) -> Desk:
        return next(desk for name, desk in self.desks.items()
                    if name != self.homes[account_ref])

    def win(self, refs: Sequence[str], accounts: Mapping[str, str]) -> list[str]:
        """Win the deals (``accounts``: deal ref -> account ref) in their home CRMs; the
        polls that will see them."""
        polls: list[str] = []
        for name, desk in self.desks.items():
            mine = [ref for ref in refs if self.homes[accounts[ref]] == name]
            if mine:
                desk.team.win(desk.seeded, mine)
                polls.append(desk.team.deal_poll)
        return polls

    def win_shared(self) -> list[str]:
        """The other team wins its deal with each shared account (after the home team's
        deal made the customer): the polls that will see them."""
        polls: list[str] = []
        for account_ref, deal in self.shared.items():
            desk = self.other_desk(account_ref)
            desk.team.win(desk.seeded, [deal.ref])
            polls.append(desk.team.deal_poll)
        return polls

    def billing_customers(self) -> dict[str, str]:
        """Account ref -> billing customer, as the account's home CRM has it written."""
        found: dict[str, str] = {}
        for name, desk in self.desks.items():
            for ref, customer in desk.team.billing_customers(desk.seeded).items():
                if self.homes.get(ref) == name:
                    found[ref] = customer
        return found

    def shared_customers(self) -> dict[str, dict[str, dict[str, str]]]:
        """Each shared account: what every CRM has written back on it, by system -
        ``{"account_id", "customer_id", "billing_customer"}`` (absent when not written)."""
        found: dict[str, dict[str, dict[str, str]]] = {}
        for ref in self.shared:
            views = found.setdefault(ref, {})
            for name, desk in self.desks.items():
                view = {"account_id": desk.seeded.accounts[ref]}
                canonical = desk.team.canonical_ids(desk.seeded, [ref]).get(ref)
                billing = desk.team.billing_customers(desk.seeded).get(ref)
                view.update({"customer_id": canonical} if canonical else {})
                view.update({"billing_customer": billing} if billing else {})
                views[name] = view
        return found

    def account_id(self, account_ref: str) -> str:
        """The account's id in its home CRM."""
        return self.desk_of(account_ref).seeded.accounts[account_ref]

    def deal_polls(self) -> list[str]:
        return [desk.team.deal_poll for desk in self.desks.values()]

    def close(self) -> None:
        for desk in self.desks.values():
            desk.team.close()


__all__ = ["Change", "Desk", "Sales", "SalesTeam", "cross_deal", "shared_account"]
