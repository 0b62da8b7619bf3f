"""Staff attendance (考勤): fingerprint punches read against a department's shift, day by day, then by month.

Pure rules: punches, a shift and whether the person is on leave in; a day's record out. No AWS, no
clock, no environment. Punches are stored in UTC; a shift is campus wall-clock time (Asia/Shanghai by
default), so a punch belongs to the local day it was made on.

How a day is read, in this order:

1. not one of the shift's workdays -> ``rest_day`` (punches ignored: coming in on a rest day is not
   attendance; a manager may correct the day if it should count);
2. on leave -> ``on_leave`` (punches ignored: a leave covers the whole day, half days are not modelled);
3. no punch that local day -> ``absent``;
4. otherwise the first punch is the clock-in and the last one the clock-out. Late when the clock-in is
   after start + grace; early leave when the clock-out is before the end (there is no grace for leaving);
   both -> ``late_and_early``; neither -> ``present``.

Minutes: lateness is counted from the shift start, not from the end of the grace (the grace forgives a
small delay; it does not shorten one it does not forgive). Any part of a minute counts as a whole minute,
so a late day always has at least one late minute.

A day still under way (``now`` before the shift's end) judges no early leave yet: the person may still
clock out, so no clock-out is missing and no early minutes are counted.

A single punch is a clock-in with a missing clock-out. Nobody can tell when the person left, so the day
counts as early leave (``missing_clock_out`` says why), with the early minutes from that punch to the
shift end (0 when the lone punch was at or after the end). A manager who knows better corrects the day
(``apply_correction``): the record keeps the punches and the status they gave, and names who corrected
it and why. Whether that person manages this staff member is the service's check (it knows the scopes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from houqin.clock import CAMPUS_TZ
from houqin.errors import ValidationError

MAX_REASON = 500
MONDAY_TO_FRIDAY = frozenset(range(5))  # date.weekday(): Monday is 0, Sunday is 6
_MINUTE = timedelta(minutes=1)


class DayStatus(StrEnum):
    PRESENT = "present"
    LATE = "late"
    EARLY_LEAVE = "early_leave"
    LATE_AND_EARLY = "late_and_early"
    ABSENT = "absent"
    ON_LEAVE = "on_leave"
    REST_DAY = "rest_day"


# The person came in (late or early or not): these days count as present.
ATTENDED = frozenset({DayStatus.PRESENT, DayStatus.LATE, DayStatus.EARLY_LEAVE, DayStatus.LATE_AND_EARLY})
LATE_STATES = frozenset({DayStatus.LATE, DayStatus.LATE_AND_EARLY})
EARLY_STATES = frozenset({DayStatus.EARLY_LEAVE, DayStatus.LATE_AND_EARLY})


@dataclass(frozen=True)
class Shift:
    """A department's working hours in local wall-clock time; the same every workday, within one day."""

    start: time
    end: time
    grace_minutes: int = 0
    workdays: frozenset[int] = MONDAY_TO_FRIDAY

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError("a shift ends after it starts, on the same day", field="end")
        if self.grace_minutes < 0:
            raise ValidationError("the grace cannot be negative", field="grace_minutes")
        if not self.workdays <= frozenset(range(7)):
            raise ValidationError("workdays are weekday numbers 0 (Monday) to 6 (Sunday)", field="workdays")

    def is_workday(self, day: date) -> bool:
        return day.weekday() in self.workdays


@dataclass(frozen=True)
class Punch:
    """One fingerprint punch. A device numbers its punches, so ``device_id#seq`` identifies one for good."""

    staff_id: str
    device_id: str
    seq: int
    at: datetime  # aware (devices send UTC)

    def __post_init__(self) -> None:
        if not self.staff_id:
            raise ValidationError("a punch names the staff member", field="staff_id")
        if not self.device_id:
            raise ValidationError("a punch names its device", field="device_id")
        if isinstance(self.seq, bool) or not isinstance(self.seq, int) or self.seq < 0:
            raise ValidationError("seq is the device's punch number, an integer from 0", field="seq")
        if not isinstance(self.at, datetime) or self.at.tzinfo is None:
            raise ValidationError("a punch time needs a time zone offset", field="at")


def dedupe_key(punch: Punch) -> str:
    """The same punch sent twice (a device retrying) has the same key."""
    return f"{punch.device_id}#{punch.seq}"


@dataclass(frozen=True)
class DayRecord:
    """One person's attendance on one local day, as the punches read it, or as a manager corrected it."""

    day: date
    status: DayStatus
    first_in: datetime | None = None
    last_out: datetime | None = None  # None with a single punch: the clock-out is missing
    late_minutes: int = 0
    early_minutes: int = 0
    missing_clock_out: bool = False
    corrected_by: str | None = None
    correction_reason: str | None = None
    measured_status: DayStatus | None = None  # what the punches said, kept once the day is corrected

    @property
    def corrected(self) -> bool:
        return self.corrected_by is not None


