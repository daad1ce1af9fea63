"""An accounting period (``YYYY-MM``) as a half-open date range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive

    @classmethod
    def parse(cls, text: str) -> Period:
        try:
            year, month = (int(part) for part in text.split("-"))
            start = date(year, month, 1)
        except ValueError as exc:
            raise ValueError(f"period: {text!r} is not YYYY-MM") from exc
        end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return cls(start, end)

    @property
    def label(self) -> str:
        return f"{self.start.year:04d}-{self.start.month:02d}"

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    @property
    def start_timestamp(self) -> int:
        return int(datetime(self.start.year, self.start.month, 1, tzinfo=UTC).timestamp())

    @property
    def end_timestamp(self) -> int:
        return int(datetime(self.end.year, self.end.month, 1, tzinfo=UTC).timestamp())


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def in_period(period: Period | None, day: date) -> bool:
    return period is None or period.contains(day)


__all__ = ["Period", "in_period", "period_of"]
