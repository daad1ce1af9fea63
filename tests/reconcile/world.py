"""A consistent quote-to-cash baseline across the three sandboxes, made through the
connectors (as the flows would), and the xref links the flows would record."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from accord.canonical import Customer
from accord.canonical.ids import EntityType
from accord.canonical.roles import Role
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.netsuite.reconciliation import NetSuiteReader
from accord.connectors.netsuite.refdata import RefData, load_refdata
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.connectors.registry import connector_for
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.reconciliation import SalesforceReader
from accord.connectors.salesforce.settings import SalesforceSettings
from accord.connectors.stripe import mapping
from accord.connectors.stripe.client import StripeClient
from accord.connectors.stripe.reconciliation import StripeReader
from accord.connectors.stripe.settings import StripeSettings
from accord.ports.reconciliation import ReconciliationReader
from accord.reconcile.keys import XrefKeys
from accord.registry.xref import Xrefs
from accord.resilience import RetryPolicy
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.netsuite import SANDBOX as NETSUITE
from accord.sandboxes.salesforce import SANDBOX as SALESFORCE
from accord.sandboxes.server import RunningSandbox, start_in_thread
from accord.sandboxes.stripe import SANDBOX as STRIPE
from accord.store import Database

QUICK = RetryPolicy(max_attempts=3, base_delay=0)


def _no_sleep(_seconds: float) -> None:
    return None


@dataclass
class Sandboxes:
    stripe: RunningSandbox
    netsuite: RunningSandbox
    salesforce: RunningSandbox

    @classmethod
    def start(cls, stack: ExitStack, root: Path) -> Sandboxes:
        def run(definition: Any, name: str, **settings: Any) -> RunningSandbox:
            (root / name).mkdir()
            running = start_in_thread(definition, SandboxOptions(data_dir=root / name,
                                                                 settings=settings))
            stack.callback(running.stop)
            return running

        salesforce = run(SALESFORCE, "sf")
        salesforce.server.force_exit = True
        return cls(run(STRIPE, "stripe", rate_limit=0), run(NETSUITE, "ns"), salesforce)

    def stripe_settings(self) -> StripeSettings:
        return StripeSettings(base_url=self.stripe.base_url,
                              api_key=SecretStr(self.stripe.credentials()["api_key"]))

    def netsuite_settings(self) -> NetSuiteSettings:
        creds = self.netsuite.credentials()
        return NetSuiteSettings(base_url=self.netsuite.base_url,
                                account_id=creds["account_id"],
                                consumer_key=creds["consumer_key"],
                                consumer_secret=creds["consumer_secret"],
                                token_id=creds["token_id"], token_secret=creds["token_secret"])

    def salesforce_settings(self) -> SalesforceSettings:
        creds = self.salesforce.credentials()
        return SalesforceSettings(instance_url=creds["instance_url"],
                                  session_id=SecretStr(creds["session_id"]),
                                  ca_cert=Path(creds["ca_cert"]), api_version=creds["api_version"])


@dataclass
class World:
    """Clients on the three sandboxes plus what the baseline made."""

    stripe: StripeClient
    netsuite: NetSuiteClient
    salesforce: SalesforceClient
    ref: RefData
    database: Database
    customer: Customer = field(default_factory=lambda: Customer(
        legal_name="Acme Corp", legal_entity="US01", currency="USD"))
    stripe_customer: str = ""
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> stripe invoice
    netsuite_invoices: dict[str, str] = field(default_factory=dict)  # label -> internal id
    subscription: str = ""
    contract: str = ""

    def readers(self, period: Any = None) -> dict[str, ReconciliationReader]:
        """Each system's reader, by system."""
        keys = XrefKeys(self.database)
        return {"stripe": StripeReader(self.stripe, keys=keys, period=period),
                "netsuite": NetSuiteReader(self.netsuite, self.ref, keys=keys, period=period,
                                           upstream=("stripe",)),
                "salesforce": SalesforceReader(self.salesforce, keys=keys)}

    def by_role(self, period: Any = None) -> dict[Role, list[ReconciliationReader]]:
        """The readers as a reconciliation run takes them: by the role of their system."""
        return by_role(self.readers(period))

    def link(self, canonical_id: str, entity: EntityType, system: str, system_id: str) -> None:
        with self.database.session() as session:
            Xrefs(session).link(canonical_id, entity, system, system_id)


def by_role(readers: Mapping[str, ReconciliationReader]
            ) -> dict[Role, list[ReconciliationReader]]:
    grouped: dict[Role, list[ReconciliationReader]] = {}
    for name, reader in readers.items():
        definition = connector_for(name)
        assert definition is not None, name
        grouped.setdefault(definition.kind, []).append(reader)
    return grouped


def connect(sandboxes: Sandboxes, database: Database) -> Iterator[World]:
    stripe = StripeClient(sandboxes.stripe_settings(), policy=QUICK, sleep=_no_sleep)
    salesforce = SalesforceClient(sandboxes.salesforce_settings(), policy=QUICK,
                                  sleep=_no_sleep)
    with NetSuiteClient(sandboxes.netsuite_settings(), sleep=_no_sleep) as netsuite:
        yield World(stripe, netsuite, salesforce, load_refdata(), database)
    salesforce.session.close()


# -- the baseline --------------------------------------------------------------------------
def stripe_invoice(world: World, minor: int, description: str, currency: str = "usd"
                   ) -> dict[str, Any]:
    """A finalized Stripe invoice of one item of ``minor`` units."""
    v1 = world.stripe.v1
    draft = v1.invoices.create(params={"customer": world.stripe_customer, "currency": currency})
    v1.invoice_items.create(params={"customer": world.stripe_customer, "invoice": draft.id,
                                    "amount": minor, "currency": currency,
                                    "description": description})
    return dict(v1.invoices.finalize_invoice(draft.id).to_dict())


