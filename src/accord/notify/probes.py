"""Business SLA breaches the notifier tells owners about: records that have waited longer
than their SLA (an invoice not in the ERP after 15 minutes). The figures live with the KPIs
(:mod:`accord.api.sla`), a layer above; that module registers its probe here when imported,
as flows register with the engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from accord.observability.slas import Slas
from accord.store import Database


@dataclass(frozen=True)
class Breach:
    """One record past its SLA."""

    sla: str
    """``invoice_to_erp``, ``order_activation``, ``payment_to_erp``, ``payment_to_crm``."""
    owner: str
    key: str
    """The record's business key (an invoice number, a deal id)."""
    waited_seconds: float
    limit_seconds: float


Probe = Callable[[Database, Slas, datetime], list[Breach]]
_probes: dict[str, Probe] = {}


def register_probe(name: str, probe: Probe) -> None:
    _probes[name] = probe


def probes() -> list[Probe]:
    return [_probes[name] for name in sorted(_probes)]


__all__ = ["Breach", "Probe", "probes", "register_probe"]
