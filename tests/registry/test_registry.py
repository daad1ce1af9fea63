"""Identity registry on SQLite and PostgreSQL: xref, matching, golden records, echoes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from accord.canonical import Customer, EntityType
from accord.canonical.ids import derived_id
from accord.errors import DataQualityError, Team
from accord.registry import (
    GoldenRecords,
    MatchKind,
    XrefConflictError,
    Xrefs,
    load_policy,
    resolve_customer,
)
from accord.registry.echo import note_write
from accord.registry.normalize import normalize_domain, normalize_name, normalize_tax_id
from accord.store import Database, upgrade


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    database = Database(database_url)
    upgrade(database.engine)
    with database.session() as session:
        yield session
    database.dispose()


def customer(name: str = "Northwind Analytics GmbH", *, tax: str | None = "DE 123456789",
             domain: str | None = "northwind.example", **extra: Any) -> Customer:
    registrations = [{"country": "DE", "kind": "vat", "value": tax}] if tax else []
    return Customer.model_validate({
        "legal_name": name, "legal_entity": "DE01", "currency": "EUR", "domain": domain,
        "tax_profile": {"registrations": registrations}, **extra})


def test_normalization() -> None:
    assert normalize_name("Northwind Analytics, GmbH.") == "northwind analytics"
    assert normalize_name("Société Générale SA") == "societe generale"
    assert normalize_tax_id("de 123.456-789") == "DE123456789"
    assert normalize_domain("https://www.Northwind.example/about") == "northwind.example"
    assert normalize_domain("ap@northwind.example") == "northwind.example"


def test_xref_links_once_and_refuses_contradictions(session: Session) -> None:
    xrefs = Xrefs(session)
    xrefs.link("cus_A", EntityType.CUSTOMER, "stripe", "cus_1")
    xrefs.link("cus_A", EntityType.CUSTOMER, "stripe", "cus_1")  # repeat: no-op
    xrefs.link("cus_A", EntityType.CUSTOMER, "netsuite", "812")
    assert xrefs.ids_for("cus_A") == {"stripe": "cus_1", "netsuite": "812"}
    assert xrefs.canonical_id("stripe", EntityType.CUSTOMER, "cus_1") == "cus_A"
    with pytest.raises(XrefConflictError, match="already linked to cus_A"):
        xrefs.link("cus_B", EntityType.CUSTOMER, "stripe", "cus_1")
    with pytest.raises(XrefConflictError, match="already has stripe id cus_1"):
        xrefs.link("cus_A", EntityType.CUSTOMER, "stripe", "cus_2")


def test_matching_order_xref_tax_domain_name(session: Session) -> None:
    first = resolve_customer(session, customer(), source_system="salesforce", source_id="001A")
    assert first.is_new
    cid = first.canonical_id

    # the same Salesforce record again: found through xref
    again = resolve_customer(session, customer(), source_system="salesforce", source_id="001A")
    assert (again.match.kind, again.canonical_id) == (MatchKind.XREF, cid)

    # a Stripe customer with the same VAT id, written differently: tax id match
    by_tax = resolve_customer(session, customer("Northwind", tax="de123456789", domain=None),
                              source_system="stripe", source_id="cus_9")
    assert (by_tax.match.kind, by_tax.canonical_id) == (MatchKind.TAX_ID, cid)

    # no tax id, but same domain (from the billing e-mail) and same normalized name
    by_domain = resolve_customer(
        session, customer("NORTHWIND ANALYTICS", tax=None, domain=None,
                          contacts=[{"name": "AP", "email": "ap@northwind.example"}]),
        source_system="netsuite", source_id="812")
    assert (by_domain.match.kind, by_domain.canonical_id) == (MatchKind.DOMAIN_AND_NAME, cid)
    assert Xrefs(session).ids_for(cid) == {"salesforce": "001A", "stripe": "cus_9",
                                           "netsuite": "812"}


def test_probable_duplicate_is_an_exception_not_a_new_record(session: Session) -> None:
    original = resolve_customer(session, customer(), source_system="salesforce",
                                source_id="001A")
    # same domain, different name, no tax id: a person must decide
    with pytest.raises(DataQualityError) as caught:
        resolve_customer(session, customer("Northwind Labs", tax=None),
                         source_system="salesforce", source_id="001B")
    assert caught.value.owner is Team.MASTER_DATA
    assert original.canonical_id in caught.value.reason
    assert Xrefs(session).canonical_id("salesforce", EntityType.CUSTOMER, "001B") is None
    # free-mail domains are not evidence
    unrelated = resolve_customer(
        session, customer("Contoso", tax=None, domain=None,
                          contacts=[{"name": "x", "email": "x@gmail.com"}]),
        source_system="salesforce", source_id="001C")
    assert unrelated.is_new


def test_a_company_known_to_two_crms_is_one_customer(session: Session) -> None:
    """After an acquisition two sales teams sell to the same company, each from its own CRM:
    the second CRM's company (its own id, and the canonical id that id would derive) is the
    customer the first one made, linked to both CRMs; no second customer is registered."""
    ids = {system: derived_id(EntityType.CUSTOMER, system, record) for system, record in
           (("salesforce", "001A"), ("hubspot", "9001"), ("crm-three", "C-1"))}
    first = resolve_customer(session, customer(id=ids["salesforce"],
                                               external_ids={"salesforce": "001A"}),
                             source_system="salesforce", source_id="001A")
    assert first.is_new
    second = resolve_customer(session, customer(id=ids["hubspot"],
                                                external_ids={"hubspot": "9001"}),
                              source_system="hubspot", source_id="9001")
    assert (second.match.kind, second.canonical_id) == (MatchKind.TAX_ID, first.canonical_id)
    xrefs = Xrefs(session)
    assert xrefs.ids_for(first.canonical_id) == {"salesforce": "001A", "hubspot": "9001"}
    assert xrefs.ids_for(ids["hubspot"]) == {}
    # a third CRM's company without the tax id: the same domain and name still find it
    third = resolve_customer(session, customer("Northwind Analytics", tax=None,
                                               id=ids["crm-three"]),
                             source_system="crm-three", source_id="C-1")
    assert (third.match.kind, third.canonical_id) == (MatchKind.DOMAIN_AND_NAME,
                                                      first.canonical_id)
    # and the first CRM's record again is still the one customer
    again = resolve_customer(session, customer(id=ids["salesforce"]),
                             source_system="salesforce", source_id="001A")
    assert (again.match.kind, again.canonical_id) == (MatchKind.XREF, first.canonical_id)


def test_golden_record_takes_only_owned_fields(session: Session) -> None:
    golden = GoldenRecords(session, load_policy())
    record = customer()
    data = record.model_dump(mode="json")
    created = golden.merge(record.id, EntityType.CUSTOMER, "salesforce", data)
    assert created.version == 1

    # NetSuite reports another name and a new status: it owns neither while a prospect...
    from_erp = {**data, "legal_name": "Northwind (ERP spelling)", "status": "on_hold"}
    outcome = golden.merge(record.id, EntityType.CUSTOMER, "netsuite-eu", from_erp)
    assert outcome.changed == ()
    assert outcome.ignored == ("legal_name", "status")
    # ...but once the customer is active, finance owns the status
    outcome = golden.merge(record.id, EntityType.CUSTOMER, "netsuite-eu", from_erp,
                           stage="active")
    assert (outcome.version, outcome.changed, outcome.ignored) == (2, ("status",),
                                                                   ("legal_name",))
    view = golden.current(record.id)
    assert view is not None
    assert view.data["status"] == "on_hold"
    assert view.data["legal_name"] == "Northwind Analytics GmbH"
    assert view.field_sources["status"]["system"] == "netsuite-eu"
    assert view.field_sources["legal_name"]["system"] == "salesforce"

    # replaying the same update changes nothing and writes no version
    assert golden.merge(record.id, EntityType.CUSTOMER, "netsuite-eu", from_erp,
                        stage="active").version == 2


def test_echo_of_our_own_write_is_not_merged(session: Session) -> None:
    golden = GoldenRecords(session, load_policy())
    record = customer()
    golden.merge(record.id, EntityType.CUSTOMER, "salesforce", record.model_dump(mode="json"))
    # accord formatted the domain differently when it wrote the account
    note_write(session, "salesforce", EntityType.CUSTOMER, "001A",
               {"domain": "NORTHWIND.EXAMPLE"})
    echoed = {**record.model_dump(mode="json"), "domain": "NORTHWIND.EXAMPLE"}
    outcome = golden.merge(record.id, EntityType.CUSTOMER, "salesforce", echoed,
                           source_id="001A")
    assert outcome.echo
    assert outcome.version == 1
    # a real edit by a person in Salesforce is merged
    edited = {**record.model_dump(mode="json"), "domain": "northwind.example.org"}
    outcome = golden.merge(record.id, EntityType.CUSTOMER, "salesforce", edited,
                           source_id="001A")
    assert (outcome.echo, outcome.version, outcome.changed) == (False, 2, ("domain",))
