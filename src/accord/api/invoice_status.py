"""One invoice's state in every system: the billing system, the ERP instance holding it (any
instance) and the CRM, each asked through its role adapter.

Resolution, by invoice number:

1. billing: each billing system is asked for the invoice numbered so
   (``BillingPort.find_invoice``); its canonical id is the one it carries or the xref of
   its billing id;
2. ERP: the instance the xref names for the canonical id (posted, with its internal id), else
   each configured ERP instance is asked for the invoice by external id (the canonical id),
   then by document number for invoices posted outside accord (``ErpPort.find_invoice``);
3. CRM: the customer's account (through the xref of the billing customer) with its billing
   status, and the contract of the invoice's subscription with its subscription status
   (``CrmPort.billing_view``: the CRM holds no invoice; this is what sales sees).

Each system answers in its own section with ``lookup``: ``found``, ``not_found``,
``not_configured`` or ``unavailable`` (with the connector's error, which holds no secret), so
one system being down never hides what the others say. Adapters are built per request from
the systems' settings and retry at most twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.api.configured_systems import ConfiguredSystems, connector_for
from accord.api.queries import ExceptionFilter, list_exceptions
from accord.api.schemas import ExceptionSummary
from accord.canonical.ids import EntityType
from accord.canonical.lookups import BillingInvoiceView
from accord.canonical.roles import Role
from accord.connectors.base import AdapterOptions
from accord.errors import AccordError
from accord.flows.keys import Key
from accord.registry import Xrefs
from accord.resilience import RetryPolicy
from accord.store.models import BusinessKey

NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"
READ_POLICY = RetryPolicy(max_attempts=2, base_delay=0.2, max_delay=1.0)
log = logging.getLogger(__name__)
T = TypeVar("T")


class Lookup(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    NOT_CONFIGURED = "not_configured"
    UNAVAILABLE = "unavailable"


class BillingState(BaseModel):
    system: str | None = None
    lookup: Lookup
    detail: str | None = None
    invoice_id: str | None = None
    status: str | None = None
    currency: str | None = None
    total: Decimal | None = None
    amount_paid: Decimal | None = None
    amount_remaining: Decimal | None = None
    customer_id: str | None = None
    subscription_id: str | None = None
    finalized_at: datetime | None = None
    paid_at: datetime | None = None


class ErpState(BaseModel):
    lookup: Lookup
    posted: bool = False
    instance: str | None = None
    detail: str | None = None
    internal_id: str | None = None
    document_number: str | None = None
    status: str | None = None
    total: Decimal | None = None
    amount_remaining: Decimal | None = None
    instances_asked: list[str] = []


class CrmState(BaseModel):
    system: str | None = None
    lookup: Lookup
    detail: str | None = None
    account_id: str | None = None
    account_billing_status: str | None = None
    contract_id: str | None = None
    subscription_status: str | None = None


class InvoiceStatus(BaseModel):
    number: str
    canonical_id: str | None
    customer_canonical_id: str | None
    billing: BillingState
    erp: ErpState
    crm: CrmState
    correlation_ids: list[str]
    open_exceptions: list[ExceptionSummary]


class _Unavailable(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _ask(system: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except AccordError as exc:
        log.warning("invoice status: %s answered %s", system, type(exc).__name__)
        raise _Unavailable(f"{type(exc).__name__}: {exc}") from None
    except OSError as exc:
        raise _Unavailable(f"{system} unreachable ({type(exc).__name__})") from None


class _NotConfigured(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@contextmanager
def _adapter(systems: ConfiguredSystems, instance: str) -> Iterator[Any]:
    """The instance's role adapter, built for this request (reads retry at most twice)."""
    definition = connector_for(instance)
    settings = systems.settings(instance)
    if definition is None or definition.adapter is None or settings is None:
        raise _NotConfigured(f"{instance}: no connector")
    if not getattr(settings, "configured", True):
        missing = getattr(settings, "missing", "") or "its credentials"
        raise _NotConfigured(f"set {missing} in [systems.{instance}]")
    adapter = definition.adapter(instance, settings,
                                 AdapterOptions(policy=READ_POLICY, retries=True))
    try:
        yield adapter
    finally:
        close = getattr(adapter, "close", None)
        if close is not None:
            close()


# -- billing -----------------------------------------------------------------------------------
def billing_state(systems: ConfiguredSystems, number: str
                  ) -> tuple[BillingState, BillingInvoiceView | None]:
    """The first billing system that knows the invoice, else what they said."""
    answer = BillingState(lookup=Lookup.NOT_CONFIGURED, detail="no billing system configured")
    for instance in systems.instances(Role.BILLING):
        try:
            with _adapter(systems, instance) as billing:
                invoice = _ask(instance, partial(billing.find_invoice, number))
        except _NotConfigured as missing:
            if answer.lookup is Lookup.NOT_CONFIGURED:
                answer = BillingState(system=instance, lookup=Lookup.NOT_CONFIGURED,
                                      detail=missing.detail)
            continue
        except _Unavailable as down:
            answer = BillingState(system=instance, lookup=Lookup.UNAVAILABLE,
                                  detail=down.detail)
            continue
        if invoice is None:
            if answer.lookup is not Lookup.UNAVAILABLE:
                answer = BillingState(system=instance, lookup=Lookup.NOT_FOUND,
                                      detail=f"{instance} has no invoice numbered {number!r}")
            continue
        return BillingState(
            system=instance, lookup=Lookup.FOUND, invoice_id=invoice.invoice_id,
            status=invoice.status, currency=invoice.currency, total=invoice.total,
            amount_paid=invoice.amount_paid, amount_remaining=invoice.amount_remaining,
            customer_id=invoice.customer_ref, subscription_id=invoice.subscription_ref,
            finalized_at=invoice.finalized_at, paid_at=invoice.paid_at), invoice
    return answer, None


