"""The systems flows talk to, by role, reachable from DBOS steps.

DBOS steps are module-level functions, so they cannot take adapters as arguments that
survive a restart. Instead the start-up path (:mod:`accord.bootstrap`, shared by ``accord
serve``, ``accord worker`` and the tests) builds one :class:`Systems` from the settings - an
adapter per configured system instance, each playing its connector's role - and installs
it; steps fetch it with :func:`systems`. Which instance plays a role for a record is the
routing table's answer (legal entity, currency, region, migration wave); an event's own
source plays its role for the flow it starts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from accord.canonical.roles import Role
from accord.engine.failures import EngineError
from accord.errors import PermanentError
from accord.flows.entities import LegalEntities, load_entities
from accord.flows.skus import SkuMapping, load_skus
from accord.ports import BillingPort, CrmPort, ErpPort
from accord.registry.ownership import OwnershipPolicy, load_policy
from accord.routing import RoutingContext, RoutingTable, load_routing, route

PaymentMethodFor = Callable[[str], str | None]
"""CRM account id -> a payment method to attach when the billing customer is created
(test mode only: in production the customer's card arrives through checkout)."""


def _no_payment_method(_account_id: str) -> str | None:
    return None


@dataclass(frozen=True)
class FlowSettings:
    """Tunables of the flows. ``wait_interval`` x ``wait_attempts`` bounds how long a
    posting waits for a record it depends on (the customer, the invoice) before it becomes
    an exception; ``invoice_batch`` is the most finalized invoices one posting run takes
    (a lone invoice starts at once, as a batch of one)."""

    wait_interval: float = 5.0
    wait_attempts: int = 60
    invoice_batch: int = 25


_lock = threading.Lock()


class SystemNotConfigured(PermanentError):
    """A flow needs a system this installation has no settings for."""

    def __init__(self, system: str, fix: str) -> None:
        super().__init__(f"{system} is not configured: {fix}", system=system)


@dataclass(frozen=True)
class Mappings:
    """The reference data flows map with - SKU mapping, legal entities, ownership policy -
    and the version it is (:mod:`accord.refdata`; 1 is the shipped files)."""

    version: int
    skus: SkuMapping
    entities: LegalEntities
    policy: OwnershipPolicy


_shipped: list[Mappings] = []


def shipped_mappings() -> Mappings:
    """The shipped files as version 1 (read once)."""
    with _lock:
        if not _shipped:
            _shipped.append(Mappings(1, load_skus(), load_entities(), load_policy()))
        return _shipped[0]


@dataclass
class Systems:
    """The adapters of the configured systems, by role and instance. A system left out (no
    credentials) raises :class:`SystemNotConfigured` when a flow asks for it, so its events
    wait in the exception queue with what to set."""

    crms: Mapping[str, CrmPort] = field(default_factory=dict)
    billings: Mapping[str, BillingPort] = field(default_factory=dict)
    erps: Mapping[str, ErpPort] = field(default_factory=dict)
    routing: RoutingTable = field(default_factory=load_routing)
    mappings: Callable[[], Mappings] = shipped_mappings
    """The reference data in force now: the start-up path installs one that reads the active
    version from the store on every call, so an activation or a rollback reaches the next
    step on every worker without a restart."""
    settings: FlowSettings = field(default_factory=FlowSettings)
    payment_method_for: PaymentMethodFor = _no_payment_method
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def skus(self) -> SkuMapping:
        return self.mappings().skus

    @property
    def entities(self) -> LegalEntities:
        return self.mappings().entities

    @property
    def policy(self) -> OwnershipPolicy:
        return self.mappings().policy

    # -- which instance ---------------------------------------------------------------------
    def target(self, role: Role, legal_entity: str, currency: str | None = None) -> str:
        """The instance the routing table names for ``role`` and this legal entity."""
        chosen = route(self.routing, RoutingContext(legal_entity=legal_entity,
                                                    currency=currency), (role,))
        return chosen.target(role)

    def default(self, role: Role) -> str:
        """The instance the routing table's catch-all rule names for ``role``."""
        for rule in reversed(self.routing.rules):
            if role in rule.targets and not rule.when.model_dump(exclude_none=True):
                return rule.targets[role]
        raise SystemNotConfigured(role.value, f"no routing rule without conditions names a "
                                  f"{role.value} system")

    # -- the adapters -------------------------------------------------------------------------
    def crm(self, system: str) -> CrmPort:
        found: CrmPort = _get(self.crms, system, Role.CRM)
        return found

    def billing(self, system: str) -> BillingPort:
        found: BillingPort = _get(self.billings, system, Role.BILLING)
        return found

    def erp(self, system: str) -> ErpPort:
        found: ErpPort = _get(self.erps, system, Role.ERP)
        return found

    def adapters(self) -> dict[str, Any]:
        """Every instance's adapter, by instance name."""
        return {**self.crms, **self.billings, **self.erps}

    def erp_for(self, legal_entity: str, currency: str | None = None) -> ErpPort:
        return self.erp(self.target(Role.ERP, legal_entity, currency))

    def instances(self, role: Role) -> list[str]:
        found: Mapping[str, Any] = {Role.CRM: self.crms, Role.BILLING: self.billings,
                                    Role.ERP: self.erps}.get(role, {})
        return sorted(found)

    def close(self) -> None:
        for close in self.closers:
            close()


def _get(adapters: Mapping[str, Any], system: str, role: Role) -> Any:
    found = adapters.get(system)
    if found is None:
        raise SystemNotConfigured(system, f"set its credentials in [systems.{system}] (a "
                                  f"{role.value} system; `accord init` lists the settings)")
    return found


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


def flow_settings() -> FlowSettings:
    """The installed systems' flow settings; the defaults while none are installed (the
    inbox pump asks for a batch size before any flow runs)."""
    found = _installed
    return found.settings if found is not None else FlowSettings()


__all__ = [
    "FlowSettings",
    "Mappings",
    "PaymentMethodFor",
    "SystemNotConfigured",
    "Systems",
    "flow_settings",
    "install",
    "shipped_mappings",
    "systems",
]
