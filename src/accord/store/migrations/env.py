"""Alembic environment: the engine is handed in by accord.store.migrate."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Engine

from accord.store.models import Base, UtcDateTime

config = context.config


def include_object(obj: Any, name: str | None, type_: str, reflected: bool,
                   compare_to: Any) -> bool:
    """Autogenerate never proposes dropping tables it does not model: the engine's and
    DBOS's own tables live in the same database."""
    return not (type_ == "table" and reflected and compare_to is None)


engine: Engine = config.attributes["engine"]

def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render accord's UTC column type as the plain DateTime it is in the database."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
