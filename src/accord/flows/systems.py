"""The connector clients flows talk to, reachable from DBOS steps.

DBOS steps are module-level functions, so they cannot take clients as arguments that survive
a restart. Instead a process installs one :class:`Systems` (built from settings by
:func:`from_settings`, or by tests and the demo around sandboxes) and steps fetch it with
:func:`systems`. The ERP target is picked per legal entity with :mod:`accord.routing`
(``netsuite`` or an instance such as ``netsuite-eu``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pydantic_settings import SettingsConfigDict

from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.settings import SalesforceSettings
from accord.connectors.stripe.client import StripeClient
from accord.connectors.stripe.settings import StripeSettings
from accord.engine.failures import EngineError
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


@dataclass
class Systems:
    salesforce: SalesforceClient
    stripe: StripeClient
    netsuite: Mapping[str, NetSuitePoster]
    routing: RoutingTable = field(default_factory=load_routing)
    skus: SkuMapping = field(default_factory=load_skus)
    entities: LegalEntities = field(default_factory=load_entities)
    policy: OwnershipPolicy = field(default_factory=load_policy)
    settings: FlowSettings = field(default_factory=FlowSettings)
    payment_method_for: PaymentMethodFor = _no_payment_method

    def erp_instance(self, legal_entity: str, currency: str | None = None) -> str:
        chosen = route(self.routing, RoutingContext(legal_entity=legal_entity,
                                                    currency=currency), (Role.ERP,))
        return chosen.target(Role.ERP)

    def erp(self, legal_entity: str, currency: str | None = None) -> NetSuitePoster:
        instance = self.erp_instance(legal_entity, currency)
        poster = self.netsuite.get(instance)
        if poster is None:
            raise EngineError(f"no client for ERP instance {instance!r}")
        return poster

    def close(self) -> None:
        for poster in {id(p): p for p in self.netsuite.values()}.values():
            poster.client.close()
        self.salesforce.session.close()


_lock = threading.Lock()
_installed: Systems | None = None


def install(found: Systems | None) -> None:
    """Make ``found`` the process's systems (None uninstalls)."""
    global _installed
    with _lock:
        _installed = found


def systems() -> Systems:
    if _installed is None:
        raise EngineError("no systems installed: call accord.flows.systems.install() first")
    return _installed


def from_settings(routing: RoutingTable | None = None) -> Systems:
    """Clients for the configured systems; one NetSuite client per ERP instance the routing
    table names (instance ``netsuite-eu`` reads ``[systems.netsuite-eu]``)."""
    table = routing or load_routing()
    instances = sorted({rule.targets[Role.ERP] for rule in table.rules
                        if Role.ERP in rule.targets})
    # the engine's step budget retries NetSuite calls (an outage of minutes drains by itself)
    posters = {name: NetSuitePoster.from_settings(_netsuite_settings(name), retry=False)
               for name in instances}
    return Systems(salesforce=SalesforceClient(SalesforceSettings()),
                   stripe=StripeClient(StripeSettings()), netsuite=posters, routing=table)


def _netsuite_settings(instance: str) -> NetSuiteSettings:
    if instance == "netsuite":
        return NetSuiteSettings()

    env = "ACCORD_" + instance.upper().replace("-", "_") + "_"
    instance_cls = type(f"NetSuiteSettings_{instance}", (NetSuiteSettings,), {
        "model_config": SettingsConfigDict(env_prefix=env, extra="ignore"),
        "toml_table": ("systems", instance)})
    settings: NetSuiteSettings = instance_cls()
    return settings


__all__ = ["FlowSettings", "PaymentMethodFor", "Systems", "from_settings", "install",
           "systems"]
