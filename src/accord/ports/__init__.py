"""The roles as typed protocols: what flows, reconciliation and the API ask of a CRM, a
billing system, an ERP and a tax engine, in canonical models. Each connector package
provides the adapter for the role it plays (``ConnectorDefinition.adapter``); nothing above
the connectors talks to a vendor any other way.
"""

from accord.ports.billing import BillingPort, Document
from accord.ports.crm import CrmPort
from accord.ports.erp import ErpPort
from accord.ports.tax import TaxPort

__all__ = ["BillingPort", "CrmPort", "Document", "ErpPort", "TaxPort"]
