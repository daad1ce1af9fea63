"""The flows' real service on the sandboxes (tests/flows/conftest.py): the store a masked
copy is made of is written by real flows."""

from tests.flows.conftest import deployment, engine, make_systems, sandboxes

__all__ = ["deployment", "engine", "make_systems", "sandboxes"]