# -- ERP ---------------------------------------------------------------------------------------
def erp_state(systems: ConfiguredSystems, xrefs: Xrefs, canonical_id: str | None,
              number: str) -> ErpState:
    ids = xrefs.ids_for(canonical_id) if canonical_id else {}
    known = {system: system_id for system, system_id in ids.items()
             if (connector := connector_for(system)) is not None
             and connector.kind is Role.ERP}
    candidates = sorted(known) or systems.instances(Role.ERP)
    asked: list[str] = []
    problems: list[str] = []
    for instance in candidates:
        try:
            with _adapter(systems, instance) as erp:
                asked.append(instance)
                record = _ask(instance, partial(erp.find_invoice,
                                                internal_id=known.get(instance),
                                                external_id=canonical_id, number=number))
        except _NotConfigured:
            problems.append(f"{instance}: not configured")
            continue
        except _Unavailable as down:
            problems.append(f"{instance}: {down.detail}")
            continue
        if record is None:
            continue
        return ErpState(lookup=Lookup.FOUND, posted=True, instance=instance,
                        internal_id=record.internal_id,
                        document_number=record.document_number, status=record.status,
                        total=record.total, amount_remaining=record.amount_remaining,
                        instances_asked=asked)
    if problems and not asked:
        return ErpState(lookup=Lookup.NOT_CONFIGURED, detail="; ".join(problems))
    if problems:
        return ErpState(lookup=Lookup.UNAVAILABLE, detail="; ".join(problems),
                        instances_asked=asked)
    return ErpState(lookup=Lookup.NOT_FOUND, posted=False, instances_asked=asked,
                    detail="not posted to any ERP instance asked")


# -- CRM ---------------------------------------------------------------------------------------
def crm_state(systems: ConfiguredSystems, xrefs: Xrefs, customer_id: str | None,
              subscription_id: str | None) -> CrmState:
    crms = systems.instances(Role.CRM)
    if not crms:
        return CrmState(lookup=Lookup.NOT_CONFIGURED, detail="no CRM configured")
    # the CRM that sold the subscription, else one that knows the customer (with two CRMs,
    # each legal entity's deals come from its own), else the first
    instance = next((crm for crm in crms if subscription_id
                     and xrefs.system_id(subscription_id, crm) is not None), None) \
        or next((crm for crm in crms if customer_id
                 and xrefs.system_id(customer_id, crm) is not None), crms[0])
    account = xrefs.system_id(customer_id, instance) if customer_id else None
    contract = xrefs.system_id(subscription_id, instance) if subscription_id else None
    if account is None and contract is None:
        return CrmState(system=instance, lookup=Lookup.NOT_FOUND,
                        detail=f"no {instance} account or contract is linked to the "
                        "invoice's customer or subscription")
    try:
        with _adapter(systems, instance) as crm:
            view = _ask(instance, partial(crm.billing_view, account_id=account,
                                          contract_id=contract))
    except _NotConfigured as missing:
        return CrmState(system=instance, lookup=Lookup.NOT_CONFIGURED, account_id=account,
                        contract_id=contract, detail=missing.detail)
    except _Unavailable as down:
        return CrmState(system=instance, lookup=Lookup.UNAVAILABLE, account_id=account,
                        contract_id=contract, detail=down.detail)
    return CrmState(system=instance, lookup=Lookup.FOUND, account_id=account,
                    contract_id=contract, account_billing_status=view.account_billing_status,
                    subscription_status=view.subscription_status)


# -- together ----------------------------------------------------------------------------------
def invoice_status(session: Session, systems: ConfiguredSystems, number: str
                   ) -> InvoiceStatus | None:
    """The invoice's state everywhere, or None when billing, the ERP and the timeline all
    say they do not know it."""
    xrefs = Xrefs(session)
    billing, invoice = billing_state(systems, number)
    correlation_ids = sorted(set(session.scalars(select(BusinessKey.correlation_id).where(
        BusinessKey.kind == Key.INVOICE_NUMBER.value, BusinessKey.value == number))))
    canonical_id = customer = subscription = None
    if invoice is not None and billing.system is not None:
        source = billing.system
        canonical_id = invoice.carried_id or xrefs.canonical_id(source, EntityType.INVOICE,
                                                                invoice.invoice_id)
        if invoice.customer_ref:
            customer = xrefs.canonical_id(source, EntityType.CUSTOMER, invoice.customer_ref)
        if invoice.subscription_ref:
            subscription = xrefs.canonical_id(source, EntityType.SUBSCRIPTION,
                                              invoice.subscription_ref)
    if canonical_id is None and correlation_ids:
        canonical_id = session.scalar(select(BusinessKey.value).where(
            BusinessKey.correlation_id.in_(correlation_ids),
            BusinessKey.kind == Key.INVOICE_ID.value).limit(1))
    erp = erp_state(systems, xrefs, canonical_id, number)
    crm = crm_state(systems, xrefs, customer, subscription)
    if billing.lookup is Lookup.NOT_FOUND and not erp.posted and not correlation_ids:
        return None
    exceptions = list_exceptions(session, ExceptionFilter(record_ref=canonical_id)) \
        if canonical_id else []
    return InvoiceStatus(number=number, canonical_id=canonical_id,
                         customer_canonical_id=customer, billing=billing, erp=erp, crm=crm,
                         correlation_ids=correlation_ids, open_exceptions=exceptions)


__all__ = ["NUMBER_PATTERN", "BillingState", "CrmState", "ErpState", "InvoiceStatus",
           "Lookup", "billing_state", "crm_state", "erp_state", "invoice_status"]
