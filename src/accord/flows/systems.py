"""The connector clients flows talk to, reachable from DBOS steps.

DBOS steps are module-level functions, so they cannot take clients as arguments that survive
a restart. Instead the start-up path (:mod:`accord.bootstrap`, shared by ``accord serve``,
``accord worker`` and the tests) builds one :class:`Systems` from the settings and installs
it, and steps fetch it with :func:`systems`. The ERP target is picked per legal entity
with :mod:`accord.routing` (``netsuite`` or an instance such as ``netsuite-eu``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.stripe.client import StripeClient
from accord.engine.failures import EngineError
from accord.errors import PermanentError
from accord.flows.entities import LegalEntities, load_entities
from accord.flows.skus import SkuMapping, load_skus
from accord.registry.ownership import OwnershipPolicy, load_policy
from accord.routing import Role, RoutingContext, RoutingTable, load_routing, route

PaymentMethodFor = Callable[[str], str | None]
"""Salesforce account id -> a Stripe payment method to attach when the customer is created
(test mode only: in production the customer's card arrives through Checkout)."""


def _no_payment_method(_account_id: str) -> str | None:
    return None


@dataclass(frozen=True)
class FlowSettings:
    """Tunables of the flows. ``wait_interval`` x ``wait_attempts`` bounds how long a
    posting waits for a record it depends on (the customer, the invoice) before it becomes
    an exception."""

    wait_interval: float = 5.0
    wait_attempts: int = 60
    use_test_clocks: bool = False
    """Create each Stripe customer on a test clock frozen at the contract start, so a
    sandbox or test-mode account bills the month as it happened (demo and tests)."""


class SystemNotConfigured(PermanentError):
    """A flow needs a system this installation has no settings for."""

    def __init__(self, system: str, fix: str) -> None:
        super().__init__(f"{system} is not configured: {fix}", system=system)


@dataclass
class Systems:
    """The clients of the configured systems. A system left out (no credentials) raises
    :class:`SystemNotConfigured` when a flow asks for it, so its events wait in the
    exception queue with what to set."""

    crm: SalesforceClient | None
    billing: StripeClient | None
    netsuite: Mapping[str, NetSuitePoster]
    routing: RoutingTable = field(default_factory=load_routing)
    skus: SkuMapping = field(default_factory=load_skus)
    entities: LegalEntities = field(default_factory=load_entities)
    policy: OwnershipPolicy = field(default_factory=load_policy)
    settings: FlowSettings = field(default_factory=FlowSettings)
    payment_method_for: PaymentMethodFor = _no_payment_method

    @property
    def salesforce(self) -> SalesforceClient:
        if self.crm is None:
            raise SystemNotConfigured("salesforce", "set [systems.salesforce] instance_url "
                                      "and session_id (or ACCORD_SALESFORCE_*)")
        return self.crm

    @property
    def stripe(self) -> StripeClient:
        if self.billing is None:
            raise SystemNotConfigured("stripe", "set [systems.stripe] api_key "
                                      "(or ACCORD_STRIPE_API_KEY)")
        return self.billing

    def erp_instance(self, legal_entity: str, currency: str | None = None) -> str:
        chosen = route(self.routing, RoutingContext(legal_entity=legal_entity,
                                                    currency=currency), (Role.ERP,))
        return chosen.target(Role.ERP)

    def erp(self, legal_entity: str, currency: str | None = None) -> NetSuitePoster:
        instance = self.erp_instance(legal_entity, currency)
        poster = self.netsuite.get(instance)
        if poster is None:
            raise SystemNotConfigured(instance, f"set [systems.{instance}] account_id, "
                                      "consumer_key, consumer_secret, token_id and "
                                      "token_secret")
        return poster

    def clients(self) -> dict[str, object]:
        """Every configured system's client by system name (an ERP instance by its own)."""
        found: dict[str, object] = {}
        if self.crm is not None:
            found["salesforce"] = self.crm
        if self.billing is not None:
            found["stripe"] = self.billing
        for instance, poster in self.netsuite.items():
            found[instance] = poster.client
        return found

    def close(self) -> None:
        for poster in {id(p): p for p in self.netsuite.values()}.values():
            poster.client.close()
        if self.crm is not None:
            self.crm.session.close()


_lock = threading.Lock()
_installed: Systems | None = None


def install(found: Systems | None) -> None:
    """Make ``found`` the process's systems (None uninstalls). Only the start-up path
    (:mod:`accord.bootstrap`) calls it."""
    global _installed
    with _lock:
        _installed = found


def systems() -> Systems:
    if _installed is None:
        raise EngineError("no systems installed: start the service through accord.bootstrap")
    return _installed


__all__ = ["FlowSettings", "PaymentMethodFor", "SystemNotConfigured", "Systems", "install",
           "systems"]
