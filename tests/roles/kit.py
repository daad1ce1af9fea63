"""What the role conformance suite needs of a system beyond its port: its sandbox, and a
few things only the vendor's own API can do or show (close a deal, issue an invoice, count
the ERP's records by external id). Each connector brings a *kit* for that.

Where a kit is found: accord's own connectors keep theirs in ``tests/roles/kits/<name>.py``
(test code stays out of the package); a connector package from elsewhere ships it as
``<package>.conformance``. A kit module has ``start(directory) -> Kit``.

Which connectors are judged: every one the installation has (``registry.available()``),
with ``tests/roles/accord.toml`` as its configuration, so a connector added as a package,
an entry point or a configured package is picked up without touching the suite.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from accord.canonical.money import Money
from accord.canonical.roles import Role
from accord.connectors.base import AdapterOptions, ConnectorDefinition, ReaderOptions
from accord.connectors.registry import ENTRY_POINT_GROUP, available
from accord.ports import BillingPort, CrmPort, ErpPort, TaxPort
from accord.resilience import RetryPolicy
from accord.sandboxes import registry as sandboxes
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.server import RunningSandbox, start_in_thread
from accord.settings import read_config_file

SUITE_CONFIG = Path(__file__).with_name("accord.toml")


class Kit(Protocol):
    settings: Mapping[str, Any]
    """The ``[systems.<name>]`` table that points the connector at the kit's sandbox."""

    def stop(self) -> None:
        ...


class CrmKit(Kit, Protocol):
    def won_deal(self, *, sku: str, quantity: int, unit_price: Money, legal_entity: str,
                 name: str, billing_email: str | None = "billing@example.com") -> str:
        """A new account and a deal for ``quantity`` of ``sku`` (published to the CRM
        already), won; the deal's id. ``billing_email`` None leaves the account without a
        billing contact."""
        ...

    def fields(self, record: str, record_id: str, names: list[str]) -> dict[str, Any]:
        """Fields of an ``account`` or a ``deal`` as the CRM shows them now."""
        ...


class BillingKit(Kit, Protocol):
    def issued_invoice(self, subscription_id: str) -> str:
        """The subscription's first invoice, issued (finalized) as a person or the billing
        system's own schedule would; its billing id."""
        ...

    def paid_invoice(self, billing_customer_id: str, subscription_id: str) -> str:
        """The subscription's first invoice, issued and paid by card as the customer
        would; its billing id."""
        ...

    def refund(self, payment_id: str, amount: Money) -> None:
        """Refund part of a payment, as finance does in the billing system."""
        ...

    def customer_name(self, billing_customer_id: str) -> str:
        ...

    def item_quantities(self, subscription_id: str) -> dict[str, int]:
        """The subscription's items now: billing price id -> quantity."""
        ...


class ErpKit(Kit, Protocol):
    def today(self) -> date:
        """A day in the ERP's open period."""
        ...

    def total(self, kind: str, erp_id: str) -> Money:
        """The amount of a posted ``invoice``, ``payment``, ``credit_note`` or ``refund``
        as the ERP holds it."""
        ...

    def count(self, kind: str, external_id: str) -> int:
        """How many records of ``kind`` (``customer`` or a transaction kind) carry accord's
        canonical id as their external id."""
        ...


class TaxKit(Kit, Protocol):
    def exempt(self, customer_id: str, region: str) -> None:
        """Record an exemption for the customer in a US state (``WA``), as the tax team
        does in the tax engine (a certificate on file)."""
        ...

    def held(self, document_id: str) -> tuple[str, Money] | None:
        """The document as the engine shows it: its status in the engine's own words and
        the tax it holds; None when it keeps no such document."""
        ...


@contextmanager
def suite_configuration() -> Iterator[None]:
    """The suite's configuration in force (no developer's accord.toml or ACCORD_* leaks
    into what is judged)."""
    saved = {key: value for key, value in os.environ.items() if key.startswith("ACCORD_")}
    for key in saved:
        del os.environ[key]
    os.environ["ACCORD_CONFIG"] = str(SUITE_CONFIG)
    try:
        yield
    finally:
        os.environ.pop("ACCORD_CONFIG", None)
        os.environ.update(saved)


def connectors_of(role: Role) -> list[ConnectorDefinition]:
    """Every connector of the installation that plays ``role`` through an adapter."""
    with suite_configuration():
        found = available()
    return [definition for definition in found.values()
            if definition.kind is role and definition.adapter is not None]


