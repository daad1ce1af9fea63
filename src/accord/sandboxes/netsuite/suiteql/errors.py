"""SuiteQL's error: 400 INVALID_PARAMETER "Invalid search query"."""

from __future__ import annotations

from typing import Any

from accord.sandboxes.netsuite.errors import ErrorCode, NetSuiteError

Row = dict[str, Any]
Env = dict[str, Row | None]


def query_error(detail: str) -> NetSuiteError:
    return NetSuiteError(400, ErrorCode.INVALID_PARAMETER,
                         f"Invalid search query. Detailed unprocessed description follows. "
                         f"{detail}", "q")


__all__ = ["Env", "Row", "query_error"]
