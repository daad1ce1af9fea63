"""Helpers shared by the flow tests: wait for started flows, read exceptions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dbos import DBOS
from sqlalchemy import select

from accord.engine.failures import FlowFailed
from accord.engine.inbox import Intake
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


def exceptions(database: Database) -> list[ExceptionRecord]:
    with database.session() as session:
        rows = list(session.scalars(select(ExceptionRecord).order_by(ExceptionRecord.id)))
        session.expunge_all()
        return rows