def daily_attendance(day: date, shift: Shift, punches: Iterable[Punch], on_leave: bool,
                     tz: ZoneInfo = CAMPUS_TZ, now: datetime | None = None) -> DayRecord:
    """Read one person's day from their punches (any days; those made on other local days are ignored);
    with ``now`` before the shift's end, as a day still under way."""
    punches = list(punches)
    if len({p.staff_id for p in punches}) > 1:
        raise ValidationError("the punches of one person are read together, not several people's", field="staff_id")
    if not shift.is_workday(day):
        return DayRecord(day, DayStatus.REST_DAY)
    if on_leave:
        return DayRecord(day, DayStatus.ON_LEAVE)
    moments = sorted(p.at for p in punches if p.at.astimezone(tz).date() == day)
    if not moments:
        return DayRecord(day, DayStatus.ABSENT)

    start = datetime.combine(day, shift.start, tzinfo=tz)
    end = datetime.combine(day, shift.end, tzinfo=tz)
    first_in = moments[0]
    last_out = moments[-1] if len(moments) > 1 else None
    late = first_in > start + timedelta(minutes=shift.grace_minutes)
    late_minutes = _whole_minutes(first_in - start) if late else 0
    if now is not None and now < end:  # under way: the clock-out may still come
        return DayRecord(day, _status(late, False), first_in, last_out, late_minutes, 0)
    left_at = last_out or first_in  # a missing clock-out is read as leaving at the lone punch
    early = last_out is None or last_out < end
    early_minutes = _whole_minutes(end - left_at) if left_at < end else 0
    return DayRecord(day, _status(late, early), first_in, last_out, late_minutes, early_minutes,
                     missing_clock_out=last_out is None)


@dataclass(frozen=True)
class Correction:
    """A manager sets a day's status by hand (a broken reader, a business trip, a forgotten punch)."""

    status: DayStatus
    reason: str
    by: str

    def __post_init__(self) -> None:
        reason = (self.reason or "").strip()
        if not reason or len(reason) > MAX_REASON:
            raise ValidationError(f"a reason of 1 to {MAX_REASON} characters is required", field="reason")
        if not self.by:
            raise ValidationError("a correction names who made it", field="by")
        if self.status not in tuple(DayStatus):
            raise ValidationError(f"unknown day status {self.status!r}", field="status")
        object.__setattr__(self, "reason", reason)  # stored without the surrounding blanks


def apply_correction(record: DayRecord, correction: Correction) -> DayRecord:
    """The corrected day. Punch times and the measured status stay as evidence; late and early minutes
    are kept only when the new status is late or early in that way, so the minutes never contradict it."""
    status = correction.status
    return replace(
        record,
        status=status,
        late_minutes=record.late_minutes if status in LATE_STATES else 0,
        early_minutes=record.early_minutes if status in EARLY_STATES else 0,
        corrected_by=correction.by,
        correction_reason=correction.reason,
        measured_status=record.measured_status or record.status,
    )


@dataclass(frozen=True)
class AttendanceSummary:
    """A person's month in counts. ``present_days`` includes late and early days (they came in);
    a day both late and early counts once in ``late_count`` and once in ``early_count``."""

    workdays: int
    present_days: int
    late_count: int
    early_count: int
    absent_days: int
    leave_days: int


def month_summary(records: Iterable[DayRecord]) -> AttendanceSummary:
    """Counts over a month's day records (one per day); every day that is not a rest day is a workday."""
    records = list(records)
    repeated = sorted(day for day, n in Counter(r.day for r in records).items() if n > 1)
    if repeated:
        raise ValidationError(f"{repeated[0].isoformat()} has more than one record", field="day")
    statuses = Counter(r.status for r in records)
    return AttendanceSummary(
        workdays=len(records) - statuses[DayStatus.REST_DAY],
        present_days=sum(statuses[s] for s in ATTENDED),
        late_count=sum(statuses[s] for s in LATE_STATES),
        early_count=sum(statuses[s] for s in EARLY_STATES),
        absent_days=statuses[DayStatus.ABSENT],
        leave_days=statuses[DayStatus.ON_LEAVE],
    )


def _status(late: bool, early: bool) -> DayStatus:
    if late and early:
        return DayStatus.LATE_AND_EARLY
    if late:
        return DayStatus.LATE
    return DayStatus.EARLY_LEAVE if early else DayStatus.PRESENT


def _whole_minutes(delta: timedelta) -> int:
    """Minutes, any part of a minute counting as a whole one (integer arithmetic, no float)."""
    return -(-delta // _MINUTE)


# ---------------------------------------------------------------- where a person's items are kept
@dataclass(frozen=True)
class DepartmentLeft:
    """A department a person belonged to until ``left_on`` (the first local day in the next one)."""

    department_id: str
    left_on: date


def departments_holding(current: str, left: Iterable[DepartmentLeft], since: date) -> tuple[str, ...]:
    """The departments whose partitions may hold a person's items written from ``since`` on: punches,
    corrections and work logs are kept under the department the person belonged to when each was first
    written, so these are the current one (first) and every one left after ``since`` (the latest first),
    each once. A person who never moved: their department alone."""
    found = [current]
    for entry in sorted(left, key=lambda e: e.left_on, reverse=True):
        if entry.left_on > since and entry.department_id not in found:
            found.append(entry.department_id)
    return tuple(found)
