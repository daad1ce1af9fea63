"""What every CRM connector does alike around a won deal: the ids it gives the buyer and the
order, and the fields it writes back on the account and the deal.

A CRM names its fields its own way (:class:`LinkFields` holds one CRM's names); the rules are
accord's: the buyer's id is the accord id written on the account earlier, else one derived from
the account, so every read of one account names one customer; the order's id is derived from
the deal; a write-back sets only the links accord knows, and the billing status when it has one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from accord.canonical.contract import Contract
from accord.canonical.deals import BillingStatus, CustomerLinks, Deal, DealLinks, DealType
from accord.canonical.ids import EntityType, derived_id
from accord.canonical.party import Customer


@dataclass(frozen=True)
class LinkFields:
    """One CRM's fields for what accord writes back."""

    status: str
    status_values: Mapping[BillingStatus, str]
    accord_id: str
    billing_customer_id: str
    erp_customer_id: str
    billing_subscription_id: str

    def _written(self, status: BillingStatus | None,
                 values: tuple[tuple[str, str | None], ...]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if status is not None:
            fields[self.status] = self.status_values[status]
        fields.update({name: value for name, value in values if value})
        return fields

    def account(self, links: CustomerLinks) -> dict[str, Any]:
        """The account fields that carry ``links``."""
        return self._written(links.status, (
            (self.accord_id, links.accord_id),
            (self.billing_customer_id, links.billing_customer_id),
            (self.erp_customer_id, links.erp_customer_id)))

    def deal(self, links: DealLinks) -> dict[str, Any]:
        """The deal fields that carry ``links``."""
        return self._written(links.status, (
            (self.accord_id, links.accord_id),
            (self.billing_subscription_id, links.billing_subscription_id)))


@dataclass(frozen=True)
class WonDeal:
    """A won deal as one CRM read it, before accord names the buyer and the order."""

    system: str
    deal_id: str
    account_id: str
    deal_type: DealType
    customer: Customer
    customer_written: bool
    """Whether the account carries an accord id accord wrote back earlier."""
    contract: Callable[[str], Contract]
    """The order, given the buyer's canonical id."""
    fields: Mapping[str, str]
    line_sku_field: Callable[[int], str]
    line_count: int
    written_subscription: str | None
    written_contract: str | None

    def deal(self) -> Deal:
        customer = self.customer if self.customer_written else self.customer.model_copy(
            update={"id": derived_id(EntityType.CUSTOMER, self.system, self.account_id)})
        contract = self.contract(customer.id).model_copy(
            update={"id": derived_id(EntityType.CONTRACT, self.system, self.deal_id)})
        sources = dict(self.fields)
        sources.update({f"line.{index}.sku": self.line_sku_field(index)
                        for index in range(self.line_count)})
        return Deal(deal_id=self.deal_id, account_id=self.account_id, deal_type=self.deal_type,
                    customer=customer, contract=contract,
                    written_subscription=self.written_subscription or None,
                    written_contract=self.written_contract or None, fields=sources)


__all__ = ["LinkFields", "WonDeal"]
