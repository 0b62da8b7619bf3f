"""AWS schedule expressions: ``cron(...)``, ``rate(...)`` and ``at(...)``.

Used by the local scheduler for SAM ``Schedule`` (EventBridge rule, always UTC) and ``ScheduleV2``
(EventBridge Scheduler, with ``ScheduleExpressionTimezone``) events::

    parse("cron(0 23 * * ? *)").next_after(now, tz="Asia/Shanghai")  # -> aware UTC datetime | None

Cron has six fields: minutes hours day-of-month month day-of-week year, with ``*``, ``?``, lists, ranges
(wrapping ranges such as ``FRI-MON`` or ``22-2`` are allowed except for the year), steps, JAN-DEC,
SUN-SAT (1=SUN .. 7=SAT), years 1970-2199.  Exactly one of day-of-month / day-of-week must be ``?``.
Special forms: day-of-month ``L`` (last day), ``LW`` (last weekday), ``nW`` (weekday nearest to day n,
never leaving the month); day-of-week ``L`` (= 7, Saturday, the last day of the week), ``nL`` (last
weekday n of the month), ``n#k`` (k-th weekday n of the month).

Cron is evaluated in the schedule's time zone like EventBridge Scheduler does across DST changes: a
wall time that does not exist (spring forward) is skipped, an ambiguous one (fall back) fires once, at
its first occurrence.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["At", "Cron", "Rate", "Schedule", "ScheduleError", "parse"]

MIN_YEAR, MAX_YEAR = 1970, 2199
_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


class ScheduleError(ValueError):
    """An invalid schedule expression (the message names the expression and the problem)."""


_Fail = Callable[[str], ScheduleError]


class Schedule(Protocol):
    expression: str

    def next_after(self, after: datetime, tz: str = "UTC") -> datetime | None: ...


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"unknown schedule time zone {tz!r}") from exc


def _check_aware(after: datetime) -> None:
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError(f"next_after() needs a timezone-aware datetime, got {after!r}")


@dataclass(frozen=True)
class Rate:
    expression: str
    interval: timedelta

    def next_after(self, after: datetime, tz: str = "UTC") -> datetime | None:
        """One interval after ``after`` (the local scheduler anchors rates at its start time)."""
        _check_aware(after)
        return (after + self.interval).astimezone(UTC)


@dataclass(frozen=True)
class At:
    expression: str
    when: datetime  # naive wall time, interpreted in the ``tz`` given to next_after

    def next_after(self, after: datetime, tz: str = "UTC") -> datetime | None:
        _check_aware(after)
        fire = self.when.replace(tzinfo=_zone(tz)).astimezone(UTC)
        return fire if fire > after else None


@dataclass(frozen=True)
class _Days:
    """Day-of-month or day-of-week field (``?`` is represented by ``None`` on the Cron)."""

    plain: frozenset[int] = frozenset()  # days of month 1-31 / AWS weekdays 1-7
    last: bool = False  # dom L
    last_weekday: bool = False  # dom LW
    nearest: frozenset[int] = frozenset()  # dom nW
    last_of: frozenset[int] = frozenset()  # dow nL
    nth: frozenset[tuple[int, int]] = frozenset()  # dow n#k

    def days_of_month(self, year: int, month: int, weekday_field: bool) -> list[int]:
        first_wd, ndays = calendar.monthrange(year, month)  # Monday == 0
        found: set[int] = set()
        if weekday_field:
            for day in range(1, ndays + 1):
                aws_wd = (first_wd + day - 1 + 1) % 7 + 1  # 1=SUN .. 7=SAT
                if (
                    aws_wd in self.plain
                    or (aws_wd, (day - 1) // 7 + 1) in self.nth
                    or (aws_wd in self.last_of and day + 7 > ndays)
                ):
                    found.add(day)
            return sorted(found)
        found = {d for d in self.plain if d <= ndays}
        if self.last:
            found.add(ndays)
        if self.last_weekday:
            found.add(_nearest_weekday(year, month, ndays, ndays))
        found.update(_nearest_weekday(year, month, d, ndays) for d in self.nearest if d <= ndays)
        return sorted(found)


def _nearest_weekday(year: int, month: int, day: int, ndays: int) -> int:
    weekday = date(year, month, day).weekday()
    if weekday == 5:  # Saturday -> Friday, or Monday when the 1st is a Saturday
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday -> Monday, or Friday when it is the last day
        return day + 1 if day < ndays else day - 2
    return day


@dataclass(frozen=True)
class Cron:
    expression: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    day_of_month: _Days | None
    months: tuple[int, ...]
    day_of_week: _Days | None
    years: tuple[int, ...]

    def next_after(self, after: datetime, tz: str = "UTC") -> datetime | None:
        """First fire time strictly after ``after``; walks candidate days, not minutes."""
        _check_aware(after)
        zone = _zone(tz)
        after_utc = after.astimezone(UTC)
        start = after_utc.astimezone(zone).date()
        weekday_field = self.day_of_month is None
        days = self.day_of_week if weekday_field else self.day_of_month
        assert days is not None
        for year in self.years:
            if year < start.year:
                continue
            for month in self.months:
                if (year, month) < (start.year, start.month):
                    continue
                for day in days.days_of_month(year, month, weekday_field):
                    if date(year, month, day) < start:
                        continue
                    for hour in self.hours:
                        for minute in self.minutes:
                            fire = _to_utc(datetime(year, month, day, hour, minute), zone)
                            if fire is not None and fire > after_utc:
                                return fire
        return None


def _to_utc(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The first UTC instant showing ``wall`` in ``zone``; None if it falls in a DST gap."""
    fire = wall.replace(tzinfo=zone).astimezone(UTC)
    return fire if fire.astimezone(zone).replace(tzinfo=None) == wall else None


