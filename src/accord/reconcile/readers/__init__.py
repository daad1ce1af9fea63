"""Readers: stream each system's records (as :class:`~accord.reconcile.matcher.RecordView`)
and control-total contributions through the connector's paged APIs, never a whole list."""

from accord.reconcile.readers.base import Reader

__all__ = ["Reader"]
