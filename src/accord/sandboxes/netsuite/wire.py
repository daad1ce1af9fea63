"""Exact JSON for the NetSuite sandbox: amounts are ``Decimal`` both ways, never float.

NetSuite's record JSON carries amounts as JSON numbers (:mod:`accord.sandboxes.exact_json`).
"""

from __future__ import annotations

from accord.sandboxes.exact_json import dumps, loads

__all__ = ["dumps", "loads"]
