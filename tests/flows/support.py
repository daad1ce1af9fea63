"""Helpers shared by the flow tests: wait for started flows, read exceptions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dbos import DBOS
from sqlalchemy import select

from accord.canonical.ids import EntityType, derived_id
from accord.canonical.party import Customer
from accord.engine.failures import FlowFailed
from accord.engine.inbox import Intake
from accord.registry.golden import GoldenRecords
from accord.registry.xref import Xrefs
from accord.store import Database
from accord.store.models import ExceptionRecord


def finish(intakes: Iterable[Intake]) -> tuple[list[Any], list[FlowFailed]]:
    """Wait for every flow; returns (results, failures)."""
    results: list[Any] = []
    failures: list[FlowFailed] = []
    for intake in intakes:
        try:
            results.append(DBOS.retrieve_workflow(intake.workflow_id).get_result())
        except FlowFailed as failure:
            failures.append(failure)
    return results, failures


def billing_only_customer(engine: Any, found: Any, name: str) -> tuple[Customer, str]:
    """A US01 customer accord knows in Stripe (linked, with its golden record) but not yet in
    NetSuite; returns it and its Stripe customer id."""
    customer = Customer(id=derived_id(EntityType.CUSTOMER, "test", name), legal_name=name,
                        legal_entity="US01", currency="USD")
    stripe_customer = str(found.stripe.create_customer(customer)["id"])
    with engine.database.session() as session:
        Xrefs(session).link(customer.id, EntityType.CUSTOMER, "stripe", stripe_customer)
        GoldenRecords(session, found.policy).merge(customer.id, EntityType.CUSTOMER, "test",
                                                   customer.model_dump(mode="json"))
    return customer, stripe_customer


def exceptions(database: Database) -> list[ExceptionRecord]:
    with database.session() as session:
        rows = list(session.scalars(select(ExceptionRecord).order_by(ExceptionRecord.id)))
        session.expunge_all()
        return rows
