"""The CRM role: where deals are won and accounts kept; accord writes its ids and the billing
status back there."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from accord.canonical.catalog import Price, Product
from accord.canonical.deals import AccountRead, CustomerLinks, Deal, DealLinks
from accord.canonical.lookups import CrmBillingView


class CrmPort(Protocol):
    system: str
    """The system instance (``[systems.<name>]``) this adapter talks to."""
    default_legal_entity: str
    """The legal entity of accounts and deals that name none."""

    def read_deal(self, deal_id: str) -> Deal:
        """The won deal with its account and lines. A deal the CRM holds incompletely (no
        account, no billing contact, no products) raises a data-quality error naming the
        CRM's field."""
        ...

    def read_account(self, account_id: str, *, legal_entity: str) -> AccountRead:
        """The account now; ``legal_entity`` when it names none."""
        ...

    def write_back_account(self, links: CustomerLinks) -> dict[str, Any]:
        """Write accord's links and the billing status on the account; returns the fields
        written, as the CRM will show them (the echo ledger notes them)."""
        ...

    def write_back_deal(self, links: DealLinks) -> dict[str, Any]:
        """Write accord's links and the billing status on the deal; returns the fields."""
        ...

    def publish_product(self, product: Product, prices: Sequence[Price]) -> dict[str, str]:
        """Make the product and its list prices sellable (upserted on accord's ids);
        returns the CRM's id of each, by canonical id."""
        ...


    def billing_view(self, *, account_id: str | None, contract_id: str | None
                     ) -> CrmBillingView:
        """The billing status on the account and the subscription status on the contract."""
        ...

__all__ = ["CrmPort"]
