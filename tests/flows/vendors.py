"""The flow tests' view of the deployment's systems by vendor: the sandboxes' clients behind
each role adapter, for the tests that set up and check records in the vendors themselves
(accord's own code reaches them only through the role ports)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from dbos import DBOS

from accord.canonical.roles import Role
from accord.connectors.netsuite.erp import NetSuiteErp
from accord.connectors.netsuite.intake import SuiteQLChangePoller
from accord.connectors.netsuite.streams import customer_poller as _customer_poller
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.streams import account_poller, opportunity_poller
from accord.connectors.stripe.client import StripeClient
from accord.connectors.stripe.intake import StripeEventsPoller
from accord.engine.dispatch import accept
from accord.engine.inbox import Intake
from accord.engine.polling import poll
from accord.flows import identities
from accord.flows.systems import FlowSettings, PaymentMethodFor, Systems
from accord.flows.usage import usage_event
from accord.store import Database

stripe_events_poller = StripeEventsPoller


def customer_poller(erp: NetSuiteErp) -> SuiteQLChangePoller:
    return _customer_poller(erp.client)


class Vendors:
    """``salesforce``, ``stripe``: the clients; ``netsuite``: the ERP adapters by instance."""

    def __init__(self, found: Systems) -> None:
        self.systems = found

    @property
    def salesforce(self) -> SalesforceClient:
        client: SalesforceClient = self.systems.crm("salesforce").client  # type: ignore[attr-defined]
        return client

    @property
    def stripe(self) -> StripeClient:
        client: StripeClient = self.systems.billing("stripe").client  # type: ignore[attr-defined]
        return client

    @property
    def netsuite(self) -> Mapping[str, NetSuiteErp]:
        return {name: self.systems.erp(name) for name in self.systems.instances(Role.ERP)}  # type: ignore[misc]

    def erp(self, legal_entity: str, currency: str | None = None) -> NetSuiteErp:
        found: Any = self.systems.erp_for(legal_entity, currency)
        return found  # type: ignore[no-any-return]

    def erp_instance(self, legal_entity: str, currency: str | None = None) -> str:
        return self.systems.target(Role.ERP, legal_entity, currency)

    @property
    def payment_method_for(self) -> PaymentMethodFor:
        return self.systems.payment_method_for

    @payment_method_for.setter
    def payment_method_for(self, value: PaymentMethodFor) -> None:
        self.systems.payment_method_for = value

    @property
    def settings(self) -> FlowSettings:
        return self.systems.settings

    @settings.setter
    def settings(self, value: FlowSettings) -> None:
        self.systems.settings = value

    def __getattr__(self, name: str) -> Any:
        """Everything else is the deployment's own (policy, routing, skus, ...)."""
        return getattr(self.systems, name)

    def close(self) -> None:
        self.systems.close()




# -- the demo month's vendors: Salesforce deals, Stripe billing -----------------------------
CRM, BILLING = "salesforce", "stripe"


def invoice_id_for(stripe_invoice: str) -> str:
    return identities.invoice_id_for(BILLING, stripe_invoice)


def payment_id_for(stripe_charge: str) -> str:
    return identities.payment_id_for(BILLING, stripe_charge)


def refund_id_for(stripe_refund: str) -> str:
    return identities.refund_id_for(BILLING, stripe_refund)


def fee_journal_id_for(balance_transaction: str) -> str:
    return identities.fee_journal_id_for(BILLING, balance_transaction)


def deliver_usage(database: Database, records: Iterable[Any], accounts: dict[str, str]
                  ) -> list[Intake]:
    """Deliver scenario usage records (:class:`accord.demo.scenario.UsagePlan`) as the
    product's metering would; ``accounts``: scenario account ref -> Salesforce id."""
    started: list[Intake] = []
    for record in records:
        at = datetime.combine(record.occurred_on, time(12), UTC)
        intake = accept(database, usage_event(
            record.ref, account_id=accounts[record.account_ref], sku=record.sku,
            quantity=Decimal(record.quantity), occurred_at=at))
        if intake is not None:
            started.append(intake)
    return started


def close_usage_periods(found: Vendors, stripe_customers: Iterable[str]) -> int:
    """Advance each customer's Stripe test clock to the end of its subscription's current
    period: Stripe renews it, billing the period's metered usage with the next period's
    licensed items. Returns how many."""
    v1 = found.stripe.v1
    closed = 0
    for stripe_customer in stripe_customers:
        customer = v1.customers.retrieve(stripe_customer)
        clock = getattr(customer, "test_clock", None)
        if not clock:
            continue
        live = [s for s in v1.subscriptions.list(params={"customer": stripe_customer}).data
                if s.status in ("active", "past_due", "trialing")]
        if not live:
            continue
        end = max(int(item.current_period_end) for item in live[0]["items"].data)
        v1.test_helpers.test_clocks.advance(str(clock), params={"frozen_time": end})
        closed += 1
    return closed


def bill_usage(found: Vendors, database: Database, records: Sequence[Any],
               accounts: dict[str, str]) -> int:
    """The month's usage, end to end: deliver the records, wait for their flows, then close
    the usage customers' billing periods so Stripe bills the overage."""
    for intake in deliver_usage(database, records, accounts):
        with contextlib.suppress(Exception):  # a failed flow is in the exception queue
            DBOS.retrieve_workflow(intake.workflow_id).get_result()
    customers: set[str] = set()
    for account_ref in sorted({record.account_ref for record in records}):
        account = found.salesforce.get("Account", accounts[account_ref])
        if account.get("Stripe_Customer_Id__c"):
            customers.add(str(account["Stripe_Customer_Id__c"]))
    return close_usage_periods(found, sorted(customers))


__all__ = ["BILLING", "CRM", "Vendors", "account_poller", "bill_usage",
           "close_usage_periods", "customer_poller", "deliver_usage", "fee_journal_id_for",
           "invoice_id_for", "opportunity_poller", "payment_id_for", "poll", "refund_id_for",
           "stripe_events_poller"]
