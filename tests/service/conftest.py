"""The service tests reuse the flow tests' sandboxes and deployment fixtures."""

from tests.flows.conftest import deployment, sandboxes  # noqa: F401