def parse(expression: str) -> Cron | Rate | At:
    """Parse an EventBridge schedule expression; raises ScheduleError when it is invalid."""
    if not isinstance(expression, str):
        raise ScheduleError(f"schedule expression must be a string, got {expression!r}")

    def fail(reason: str) -> ScheduleError:
        return ScheduleError(f"invalid schedule expression {expression!r}: {reason}")

    match = re.fullmatch(r"(cron|rate|at)\((.*)\)", expression.strip(), re.DOTALL)
    if match is None:
        raise fail("expected cron(...), rate(...) or at(...)")
    kind, body = match.groups()
    if kind == "rate":
        return _parse_rate(expression, body, fail)
    if kind == "at":
        try:
            if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", body.strip()):
                raise ValueError(body)
            when = datetime.fromisoformat(body.strip())
        except ValueError:
            raise fail("at() needs a date-time yyyy-mm-ddThh:mm:ss, e.g. at(2026-11-23T23:00:00)") from None
        return At(expression, when)
    return _parse_cron(expression, body, fail)


def _parse_rate(expression: str, body: str, fail: _Fail) -> Rate:
    match = re.fullmatch(r"\s*(\d+)\s+([a-z]+)\s*", body)
    if match is None:
        raise fail("rate() needs '<value> <unit>', e.g. rate(5 minutes)")
    value, unit = int(match.group(1)), match.group(2)
    if value <= 0:
        raise fail("the rate value must be a positive integer")
    base = unit[:-1] if unit.endswith("s") else unit
    if base not in _RATE_UNITS:
        raise fail(f"unknown rate unit {unit!r} (use minute(s), hour(s) or day(s))")
    if value == 1 and unit != base:
        raise fail(f"a rate of 1 takes the singular unit {base!r}, not {unit!r}")
    if value != 1 and unit == base:
        raise fail(f"a rate of {value} takes the plural unit {base + 's'!r}, not {unit!r}")
    return Rate(expression, timedelta(seconds=value * _RATE_UNITS[base]))


