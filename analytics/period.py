"""A date range in the ward's timezone and its bounds as the tracker's epoch seconds and as UTC instants."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator
from zoneinfo import ZoneInfo

MAX_DAYS = 366  # one request covers at most a year of days


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    """Whole local days `first` … `last` (both included) in `tz`."""

    first: date
    last: date
    tz: str = "Asia/Ho_Chi_Minh"

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise PeriodError("the range ends before it starts")
        if (self.last - self.first).days + 1 > MAX_DAYS:
            raise PeriodError(f"the range is longer than {MAX_DAYS} days")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def start(self) -> datetime:
        """The first instant of the range (aware, UTC)."""
        return datetime.combine(self.first, time.min, self.zone).astimezone(timezone.utc)

    @property
    def end(self) -> datetime:
        """The first instant after the range (aware, UTC)."""
        return datetime.combine(self.last + timedelta(days=1), time.min, self.zone).astimezone(timezone.utc)

    def days(self) -> Iterator[date]:
        day = self.first
        while day <= self.last:
            yield day
            day += timedelta(days=1)

    def day_of(self, moment: float | datetime) -> date:
        """The local day of an epoch timestamp or an instant (a naive instant is UTC, as SQLite returns it)."""
        if isinstance(moment, datetime):
            aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
        else:
            aware = datetime.fromtimestamp(float(moment), timezone.utc)
        return aware.astimezone(self.zone).date()

    def contains(self, timestamp: float) -> bool:
        return self.start.timestamp() <= timestamp < self.end.timestamp()


def parse_period(first: str | None, last: str | None, tz: str, today: date, default_days: int = 30) -> Period:
    """`from`/`to` as ISO dates (YYYY-MM-DD); missing ones default to the last `default_days` days up to today."""
    try:
        end = date.fromisoformat(last) if last else today
        start = date.fromisoformat(first) if first else end - timedelta(days=default_days - 1)
    except ValueError as error:
        raise PeriodError("dates must be written YYYY-MM-DD") from error
    return Period(start, end, tz)
