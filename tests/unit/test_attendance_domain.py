"""Attendance without AWS: punches read against a shift in Shanghai time, corrections, the month in counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from houqin.clock import CAMPUS_TZ, days
from houqin.domain.attendance import (
    AttendanceSummary,
    Correction,
    DayRecord,
    DayStatus,
    DepartmentLeft,
    Punch,
    Shift,
    apply_correction,
    daily_attendance,
    dedupe_key,
    departments_holding,
    month_summary,
)
from houqin.errors import ValidationError

SHIFT = Shift(time(8, 0), time(17, 0), grace_minutes=5)  # 08:00-17:00, Monday to Friday
MONDAY = date(2026, 3, 2)
SATURDAY = date(2026, 3, 7)


def local(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    """A Shanghai wall-clock moment as the UTC instant a device sends (8 hours earlier)."""
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=CAMPUS_TZ).astimezone(UTC)


def punches(*moments: datetime, staff_id: str = "E1") -> list[Punch]:
    return [Punch(staff_id, "FP-01", seq, at) for seq, at in enumerate(moments, start=1)]


def read(*moments: datetime, day: date = MONDAY, on_leave: bool = False, shift: Shift = SHIFT) -> DayRecord:
    return daily_attendance(day, shift, punches(*moments), on_leave)


def test_in_before_start_and_out_after_end_is_present_with_utc_punches_kept():
    record = read(local(MONDAY, 7, 55), local(MONDAY, 12, 0), local(MONDAY, 17, 2))
    assert (record.status, record.late_minutes, record.early_minutes) == (DayStatus.PRESENT, 0, 0)
    # first and last punch of the day; 07:55 Shanghai is 23:55 UTC the evening before
    assert record.first_in == datetime(2026, 3, 1, 23, 55, tzinfo=UTC)
    assert record.last_out == datetime(2026, 3, 2, 9, 2, tzinfo=UTC)
    assert not record.missing_clock_out and not record.corrected


def test_punch_order_does_not_matter():
    record = read(local(MONDAY, 17, 2), local(MONDAY, 7, 55))
    assert (record.status, record.first_in, record.last_out) == (
        DayStatus.PRESENT, local(MONDAY, 7, 55), local(MONDAY, 17, 2))


@pytest.mark.parametrize(("clock_in", "status", "late_minutes"), [
    ((8, 5, 0), DayStatus.PRESENT, 0),  # exactly start + grace: forgiven
    ((8, 5, 1), DayStatus.LATE, 6),  # 5 min 1 s after 08:00, counted from the start, part minute -> 6
    ((8, 20, 0), DayStatus.LATE, 20),  # 08:00 -> 08:20
    ((9, 30, 0), DayStatus.LATE, 90),  # 08:00 -> 09:30
])
def test_late_is_after_start_plus_grace_and_counted_from_the_start(clock_in, status, late_minutes):
    record = read(local(MONDAY, *clock_in), local(MONDAY, 17, 0))
    assert (record.status, record.late_minutes, record.early_minutes) == (status, late_minutes, 0)


@pytest.mark.parametrize(("clock_out", "status", "early_minutes"), [
    ((17, 0, 0), DayStatus.PRESENT, 0),  # at the end: not early
    ((16, 59, 30), DayStatus.EARLY_LEAVE, 1),  # 30 s before 17:00 counts as a whole minute
    ((16, 30, 0), DayStatus.EARLY_LEAVE, 30),  # 16:30 -> 17:00
])
def test_early_leave_is_any_clock_out_before_the_end_no_grace(clock_out, status, early_minutes):
    record = read(local(MONDAY, 8, 0), local(MONDAY, *clock_out))
    assert (record.status, record.late_minutes, record.early_minutes) == (status, 0, early_minutes)


def test_late_and_early_on_the_same_day():
    record = read(local(MONDAY, 8, 10), local(MONDAY, 16, 45))
    # in 08:10 (10 late), out 16:45 (15 early)
    assert (record.status, record.late_minutes, record.early_minutes) == (DayStatus.LATE_AND_EARLY, 10, 15)


@pytest.mark.parametrize(("punch", "status", "late_minutes", "early_minutes"), [
    ((8, 0), DayStatus.EARLY_LEAVE, 0, 540),  # 08:00 -> 17:00 = 9 h = 540 min of missing day
    ((9, 10), DayStatus.LATE_AND_EARLY, 70, 470),  # 08:00 -> 09:10 late 70; 09:10 -> 17:00 = 470
    ((17, 30), DayStatus.LATE_AND_EARLY, 570, 0),  # a lone punch after the end: in 9 h 30 late, 0 min early
])
def test_a_single_punch_is_a_clock_in_with_the_clock_out_missing(punch, status, late_minutes, early_minutes):
    record = read(local(MONDAY, *punch))
    assert (record.status, record.late_minutes, record.early_minutes) == (status, late_minutes, early_minutes)
    assert record.missing_clock_out
    assert (record.first_in, record.last_out) == (local(MONDAY, *punch), None)


def test_a_day_under_way_judges_no_early_leave_until_the_shift_ends():
    punches = [Punch("E1", "FP-01", 1, local(MONDAY, 8, 20)), Punch("E1", "FP-01", 2, local(MONDAY, 12, 0))]
    at_ten = daily_attendance(MONDAY, SHIFT, punches[:1], on_leave=False, now=local(MONDAY, 10, 0))
    assert (at_ten.status, at_ten.late_minutes, at_ten.early_minutes, at_ten.missing_clock_out) == (
        DayStatus.LATE, 20, 0, False)
    at_one = daily_attendance(MONDAY, SHIFT, punches, on_leave=False, now=local(MONDAY, 13, 0))
    assert (at_one.status, at_one.last_out, at_one.early_minutes) == (DayStatus.LATE, local(MONDAY, 12, 0), 0)
    over = daily_attendance(MONDAY, SHIFT, punches, on_leave=False, now=local(MONDAY, 17, 0))
    assert (over.status, over.early_minutes) == (DayStatus.LATE_AND_EARLY, 300)  # the shift is over: judged
    assert over == daily_attendance(MONDAY, SHIFT, punches, on_leave=False)


def test_no_punch_on_a_workday_is_absent_and_punches_of_other_local_days_do_not_count():
    tuesday = date(2026, 3, 3)
    # 00:30 on Tuesday in Shanghai is 16:30 UTC on Monday: it belongs to Tuesday, not Monday
    late_night = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
    assert read(late_night).status == DayStatus.ABSENT
    assert read(day=MONDAY).status == DayStatus.ABSENT
    assert read(late_night, local(tuesday, 17, 0), day=tuesday).first_in == late_night


def test_a_rest_day_ignores_punches_and_workdays_are_configurable():
    saturday_work = (local(SATURDAY, 8, 30), local(SATURDAY, 12, 0))
    record = read(*saturday_work, day=SATURDAY)
    assert (record.status, record.first_in, record.late_minutes) == (DayStatus.REST_DAY, None, 0)
    six_days = Shift(time(8, 0), time(12, 0), workdays=frozenset(range(6)))  # Monday to Saturday mornings
    assert read(*saturday_work, day=SATURDAY, shift=six_days).status == DayStatus.LATE  # 08:30, no grace
    assert read(day=date(2026, 3, 8), shift=six_days).status == DayStatus.REST_DAY  # Sunday


def test_leave_wins_over_punches_on_a_workday_but_not_over_a_rest_day():
    assert read(local(MONDAY, 9, 0), on_leave=True).status == DayStatus.ON_LEAVE
    assert read(on_leave=True).late_minutes == 0
    assert read(day=SATURDAY, on_leave=True).status == DayStatus.REST_DAY


def test_punches_of_several_people_are_refused():
    mixed = punches(local(MONDAY, 8, 0)) + punches(local(MONDAY, 17, 0), staff_id="E2")
    with pytest.raises(ValidationError) as caught:
        daily_attendance(MONDAY, SHIFT, mixed, on_leave=False)
    assert caught.value.field == "staff_id"


@pytest.mark.parametrize(("args", "field"), [
    ((time(17, 0), time(8, 0)), "end"),  # a night shift across midnight is not modelled
    ((time(8, 0), time(8, 0)), "end"),
    ((time(8, 0), time(17, 0), -1), "grace_minutes"),
    ((time(8, 0), time(17, 0), 0, frozenset({0, 7})), "workdays"),
])
def test_shift_validation_names_the_field(args, field):
    with pytest.raises(ValidationError) as caught:
        Shift(*args)
    assert caught.value.field == field


@pytest.mark.parametrize(("args", "field"), [
    (("E1", "FP-01", 1, datetime(2026, 3, 2, 8, 0)), "at"),  # naive: which 08:00?
    (("E1", "FP-01", -1, local(MONDAY, 8, 0)), "seq"),
    (("E1", "FP-01", True, local(MONDAY, 8, 0)), "seq"),
    (("E1", "", 1, local(MONDAY, 8, 0)), "device_id"),
    (("", "FP-01", 1, local(MONDAY, 8, 0)), "staff_id"),
])
def test_punch_validation_names_the_field(args, field):
    with pytest.raises(ValidationError) as caught:
        Punch(*args)
    assert caught.value.field == field


def test_the_same_punch_resent_has_the_same_dedupe_key():
    first = Punch("E1", "FP-01", 41, local(MONDAY, 8, 0))
    resent = Punch("E1", "FP-01", 41, local(MONDAY, 8, 0))
    assert dedupe_key(first) == dedupe_key(resent) == "FP-01#41"
    assert dedupe_key(Punch("E1", "FP-02", 41, local(MONDAY, 8, 0))) == "FP-02#41"


def test_a_correction_sets_the_status_and_keeps_the_evidence():
    measured = read(local(MONDAY, 8, 40), local(MONDAY, 16, 30))  # 40 late, 30 early
    fixed = apply_correction(measured, Correction(DayStatus.PRESENT, "  reader down 08:00-08:45  ", "M1"))
    assert (fixed.status, fixed.corrected, fixed.corrected_by, fixed.correction_reason) == (
        DayStatus.PRESENT, True, "M1", "reader down 08:00-08:45")
    assert (fixed.measured_status, fixed.late_minutes, fixed.early_minutes) == (DayStatus.LATE_AND_EARLY, 0, 0)
    assert (fixed.first_in, fixed.last_out) == (measured.first_in, measured.last_out)
    # corrected again: the status the punches gave is still the measured one; zeroed minutes stay zero
    late_only = apply_correction(fixed, Correction(DayStatus.LATE, "left early for a repair call", "M2"))
    assert (late_only.late_minutes, late_only.early_minutes, late_only.measured_status) == (
        0, 0, DayStatus.LATE_AND_EARLY)
    # corrected once to late only: the measured late minutes stay, the early ones go
    direct = apply_correction(measured, Correction(DayStatus.LATE, "left early for a repair call", "M2"))
    assert (direct.late_minutes, direct.early_minutes) == (40, 0)


@pytest.mark.parametrize(("args", "field"), [
    ((DayStatus.PRESENT, "", "M1"), "reason"),
    ((DayStatus.PRESENT, "   ", "M1"), "reason"),
    ((DayStatus.PRESENT, "x" * 501, "M1"), "reason"),
    ((DayStatus.PRESENT, "reader down", ""), "by"),
    (("holiday", "reader down", "M1"), "status"),
])
def test_a_correction_needs_a_reason_an_author_and_a_known_status(args, field):
    with pytest.raises(ValidationError) as caught:
        Correction(*args)
    assert caught.value.field == field


def test_month_summary_counts_march_2026():
    records = {day: DayRecord(day, DayStatus.PRESENT) if SHIFT.is_workday(day) else DayRecord(day, DayStatus.REST_DAY)
               for day in days(date(2026, 3, 1), date(2026, 3, 31))}
    # 22 workdays (2-6, 9-13, 16-20, 23-27, 30-31), 9 weekend days
    records[date(2026, 3, 3)] = DayRecord(date(2026, 3, 3), DayStatus.LATE, late_minutes=10)
    records[date(2026, 3, 4)] = DayRecord(date(2026, 3, 4), DayStatus.LATE_AND_EARLY, late_minutes=3, early_minutes=5)
    records[date(2026, 3, 5)] = DayRecord(date(2026, 3, 5), DayStatus.EARLY_LEAVE, early_minutes=20)
    records[date(2026, 3, 10)] = DayRecord(date(2026, 3, 10), DayStatus.ABSENT)
    records[date(2026, 3, 11)] = DayRecord(date(2026, 3, 11), DayStatus.ON_LEAVE)
    records[date(2026, 3, 12)] = DayRecord(date(2026, 3, 12), DayStatus.ON_LEAVE)
    # present = 22 - 1 absent - 2 on leave = 19 (late and early days came in); late 3rd+4th; early 4th+5th
    assert month_summary(records.values()) == AttendanceSummary(
        workdays=22, present_days=19, late_count=2, early_count=2, absent_days=1, leave_days=2)


def test_month_summary_refuses_two_records_for_one_day():
    with pytest.raises(ValidationError) as caught:
        month_summary([DayRecord(MONDAY, DayStatus.PRESENT), DayRecord(MONDAY, DayStatus.ABSENT)])
    assert caught.value.field == "day"


def test_an_empty_month_is_all_zero():
    assert month_summary([]) == AttendanceSummary(0, 0, 0, 0, 0, 0)


def test_the_departments_holding_a_persons_items_are_the_current_one_and_those_left_since():
    left = [DepartmentLeft("WY", date(2026, 3, 16)), DepartmentLeft("HY", date(2026, 5, 1))]  # WY -> HY -> YS
    assert departments_holding("YS", left, date(2026, 2, 22)) == ("YS", "HY", "WY")  # latest left first
    assert departments_holding("YS", left, date(2026, 3, 16)) == ("YS", "HY")  # WY's last day was 15 March
    assert departments_holding("YS", left, date(2026, 5, 1)) == ("YS",)
    assert departments_holding("YS", [], date(2026, 1, 1)) == ("YS",)  # never moved
    back = [DepartmentLeft("YS", date(2026, 3, 1)), DepartmentLeft("HY", date(2026, 4, 1))]  # YS -> HY -> YS
    assert departments_holding("YS", back, date(2026, 2, 1)) == ("YS", "HY")  # each once