def _parse_cron(expression: str, body: str, fail: _Fail) -> Cron:
    fields = body.split()
    if len(fields) != 6:
        raise fail(f"cron needs 6 fields (min hour day-of-month month day-of-week year), got {len(fields)}")
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise fail("exactly one of day-of-month and day-of-week must be '?'")
    return Cron(
        expression,
        minutes=_parse_field(minute, "minutes", 0, 59, {}, fail),
        hours=_parse_field(hour, "hours", 0, 23, {}, fail),
        day_of_month=None if dom == "?" else _parse_dom(dom, fail),
        months=_parse_field(month, "month", 1, 12, _MONTHS, fail),
        day_of_week=None if dow == "?" else _parse_dow(dow, fail),
        years=_parse_field(year, "year", MIN_YEAR, MAX_YEAR, {}, fail, cyclic=False),
    )


def _value(token: str, field: str, lo: int, hi: int, names: dict[str, int], fail: _Fail) -> int:
    upper = token.upper()
    if upper in names:
        return names[upper]
    if not token.isdigit():
        raise fail(f"invalid {field} value {token!r}")
    number = int(token)
    if not lo <= number <= hi:
        raise fail(f"{field} value {number} is outside {lo}-{hi}")
    return number


def _parse_field(
    text: str, field: str, lo: int, hi: int, names: dict[str, int], fail, cyclic: bool = True
) -> tuple[int, ...]:
    values: set[int] = set()
    for part in text.split(","):
        values.update(_parse_part(part, field, lo, hi, names, fail, cyclic))
    return tuple(sorted(values))


def _parse_part(
    part: str, field: str, lo: int, hi: int, names: dict[str, int], fail, cyclic: bool = True
) -> list[int]:
    if part == "?":
        if field.startswith("day-of"):
            raise fail(f"'?' must be the whole {field} field")
        raise fail(f"'?' is only allowed in day-of-month or day-of-week, not in {field}")
    base, slash, step_text = part.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) == 0:
            raise fail(f"invalid step {step_text!r} in {field} field {part!r}")
        step = int(step_text)
    if base == "*":
        start, end = lo, hi
    elif "-" in base:
        first, _, last = base.partition("-")
        start, end = (_value(v, field, lo, hi, names, fail) for v in (first, last))
    elif base:
        start = _value(base, field, lo, hi, names, fail)
        end = hi if slash else start
    else:
        raise fail(f"empty value in {field} field {part!r}")
    if start <= end:
        return list(range(start, end + 1, step))
    if not cyclic:
        raise fail(f"{field} range {base!r} runs backwards")
    return (list(range(start, hi + 1)) + list(range(lo, end + 1)))[::step]


def _parse_dom(text: str, fail: _Fail) -> _Days:
    plain: set[int] = set()
    nearest: set[int] = set()
    last = last_weekday = False
    for part in text.split(","):
        upper = part.upper()
        if upper == "L":
            last = True
        elif upper == "LW":
            last_weekday = True
        elif upper.endswith("W"):
            nearest.add(_value(part[:-1], "day-of-month", 1, 31, {}, fail))
        else:
            plain.update(_parse_part(part, "day-of-month", 1, 31, {}, fail))
    return _Days(frozenset(plain), last, last_weekday, frozenset(nearest))


def _parse_dow(text: str, fail: _Fail) -> _Days:
    plain: set[int] = set()
    last_of: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for part in text.split(","):
        upper = part.upper()
        if upper == "L":
            plain.add(7)  # "last day of the week" (Quartz semantics)
        elif upper.endswith("L"):
            last_of.add(_value(part[:-1], "day-of-week", 1, 7, _WEEKDAYS, fail))
        elif "#" in part:
            weekday, _, which = part.partition("#")
            if which not in {"1", "2", "3", "4", "5"}:
                raise fail(f"invalid day-of-week {part!r}: the number after '#' must be 1-5")
            nth.add((_value(weekday, "day-of-week", 1, 7, _WEEKDAYS, fail), int(which)))
        else:
            plain.update(_parse_part(part, "day-of-week", 1, 7, _WEEKDAYS, fail))
    return _Days(frozenset(plain), last_of=frozenset(last_of), nth=frozenset(nth))
