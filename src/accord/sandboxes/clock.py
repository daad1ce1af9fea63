"""A controllable clock shared by a sandbox's handlers.

``now()`` is real UTC time plus an offset that only grows when the clock is advanced, or a
frozen instant when frozen. Listeners registered with :meth:`SandboxClock.on_advance` run after
each advance (a billing sandbox renews subscriptions there).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class SandboxClock:
    def __init__(self, source: Callable[[], datetime] | None = None) -> None:
        self._source = source or (lambda: datetime.now(UTC))
        self._offset = timedelta(0)
        self._frozen: datetime | None = None
        self._lock = threading.Lock()
        self._listeners: list[Callable[[datetime], None]] = []

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return self._source() + self._offset

    def timestamp(self) -> int:
        """Unix seconds, as most vendor APIs report them."""
        return int(self.now().timestamp())

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("seconds: the clock only moves forward")
        with self._lock:
            if self._frozen is not None:
                self._frozen += timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)
        now = self.now()
        for listener in list(self._listeners):
            listener(now)
        return now

    def freeze(self, at: datetime | None = None) -> datetime:
        with self._lock:
            self._frozen = at or (self._source() + self._offset)
            return self._frozen

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - self._source()
            self._frozen = None

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta(0)
            self._frozen = None

    def on_advance(self, listener: Callable[[datetime], None]) -> None:
        self._listeners.append(listener)

    @property
    def offset_seconds(self) -> float:
        return self._offset.total_seconds()

    @property
    def frozen(self) -> bool:
        return self._frozen is not None


__all__ = ["SandboxClock"]
