"""AvaTax's kit for the role conformance suite: its sandbox, an exemption certificate
recorded and documents read back with the official ``avalara`` client."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from avalara.client import AvataxClient

from accord.canonical.money import Money
from accord.connectors.avatax import CONNECTOR
from tests.roles.kit import SandboxKit

STATES = {"WA": "Washington", "CA": "California", "TX": "Texas", "NY": "New York"}


@dataclass
class AvaTaxKit:
    sandbox: SandboxKit
    client: AvataxClient
    company_code: str

    @property
    def settings(self) -> dict[str, object]:
        return dict(self.sandbox.settings)

    def _company_id(self) -> int:
        answer = self.client.query_companies({"$filter":
                                              f"companyCode eq '{self.company_code}'"})
        answer.raise_for_status()
        return int(answer.json()["value"][0]["id"])

    def exempt(self, customer_id: str, region: str) -> None:
        company = self._company_id()
        self.client.create_customers(company, [{"customerCode": customer_id}]
                                     ).raise_for_status()
        self.client.create_certificates(company, [{
            "signedDate": "2020-01-01", "expirationDate": "2099-12-31",
            "exemptionNumber": f"EX-{customer_id}",
            "exemptionReason": {"name": "CHARITABLE/EXEMPT ORG"},
            "exposureZone": {"name": STATES[region]},
            "customers": [{"customerCode": customer_id}]}]).raise_for_status()

    def held(self, document_id: str) -> tuple[str, Money] | None:
        answer = self.client.get_transaction_by_code(self.company_code, document_id)
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        body = json.loads(answer.content, parse_float=Decimal)
        return str(body["status"]), Money.of(body["totalTax"], body["currencyCode"])

    def stop(self) -> None:
        self.sandbox.stop()


def start(directory: Path) -> AvaTaxKit:
    sandbox = SandboxKit.start(CONNECTOR, directory)
    credentials = sandbox.credentials
    client = AvataxClient("accord-role-suite", "1.0", "localhost", credentials["base_url"]
                          ).add_credentials(credentials["account_id"],
                                            credentials["license_key"])
    return AvaTaxKit(sandbox, client, credentials["company_code"])
