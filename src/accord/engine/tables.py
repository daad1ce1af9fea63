"""Engine-owned tables (created by migrations 0002, 0007 and 0013), in SQLAlchemy Core."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Float, Integer, MetaData, String, Table, Text

metadata = MetaData()

limit_slot = Table(
    "limit_slot", metadata,
    Column("gate", String(80), primary_key=True),
    Column("slot", Integer, primary_key=True),
    Column("holder", String(120)),
    Column("expires_at", Float),
)

limit_rate = Table(
    "limit_rate", metadata,
    Column("gate", String(80), primary_key=True),
    Column("next_at", Float, nullable=False),
)

schedule_run = Table(
    "schedule_run", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("schedule", String(120), nullable=False),
    Column("scheduled_at", DateTime(timezone=True), nullable=False),
    Column("executor", String(120), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("outcome", String(20), nullable=False),
    Column("items", Integer, nullable=False),
    Column("detail", Text),
)
"""One row per run of a schedule's job: when it was due, which worker ran it, what it did."""

schedule_lease = Table(
    "schedule_lease", metadata,
    Column("schedule", String(120), primary_key=True),
    Column("holder", String(200)),
    Column("expires_at", Float),
)
"""Who runs a schedule's job now: a run that finds the lease held by a live holder skips."""

worker_lease = Table(
    "worker_lease", metadata,
    Column("executor_id", String(200), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("heartbeat_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("adopted_by", String(200)),
    Column("adopted_at", Float),
)
"""One row per worker (executor id): its lease, renewed on a heartbeat; ``adopted_by`` names
the survivor that claimed it once it expired (:mod:`accord.engine.leases`)."""

worker_takeover = Table(
    "worker_takeover", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dead_executor", String(200), nullable=False),
    Column("adopter", String(200), nullable=False),
    Column("taken_at", Float, nullable=False),
    Column("flows", Integer, nullable=False),
    Column("workflow_ids", JSON),
)
"""What a survivor took over from whom: the dead worker's pending flows it re-enqueued."""

__all__ = ["limit_rate", "limit_slot", "metadata", "schedule_lease", "schedule_run",
           "worker_lease", "worker_takeover"]
