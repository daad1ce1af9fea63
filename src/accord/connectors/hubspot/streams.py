"""The HubSpot changes accord polls by ``hs_lastmodifieddate``, behind the webhooks (a
delivery HubSpot gave up on, an endpoint that was down, a deal created already won).

* ``deals``: a deal in ``closedwon`` comes typed ``deal.closedwon``;
* ``companies``: every change, typed ``company.changed``, with the properties accord writes
  back so its own write-backs are recognised as echoes.
"""

from __future__ import annotations

from accord.connectors.base import PollSpec
from accord.connectors.hubspot.intake import ModifiedPoller
from accord.connectors.hubspot.mapping import COMPANY_CHANGE_PROPERTIES

DEAL_CHANGE_PROPERTIES = ("dealstage", "dealname", "pipeline")

POLLS = (
    PollSpec("deals", 60, lambda crm: ModifiedPoller(crm.client, "deals",
                                                     DEAL_CHANGE_PROPERTIES,
                                                     system=crm.system),
             "deals won (fallback for webhooks)"),
    PollSpec("companies", 120, lambda crm: ModifiedPoller(crm.client, "companies",
                                                          COMPANY_CHANGE_PROPERTIES,
                                                          system=crm.system),
             "company changes (fallback for webhooks)"),
)

__all__ = ["DEAL_CHANGE_PROPERTIES", "POLLS"]
