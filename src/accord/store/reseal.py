"""Seal every stored value again with the current field key (``accord keys rotate``), and
seal values written before encryption existed (or before a field was declared personal)."""

from __future__ import annotations

from sqlalchemy import Column, Table, select, update

from accord.store.db import Database
from accord.store.models import Base
from accord.store.sealing import BlindIndex, SealedJSON, SealedText

BATCH = 500


def sealed_columns() -> list[tuple[Table, list[Column[object]]]]:
    """Each of accord's tables with the columns it encrypts or keeps as digests."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [column for column in table.columns
                   if isinstance(column.type, SealedJSON | SealedText | BlindIndex)]
        if columns:
            found.append((table, columns))
    return found


def reseal(database: Database) -> int:
    """Rewrite every sealed column (read: opened with whichever key sealed it; written:
    sealed with the current key); returns how many rows were rewritten."""
    rewritten = 0
    for table, columns in sealed_columns():
        key = table.c.id
        after = 0
        while True:
            with database.session() as session:
                rows = session.execute(select(key, *columns).where(key > after)
                                       .order_by(key).limit(BATCH)).all()
                for row in rows:
                    session.execute(update(table).where(key == row[0]).values(
                        {column.name: value for column, value in zip(columns, row[1:],
                                                                       strict=True)}))
            rewritten += len(rows)
            if len(rows) < BATCH:
                break
            after = rows[-1][0]
    return rewritten


__all__ = ["reseal", "sealed_columns"]
