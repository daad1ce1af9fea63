"""The roles a system plays for accord. Flows, routing, reconciliation and the API speak of
roles; which vendor plays one is configuration (``[systems.<name>]`` and the routing table)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CRM = "crm"
    BILLING = "billing"
    ERP = "erp"
    TAX = "tax"
    METERING = "metering"


CUSTOMER_ROLES = (Role.CRM, Role.BILLING, Role.ERP)
"""The roles that keep a record of each customer (the account, the billing customer, the ERP
customer): a customer missing from one of them is not linked end to end."""


__all__ = ["CUSTOMER_ROLES", "Role"]