def _declaring_module(definition: ConnectorDefinition) -> str:
    """The package the registry found ``definition`` in: one of accord's, an entry point's
    or one the configuration names."""
    with suite_configuration():
        table = read_config_file(SUITE_CONFIG).get("connectors", {})
    candidates = [name for name in sys.modules
                  if name.startswith("accord.connectors.") and name.count(".") == 2]
    candidates += list(table.get("packages", []))
    candidates += [point.value for point in entry_points(group=ENTRY_POINT_GROUP)]
    for name in candidates:
        if getattr(sys.modules.get(name), "CONNECTOR", None) is definition:
            return name
    raise LookupError(f"{definition.name}: no connector package declares it")


def kit_module(definition: ConnectorDefinition) -> Any:
    declared = _declaring_module(definition)
    name = (f"tests.roles.kits.{definition.name}" if declared.startswith("accord.")
            else f"{declared}.conformance")
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise LookupError(f"{definition.name}: the role conformance suite needs its kit, "
                          f"module {name} with start(directory) -> Kit "
                          "(see docs/connectors.md, Adding a system)") from None


@dataclass
class SandboxKit:
    """The part of a kit every connector with a sandbox in ``accord.sandboxes`` shares:
    the sandbox on a free port, and the settings ``accord init --sandboxes`` would write."""

    running: RunningSandbox
    settings: Mapping[str, Any]

    @classmethod
    def start(cls, definition: ConnectorDefinition, directory: Path,
              **options: Any) -> SandboxKit:
        assert definition.sandbox, f"{definition.name} names no sandbox"
        running = start_in_thread(sandboxes.get(definition.sandbox),
                                  SandboxOptions(data_dir=directory, settings=options))
        return cls(running, {**running.credentials(), **definition.sandbox_settings})

    @property
    def credentials(self) -> dict[str, str]:
        return self.running.credentials()

    def stop(self) -> None:
        self.running.stop()


PORTS: dict[Role, type] = {Role.CRM: CrmPort, Role.BILLING: BillingPort, Role.ERP: ErpPort,
                           Role.TAX: TaxPort}


def port_methods(role: Role) -> set[str]:
    """The methods the role's port declares."""
    return {name for name, value in vars(PORTS[role]).items()
            if callable(value) and not name.startswith("_")}


CALLED: dict[tuple[Role, str], set[str]] = {}
"""The port methods the suite called, by role and connector, over every adapter the suite
built for that connector: pytest may set a module-scoped system up twice when it orders
parametrized tests (a test of the second currency after the module's last test)."""


def untested(role: Role, connector_name: str) -> set[str]:
    """The port's methods no test of the suite called (so far) on the connector."""
    return port_methods(role) - CALLED.get((role, connector_name), set())


class Recording:
    """The adapter, noting which of its port's methods the suite called."""

    def __init__(self, adapter: Any, role: Role, name: str) -> None:
        self.adapter = adapter
        self.methods = port_methods(role)
        self.called = CALLED.setdefault((role, name), set())

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.adapter, name)
        if name not in self.methods or not callable(found):
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            self.called.add(name)
            return found(*args, **kwargs)

        return call


@dataclass
class RoleSystem:
    """One connector under test: its adapter (built as the start-up path builds it) on
    its kit's sandbox."""

    definition: ConnectorDefinition
    adapter: Any
    kit: Any

    def reader(self, **options: Any) -> Any:
        """The connector's reconciliation reader over the adapter (no identity registry:
        records are keyed by what they carry)."""
        build = self.definition.reconciliation_reader
        assert build is not None, f"{self.definition.name} declares no reconciliation reader"
        return build(self.adapter.adapter, ReaderOptions(**options))

    def close(self) -> None:
        close = getattr(self.adapter, "close", None)
        if close is not None:
            close()
        self.kit.stop()


def start_system(definition: ConnectorDefinition, directory: Path) -> RoleSystem:
    kit = kit_module(definition).start(directory)
    assert definition.adapter is not None
    with suite_configuration():
        settings = definition.settings_model(**dict(kit.settings))
        adapter = definition.adapter(
            definition.name, settings,
            AdapterOptions(policy=RetryPolicy(max_attempts=3, base_delay=0),
                           sleep=lambda _seconds: None, retries=True))
    return RoleSystem(definition, Recording(adapter, definition.kind, definition.name), kit)


__all__ = ["BillingKit", "CrmKit", "ErpKit", "Kit", "RoleSystem", "SandboxKit", "TaxKit",
           "connectors_of", "kit_module", "start_system", "suite_configuration"]
