"""Query locators: the rest of a large result, fetched through ``nextRecordsUrl``."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

BATCH_SIZE = 2000
MAX_OPEN = 50


@dataclass
class OpenQuery:
    records: list[dict[str, Any]]
    include_deleted: bool


class QueryCursors:
    """Keeps the newest :data:`MAX_OPEN` result sets, like Salesforce's open cursor limit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: OrderedDict[str, OpenQuery] = OrderedDict()

    def open(self, records: list[dict[str, Any]], include_deleted: bool) -> str:
        locator = "01g8d" + uuid.uuid4().hex[:13].upper()
        with self._lock:
            self._open[locator] = OpenQuery(records, include_deleted)
            while len(self._open) > MAX_OPEN:
                self._open.popitem(last=False)
        return locator

    def get(self, locator: str) -> OpenQuery | None:
        with self._lock:
            return self._open.get(locator)

    def reset(self) -> None:
        with self._lock:
            self._open.clear()


__all__ = ["BATCH_SIZE", "OpenQuery", "QueryCursors"]
