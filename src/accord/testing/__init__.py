"""Reusable test support that ships with accord: the connector conformance suite and
helpers to run sandboxes in tests. Importing this package requires pytest."""
