"""18-character Salesforce record ids: key prefix, body, and the case-safe checksum."""

from __future__ import annotations

import itertools
import threading

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
POD = "8d"


def checksum(id15: str) -> str:
    """The three characters Salesforce appends so an id survives case-insensitive handling."""
    suffix = ""
    for chunk in range(3):
        flags = sum(1 << bit for bit, char in enumerate(id15[chunk * 5:chunk * 5 + 5])
                    if "A" <= char <= "Z")
        suffix += _CHECKSUM[flags]
    return suffix


def to18(record_id: str) -> str:
    return record_id if len(record_id) == 18 else record_id + checksum(record_id)


def _base62(number: int, width: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    return digits.rjust(width, "0")


class IdFactory:
    """Hands out increasing ids (so ``ORDER BY Id`` follows creation order)."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._last = 0
        self._lock = threading.Lock()

    def new(self, key_prefix: str) -> str:
        with self._lock:
            number = next(self._counter)
            self._last = number
        id15 = key_prefix + POD + _base62(number, 10)
        return id15 + checksum(id15)

    def reset(self, last: int = 0) -> None:
        with self._lock:
            self._counter = itertools.count(last + 1)
            self._last = last

    @property
    def last(self) -> int:
        return self._last


__all__ = ["IdFactory", "checksum", "to18"]
