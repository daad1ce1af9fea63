"""accord's store: SQLAlchemy models, engine setup and Alembic migrations."""

from accord.store.db import Database, make_engine
from accord.store.migrate import current_revision, ensure_current, head_revision, upgrade

__all__ = ["Database", "current_revision", "ensure_current", "head_revision", "make_engine",
           "upgrade"]
