"""The flow tests' sandboxes, for the observability tests that run real flows."""

from tests.flows.conftest import sandboxes

__all__ = ["sandboxes"]
