"""The sandbox's records: the company, its customers and exemption certificates, and its
transactions with every version an adjustment left behind. Held in memory, thread-safe;
``reset`` forgets everything but the company."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Company:
    id: int
    code: str
    name: str

    def body(self) -> dict[str, Any]:
        return {"id": self.id, "accountId": 0, "companyCode": self.code, "name": self.name,
                "isDefault": True, "isActive": True, "hasProfile": True,
                "defaultCountry": "US", "baseCurrencyCode": "USD"}


@dataclass
class Certificate:
    id: int
    company_id: int
    signed: date
    expires: date
    region: str
    zone_name: str
    reason: str
    number: str
    customers: set[str] = field(default_factory=set)

    def valid_on(self, day: date) -> bool:
        return self.signed <= day <= self.expires

    def body(self, created: str) -> dict[str, Any]:
        return {"id": self.id, "companyId": self.company_id, "signedDate": self.signed,
                "expirationDate": self.expires, "filename": f"certificate-{self.id}.pdf",
                "documentExists": False, "valid": True, "verified": True,
                "exemptPercentage": 100, "isSingleCertificate": False,
                "exemptionNumber": self.number,
                "validatedExemptionReason": {"id": 0, "name": self.reason},
                "exemptionReason": {"id": 0, "name": self.reason}, "status": "COMPLETE",
                "createdDate": created, "modifiedDate": created,
                "exposureZone": {"id": 0, "companyId": self.company_id,
                                 "name": self.zone_name, "tag": f"EZ_US_{self.region}",
                                 "region": self.region, "country": "US"},
                "customers": [{"customerCode": code, "companyId": self.company_id}
                              for code in sorted(self.customers)]}


@dataclass
class Transaction:
    """One version of a document: the body AvaTax shows, keyed by company, code and type."""

    body: dict[str, Any]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.body["companyCode"], self.body["code"], self.body["type"])


class Store:
    def __init__(self, company: Company) -> None:
        self.company = company
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.customers: dict[str, dict[str, Any]] = {}
            self.certificates: dict[int, Certificate] = {}
            self.current: dict[tuple[str, str, str], Transaction] = {}
            self.by_id: dict[int, Transaction] = {}
            self.next_id = 85_000_000_001
            self.next_cert = 1

    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id

    def new_cert_id(self) -> int:
        with self.lock:
            found = self.next_cert
            self.next_cert += 1
            return found

    # -- transactions -------------------------------------------------------------------
    def put(self, transaction: Transaction) -> None:
        with self.lock:
            self.current[transaction.key] = transaction
            self.by_id[transaction.body["id"]] = transaction

    def find(self, company: str, code: str, kind: str | None) -> Transaction | None:
        with self.lock:
            kinds = [kind] if kind else ["SalesInvoice", "ReturnInvoice", "PurchaseInvoice",
                                         "InventoryTransferInvoice"]
            for each in kinds:
                found = self.current.get((company, code, each))
                if found is not None:
                    return found
        return None

    def get(self, transaction_id: int) -> Transaction | None:
        with self.lock:
            return self.by_id.get(transaction_id)

    def listing(self, company: str) -> list[dict[str, Any]]:
        with self.lock:
            return [copy.deepcopy(t.body) for key, t in sorted(self.current.items())
                    if key[0] == company]

    # -- exemptions -----------------------------------------------------------------------
    def certificates_of(self, customer: str) -> list[Certificate]:
        with self.lock:
            return [c for c in self.certificates.values() if customer in c.customers]

    def dump(self) -> dict[str, Any]:
        with self.lock:
            return {"company": self.company.body(),
                    "customers": list(self.customers.values()),
                    "certificates": [c.body("") for c in self.certificates.values()],
                    "transactions": [{"id": t.body["id"], "code": t.body["code"],
                                      "type": t.body["type"], "status": t.body["status"],
                                      "version": t.body["version"],
                                      "totalTax": str(t.body["totalTax"])}
                                     for t in self.by_id.values()]}


__all__ = ["Certificate", "Company", "Store", "Transaction"]