def post_invoice(world: World, label: str, stripe_invoice: dict[str, Any]) -> str:
    """Map the Stripe invoice, post it to NetSuite, link it: what the invoice flow does."""
    poster = NetSuitePoster(world.netsuite, world.ref)
    invoice = mapping.invoice_from_stripe(stripe_invoice, customer_id=world.customer.id,
                                          legal_entity=world.customer.legal_entity)
    internal = poster.post_invoice(invoice)
    world.link(invoice.id, EntityType.INVOICE, "stripe", str(stripe_invoice["id"]))
    world.link(invoice.id, EntityType.INVOICE, "netsuite", internal)
    world.invoices[label] = stripe_invoice
    world.netsuite_invoices[label] = internal
    return invoice.id


def add_customer(world: World) -> None:
    """The world's customer in Stripe and NetSuite, linked."""
    customer = world.customer
    world.stripe_customer = str(world.stripe.create_customer(customer)["id"])
    world.link(customer.id, EntityType.CUSTOMER, "stripe", world.stripe_customer)
    world.link(customer.id, EntityType.CUSTOMER, "netsuite",
               NetSuitePoster(world.netsuite, world.ref).post_customer(customer))


def build_baseline(world: World) -> None:
    """One customer in all three systems (its account with a won deal); invoices A-E in
    Stripe and NetSuite (E paid, its payment posted; a standalone payment partly refunded,
    both posted); a subscription in Stripe linked to a Salesforce contract with the same
    status."""
    poster = NetSuitePoster(world.netsuite, world.ref)
    customer = world.customer
    stripe_customer = world.stripe.create_customer(customer)
    world.stripe_customer = str(stripe_customer["id"])
    world.stripe.v1.payment_methods.attach("pm_card_visa",
                                           params={"customer": world.stripe_customer})
    world.link(customer.id, EntityType.CUSTOMER, "stripe", world.stripe_customer)
    world.link(customer.id, EntityType.CUSTOMER, "netsuite", poster.post_customer(customer))
    account = world.salesforce.create("Account", {
        "Name": customer.legal_name, "CurrencyIsoCode": "USD", "Accord_Id__c": customer.id,
        "Stripe_Customer_Id__c": world.stripe_customer})
    world.link(customer.id, EntityType.CUSTOMER, "salesforce", account)
    world.salesforce.create("Opportunity", {  # the won deal that made it a customer
        "Name": f"{customer.legal_name} - platform", "AccountId": account,
        "StageName": "Closed Won", "CloseDate": date.today()})

    for label, cents in (("A", 10_000), ("B", 25_000), ("C", 4_200), ("D", 9_900),
                         ("E", 120_000)):
        canonical = post_invoice(world, label, stripe_invoice(world, cents, f"Invoice {label}"))
        if label == "E":
            attempt = world.stripe.pay_invoice(str(world.invoices["E"]["id"]), attempt="1",
                                               payment_method="pm_card_visa")
            assert attempt.succeeded
            assert attempt.charge is not None
            world.invoices["E"] = attempt.invoice
            payment = world.stripe.payment_of(attempt, customer_id=customer.id,
                                              invoice_id=canonical)
            assert payment is not None
            world.link(payment.id, EntityType.PAYMENT, "stripe", str(attempt.charge["id"]))
            poster.post_payment(payment)

    # a payment on account, then partly refunded
    intent = world.stripe.v1.payment_intents.create(params={
        "amount": 5_000, "currency": "usd", "customer": world.stripe_customer,
        "payment_method": "pm_card_visa", "confirm": True})
    charge = world.stripe.v1.charges.retrieve(intent.latest_charge).to_dict()
    on_account = mapping.payment_from_charge(charge, customer_id=customer.id)
    world.link(on_account.id, EntityType.PAYMENT, "stripe", str(charge["id"]))
    poster.post_payment(on_account)
    refund_obj = world.stripe.v1.refunds.create(params={"charge": charge["id"],
                                                        "amount": 1_500}).to_dict()
    refund = mapping.refund_from_stripe(refund_obj, payment_id=on_account.id,
                                        customer_id=customer.id)
    world.link(refund.id, EntityType.REFUND, "stripe", str(refund_obj["id"]))
    poster.post_refund(refund)

    # a subscription billed by invoice; its contract in Salesforce shows the same status
    product = world.stripe.v1.products.create(params={"name": "Platform"})
    price = world.stripe.v1.prices.create(params={
        "product": product.id, "currency": "usd", "unit_amount": 3_000,
        "recurring": {"interval": "month"}})
    subscription = world.stripe.v1.subscriptions.create(params={
        "customer": world.stripe_customer, "items": [{"price": price.id}],
        "collection_method": "send_invoice", "days_until_due": 30}).to_dict()
    world.subscription = str(subscription["id"])
    first = world.stripe.v1.invoices.retrieve(str(subscription["latest_invoice"])).to_dict()
    if first["status"] == "draft":
        first = world.stripe.v1.invoices.finalize_invoice(first["id"]).to_dict()
    post_invoice(world, "S", first)
    world.contract = world.salesforce.create("Contract", {
        "AccountId": account, "StartDate": date.today(), "ContractTerm": 12,
        "Stripe_Subscription_Id__c": world.subscription,
        "Subscription_Status__c": "Active"})
    assert subscription["status"] == "active"
