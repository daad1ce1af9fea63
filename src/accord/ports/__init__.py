"""The roles as typed protocols: what flows, reconciliation and the API ask of a CRM, a
billing system and an ERP, in canonical models. Each connector package provides the adapter
for the role it plays (``ConnectorDefinition.adapter``); nothing above the connectors talks
to a vendor any other way.
"""

from accord.ports.billing import BillingPort, Document
from accord.ports.crm import CrmPort
from accord.ports.erp import ErpPort

__all__ = ["BillingPort", "CrmPort", "Document", "ErpPort"]
