"""Sandboxes: local emulators of each system's real HTTP API.

Each ``accord.sandboxes.<name>`` package exposes ``SANDBOX``, a
:class:`~accord.sandboxes.base.SandboxDefinition`. Sandboxes import nothing of accord except
canonical money helpers and this package's shared base (clock, faults, control plane, server).
"""
