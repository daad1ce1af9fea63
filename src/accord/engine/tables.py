"""Engine-owned tables (created by migration 0002), declared with SQLAlchemy Core."""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table

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

__all__ = ["limit_rate", "limit_slot", "metadata"]
