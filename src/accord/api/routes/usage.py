"""Usage intake: the product's metering reports usage records to bill as overages."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Request, status
from pydantic import AwareDatetime, BaseModel, Field
from starlette.concurrency import run_in_threadpool

from accord.api.deps import Replayer
from accord.api.inputs import NO_NUL
from accord.api.tokens import Principal
from accord.engine.audit import audit
from accord.engine.dispatch import store
from accord.flows.usage import usage_event
from accord.store import Database

router = APIRouter(prefix="/v1/usage", tags=["usage"])
Ref = Annotated[str, Field(min_length=1, max_length=120, pattern=NO_NUL)]


class UsageIn(BaseModel):
    """One usage record: ``quantity`` units of usage SKU ``sku`` used by ``account_id``."""

    id: Ref = Field(description="the record's id in the metering source; a record sent again "
                                "with the same id is counted once")
    account_id: Ref = Field(description="the CRM account that used it")
    sku: Ref
    quantity: str = Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,6})?$",
                          description="units used, as an exact decimal string (\"1000\", "
                                      "\"2.5\")")
    occurred_at: AwareDatetime


class UsageBatch(BaseModel):
    records: list[UsageIn] = Field(min_length=1, max_length=1000)


class UsageReceipt(BaseModel):
    stored: int
    duplicates: int


def _store_all(database: Database, records: list[UsageIn]) -> UsageReceipt:
    stored = duplicates = 0
    for record in records:
        _, duplicate = store(database, usage_event(
            record.id, account_id=record.account_id, sku=record.sku,
            quantity=Decimal(record.quantity), occurred_at=record.occurred_at))
        duplicates += int(duplicate)
        stored += int(not duplicate)
    return UsageReceipt(stored=stored, duplicates=duplicates)


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def report_usage(batch: UsageBatch, request: Request, who: Replayer) -> UsageReceipt:
    """Store usage records durably (each once, by id); the usage flow reports them to
    billing, which bills them on the period's invoice. Audited."""
    database: Database = request.app.state.database
    receipt = await run_in_threadpool(_store_all, database, batch.records)
    await run_in_threadpool(_audit, database, who, receipt)
    return receipt


def _audit(database: Database, who: Principal, receipt: UsageReceipt) -> None:
    with database.session() as session:
        audit(session, actor=who.name, action="usage.report", target_type="usage",
              target_id=f"{receipt.stored + receipt.duplicates} records",
              token_id=who.token_id,
              detail={"stored": receipt.stored, "duplicates": receipt.duplicates})


__all__ = ["UsageBatch", "UsageIn", "UsageReceipt", "router"]
