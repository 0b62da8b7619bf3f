"""Time: stored in UTC ISO-8601, campus rules evaluated in local time (Asia/Shanghai).

Code that needs "now" takes a ``Clock`` so tests can pin it. Everything here is pure (the domain uses it);
the one clock that reads the real time is ``houqin.system_clock.SystemClock`` (ruff's banned-api rule keeps
it the only one; the local cloud's own clock is infra/localcloud/clock.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

CAMPUS_TZ = ZoneInfo("Asia/Shanghai")
# A month a request may name, ``YYYY-MM``, 1970 to 2199: what a campus has records of, and far from the ends of
# the calendar, where the month before or after would not exist.
MONTH = r"(19[7-9]\d|2[01]\d\d)-(0[1-9]|1[0-2])"


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime in UTC."""
        ...


@dataclass
class FixedClock:
    """A clock that stands still until moved; for tests and replays."""

    current: datetime

    def __post_init__(self) -> None:
        if self.current.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.current = self.current.astimezone(UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


def to_iso(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and a Z: sorts as text in the same order as in time."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: attach a time zone before storing")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """Parse ISO-8601; a value without an offset is rejected (ambiguous)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone offset")
    return moment.astimezone(UTC)


def days(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end``, both included."""
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def local(moment: datetime, tz: ZoneInfo = CAMPUS_TZ) -> datetime:
    return moment.astimezone(tz)


def local_day(moment: datetime, tz: ZoneInfo = CAMPUS_TZ) -> date:
    return moment.astimezone(tz).date()


def at_local(day: date, clock_time: time, tz: ZoneInfo = CAMPUS_TZ) -> datetime:
    """The UTC instant of a local wall-clock time on a local day (e.g. 23:00 curfew)."""
    return datetime.combine(day, clock_time, tzinfo=tz).astimezone(UTC)


def end_of_local_day(moment: datetime, tz: ZoneInfo = CAMPUS_TZ) -> datetime:
    """The last instant of the local day containing ``moment`` ("not left overnight")."""
    next_day = local_day(moment, tz) + timedelta(days=1)
    return at_local(next_day, time(0, 0), tz) - timedelta(microseconds=1)
