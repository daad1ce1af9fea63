"""Connectors: one package per kind of system (client, mapping, intake, limits).

Each connector package exposes ``CONNECTOR``, a
:class:`~accord.connectors.base.ConnectorDefinition`. The registry
(:func:`accord.connectors.registry.available`) discovers them, so adding a system means
adding a package, not editing a list.
"""
