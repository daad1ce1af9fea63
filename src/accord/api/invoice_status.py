"""One invoice's state in every system: billing (Stripe), the ERP instance holding it
(NetSuite, any instance) and the CRM (Salesforce).

Resolution, by invoice number:

1. billing: Stripe's invoice search ``number:'<number>'``; the invoice's canonical id is its
   ``metadata.accord_id`` or the xref of its Stripe id;
2. ERP: the instance the xref names for the canonical id (posted, with its internal id), else
   each configured ERP instance is asked for the invoice by external id (the canonical id),
   then by document number (``tranId``, through SuiteQL) for invoices posted outside accord;
3. CRM: the customer's Salesforce account (through the xref of the Stripe customer) with its
   ``Billing_Status__c``, and the contract of the invoice's subscription with its
   ``Subscription_Status__c`` (Salesforce holds no invoice object; this is what sales sees).

Each system answers in its own section with ``lookup``: ``found``, ``not_found``,
``not_configured`` or ``unavailable`` (with the connector's error, which holds no secret), so
one system being down never hides what the others say. Clients are built per request from
the systems' settings and retry at most twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.api.queries import ExceptionFilter, list_exceptions
from accord.api.schemas import ExceptionSummary
from accord.api.systems import Systems, connector_for
from accord.canonical.ids import EntityType
from accord.canonical.roles import Role
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.settings import SalesforceSettings
from accord.connectors.stripe.client import StripeClient
from accord.connectors.stripe.mapping import ACCORD_ID, money, subscription_of_invoice
from accord.connectors.stripe.settings import StripeSettings
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
    system: str = "stripe"
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
    system: str = "salesforce"
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


@dataclass(frozen=True)
class _Unavailable(Exception):
    detail: str


def _ask(system: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except AccordError as exc:
        log.warning("invoice status: %s answered %s", system, type(exc).__name__)
        raise _Unavailable(f"{type(exc).__name__}: {exc}") from None
    except OSError as exc:
        raise _Unavailable(f"{system} unreachable ({type(exc).__name__})") from None


def _not_found(exc: AccordError) -> bool:
    return exc.status == 404


def _moment(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if isinstance(value, int) else None


# -- billing -----------------------------------------------------------------------------------
def _stripe_invoice(settings: StripeSettings, number: str) -> dict[str, Any] | None:
    client = StripeClient(settings, policy=READ_POLICY)
    query = f"number:'{number}'"
    found = client.call(lambda: client.v1.invoices.search(params={"query": query, "limit": 1}))
    return found.data[0].to_dict() if found.data else None


def billing_state(systems: Systems, number: str) -> tuple[BillingState, dict[str, Any] | None]:
    settings = systems.settings("stripe")
    if not isinstance(settings, StripeSettings) or settings.api_key is None:
        return BillingState(lookup=Lookup.NOT_CONFIGURED,
                            detail="set api_key in [systems.stripe]"), None
    try:
        invoice = _ask("stripe", lambda: _stripe_invoice(settings, number))
    except _Unavailable as down:
        return BillingState(lookup=Lookup.UNAVAILABLE, detail=down.detail), None
    if invoice is None:
        return BillingState(lookup=Lookup.NOT_FOUND,
                            detail=f"Stripe has no invoice numbered {number!r}"), None
    currency = str(invoice["currency"]).upper()

    def amount(field: str) -> Decimal | None:
        value = invoice.get(field)
        return money(value, currency).amount if isinstance(value, int) else None

    transitions = invoice.get("status_transitions") or {}
    subscription = subscription_of_invoice(invoice) or invoice.get("subscription")
    return BillingState(
        lookup=Lookup.FOUND, invoice_id=invoice["id"], status=invoice.get("status"),
        currency=currency, total=amount("total"), amount_paid=amount("amount_paid"),
        amount_remaining=amount("amount_remaining"), customer_id=invoice.get("customer"),
        subscription_id=subscription if isinstance(subscription, str) else None,
        finalized_at=_moment(transitions.get("finalized_at")),
        paid_at=_moment(transitions.get("paid_at"))), invoice


# -- ERP ---------------------------------------------------------------------------------------
def _ref_name(value: Any) -> str | None:
    if isinstance(value, Mapping):
        name = value.get("refName") or value.get("id")
        return str(name) if name is not None else None
    return str(value) if value is not None else None


def _decimal(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value is not None else None


def _by_document_number(client: NetSuiteClient, number: str) -> dict[str, Any] | None:
    """The invoice whose ``tranId`` is ``number`` (SuiteQL; ``number`` matched
    :data:`NUMBER_PATTERN`, so it holds no quote)."""
    if not re.fullmatch(NUMBER_PATTERN, number):
        return None
    query = f"SELECT id FROM transaction WHERE type = 'CustInvc' AND tranid = '{number}'"  # noqa: S608
    rows = client.suiteql_page(query, limit=1).rows
    return client.get("invoice", rows[0]["id"], expand=False) if rows else None


def _netsuite_invoice(settings: NetSuiteSettings, *, internal_id: str | None,
                      external_id: str | None, number: str) -> dict[str, Any] | None:
    """By internal id (the xref), else external id (the canonical id), else document
    number; None when the instance holds no such invoice."""
    with NetSuiteClient(settings, policy=READ_POLICY) as client:
        found = None
        if internal_id:
            found = _unless_missing(partial(client.get, "invoice", internal_id, expand=False))
        if found is None and external_id:
            found = _unless_missing(partial(client.get_by_external_id, "invoice", external_id,
                                            expand=False))
        if found is None:
            found = _unless_missing(partial(_by_document_number, client, number))
        return found


def _unless_missing(fetch: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
    try:
        return fetch()
    except AccordError as exc:
        if _not_found(exc):
            return None
        raise


def erp_state(systems: Systems, xrefs: Xrefs, canonical_id: str | None,
              number: str) -> ErpState:
    ids = xrefs.ids_for(canonical_id) if canonical_id else {}
    known = {system: system_id for system, system_id in ids.items()
             if (connector := connector_for(system)) is not None
             and connector.kind is Role.ERP}
    candidates = sorted(known) or systems.instances(Role.ERP)
    asked: list[str] = []
    problems: list[str] = []
    for instance in candidates:
        settings = systems.settings(instance)
        if not isinstance(settings, NetSuiteSettings) or not settings.account_id:
            problems.append(f"{instance}: not configured")
            continue
        asked.append(instance)
        try:
            record = _ask(instance, partial(_netsuite_invoice, settings,
                                            internal_id=known.get(instance),
                                            external_id=canonical_id, number=number))
        except _Unavailable as down:
            problems.append(f"{instance}: {down.detail}")
            continue
        if record is None:
            continue
        return ErpState(lookup=Lookup.FOUND, posted=True, instance=instance,
                        internal_id=str(record.get("id") or known.get(instance) or ""),
                        document_number=record.get("tranId"),
                        status=_ref_name(record.get("status")),
                        total=_decimal(record.get("total")),
                        amount_remaining=_decimal(record.get("amountRemaining")),
                        instances_asked=asked)
    if problems and not asked:
        return ErpState(lookup=Lookup.NOT_CONFIGURED, detail="; ".join(problems))
    if problems:
        return ErpState(lookup=Lookup.UNAVAILABLE, detail="; ".join(problems),
                        instances_asked=asked)
    return ErpState(lookup=Lookup.NOT_FOUND, posted=False, instances_asked=asked,
                    detail="not posted to any ERP instance asked")


# -- CRM ---------------------------------------------------------------------------------------
def _salesforce_view(settings: SalesforceSettings, account_id: str | None,
                     contract_id: str | None) -> CrmState:
    client = SalesforceClient(settings, policy=READ_POLICY)
    state = CrmState(lookup=Lookup.FOUND, account_id=account_id, contract_id=contract_id)
    if account_id is not None:
        account = client.get("Account", account_id, fields=["Billing_Status__c"])
        state.account_billing_status = account.get("Billing_Status__c")
    if contract_id is not None:
        contract = client.get("Contract", contract_id, fields=["Subscription_Status__c"])
        state.subscription_status = contract.get("Subscription_Status__c")
    return state


def crm_state(systems: Systems, xrefs: Xrefs, customer_id: str | None,
              subscription_id: str | None) -> CrmState:
    account = xrefs.system_id(customer_id, "salesforce") if customer_id else None
    contract = xrefs.system_id(subscription_id, "salesforce") if subscription_id else None
    if account is None and contract is None:
        return CrmState(lookup=Lookup.NOT_FOUND,
                        detail="no Salesforce account or contract is linked to the invoice's "
                        "customer or subscription")
    settings = systems.settings("salesforce")
    if not isinstance(settings, SalesforceSettings) or settings.session_id is None:
        return CrmState(lookup=Lookup.NOT_CONFIGURED, account_id=account, contract_id=contract,
                        detail="set session_id in [systems.salesforce]")
    try:
        return _ask("salesforce", lambda: _salesforce_view(settings, account, contract))
    except _Unavailable as down:
        return CrmState(lookup=Lookup.UNAVAILABLE, account_id=account, contract_id=contract,
                        detail=down.detail)


# -- together ----------------------------------------------------------------------------------
def invoice_status(session: Session, systems: Systems, number: str) -> InvoiceStatus | None:
    """The invoice's state everywhere, or None when billing, the ERP and the timeline all
    say they do not know it."""
    xrefs = Xrefs(session)
    billing, invoice = billing_state(systems, number)
    correlation_ids = sorted(set(session.scalars(select(BusinessKey.correlation_id).where(
        BusinessKey.kind == Key.INVOICE_NUMBER.value, BusinessKey.value == number))))
    canonical_id = customer = subscription = None
    if invoice is not None:
        canonical_id = (invoice.get("metadata") or {}).get(ACCORD_ID) or xrefs.canonical_id(
            "stripe", EntityType.INVOICE, invoice["id"])
        if billing.customer_id:
            customer = xrefs.canonical_id("stripe", EntityType.CUSTOMER, billing.customer_id)
        if billing.subscription_id:
            subscription = xrefs.canonical_id("stripe", EntityType.SUBSCRIPTION,
                                              billing.subscription_id)
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
