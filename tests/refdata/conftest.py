"""The sandboxes and the service, as the flow tests start them."""

from tests.flows.conftest import deployment, engine, make_systems, sandboxes

__all__ = ["deployment", "engine", "make_systems", "sandboxes"]
