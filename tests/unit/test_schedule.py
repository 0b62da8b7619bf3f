from datetime import UTC, datetime, timedelta, timezone

import pytest

from localcloud.schedule import At, Cron, Rate, ScheduleError, parse


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def nxt(expression: str, after: datetime, tz: str = "UTC") -> datetime | None:
    return parse(expression).next_after(after, tz)


# ------------------------------------------------------------------ cron basics


def test_daily_23h_shanghai_is_15h_utc():
    assert nxt("cron(0 23 * * ? *)", utc(2026, 11, 23, 10), "Asia/Shanghai") == utc(2026, 11, 23, 15)


def test_utc_and_shanghai_differ_by_eight_hours():
    after = utc(2026, 3, 1)
    in_utc = nxt("cron(0 6 * * ? *)", after)
    in_shanghai = nxt("cron(0 6 * * ? *)", after, "Asia/Shanghai")
    assert in_utc == utc(2026, 3, 1, 6)
    assert in_shanghai == utc(2026, 3, 1, 22)  # 06:00 on 2 March in Shanghai
    assert (in_shanghai - in_utc) % timedelta(days=1) == timedelta(hours=16)


def test_result_is_aware_utc():
    result = nxt("cron(0 6 * * ? *)", datetime(2026, 3, 1, 12, tzinfo=timezone(timedelta(hours=8))))
    assert result is not None and result.tzinfo is UTC
    assert result == utc(2026, 3, 1, 6)  # 12:00+08:00 is 04:00Z, so 06:00Z the same day


def test_strictly_after():
    assert nxt("cron(0 6 * * ? *)", utc(2026, 3, 1, 6)) == utc(2026, 3, 2, 6)
    assert nxt("cron(0 6 * * ? *)", utc(2026, 3, 1, 5, 59, 59)) == utc(2026, 3, 1, 6)
    assert nxt("cron(0 6 * * ? *)", utc(2026, 3, 1, 6, 0, 0, 1)) == utc(2026, 3, 2, 6)


def test_successive_calls_walk_the_schedule():
    schedule = parse("cron(0 6 * * ? *)")
    t = utc(2026, 12, 30)
    fired = []
    for _ in range(4):
        t = schedule.next_after(t)
        fired.append(t)
    assert fired == [utc(2026, 12, 30, 6), utc(2026, 12, 31, 6), utc(2027, 1, 1, 6), utc(2027, 1, 2, 6)]


def test_every_15_minutes_working_hours_weekdays():
    expr = "cron(0/15 8-18 ? * MON-FRI *)"
    # 2026-11-20 is a Friday
    assert nxt(expr, utc(2026, 11, 20, 8, 7)) == utc(2026, 11, 20, 8, 15)
    assert nxt(expr, utc(2026, 11, 20, 18, 45)) == utc(2026, 11, 23, 8, 0)  # -> Monday
    assert nxt(expr, utc(2026, 11, 21, 12)) == utc(2026, 11, 23, 8, 0)  # Saturday
    fired, t = [], utc(2026, 11, 20, 17, 50)
    for _ in range(5):
        t = nxt(expr, t)
        fired.append(t)
    assert fired == [
        utc(2026, 11, 20, 18, 0),
        utc(2026, 11, 20, 18, 15),
        utc(2026, 11, 20, 18, 30),
        utc(2026, 11, 20, 18, 45),
        utc(2026, 11, 23, 8, 0),
    ]


def test_lists_ranges_steps_and_names():
    assert parse("cron(5,35 */6 ? JAN,JUL SUN *)").minutes == (5, 35)
    cron = parse("cron(10-20/5 1-10/3 1 * ? *)")
    assert isinstance(cron, Cron)
    assert cron.minutes == (10, 15, 20)
    assert cron.hours == (1, 4, 7, 10)
    assert parse("cron(0 */6 * * ? *)").hours == (0, 6, 12, 18)
    assert parse("cron(5/20 0 * * ? *)").minutes == (5, 25, 45)
    assert parse("cron(0 0 * jan-mar ? *)").months == (1, 2, 3)
    assert parse("cron(0 0 ? * sun,SAT *)").day_of_week.plain == {1, 7}
    assert parse("cron(0 0 * * ? 2026-2028)").years == (2026, 2027, 2028)
    assert len(parse("cron(* * * * ? *)").minutes) == 60


def test_wrapping_ranges():
    assert parse("cron(0 22-2 * * ? *)").hours == (0, 1, 2, 22, 23)
    assert parse("cron(0 0 ? * FRI-MON *)").day_of_week.plain == {6, 7, 1, 2}
    # 2026-11-19 is a Thursday -> next is Friday 20th
    assert nxt("cron(0 0 ? * FRI-MON *)", utc(2026, 11, 19, 1)) == utc(2026, 11, 20)


def test_month_and_year_fields():
    assert nxt("cron(0 0 1 JAN ? *)", utc(2026, 5, 5)) == utc(2027, 1, 1)
    assert nxt("cron(30 12 15 6 ? 2028)", utc(2026, 5, 5)) == utc(2028, 6, 15, 12, 30)
    assert nxt("cron(0 0 29 2 ? *)", utc(2026, 3, 1)) == utc(2028, 2, 29)  # leap day


def test_day_of_week_numbering_is_aws():
    # 1 = SUN ... 7 = SAT; 2026-11-22 is a Sunday
    assert nxt("cron(0 0 ? * 1 *)", utc(2026, 11, 20)) == utc(2026, 11, 22)
    assert nxt("cron(0 0 ? * SUN *)", utc(2026, 11, 20)) == utc(2026, 11, 22)
    assert nxt("cron(0 0 ? * 7 *)", utc(2026, 11, 20)) == utc(2026, 11, 21)
    assert nxt("cron(0 0 ? * 2 *)", utc(2026, 11, 20)) == utc(2026, 11, 23)


def test_day_boundary_in_timezone_for_weekdays():
    # Monday 08:00 in Shanghai is Monday 00:00Z; Monday 06:00 in Shanghai is Sunday 22:00Z
    assert nxt("cron(0 8 ? * MON *)", utc(2026, 11, 20), "Asia/Shanghai") == utc(2026, 11, 23, 0)
    assert nxt("cron(0 6 ? * MON *)", utc(2026, 11, 20), "Asia/Shanghai") == utc(2026, 11, 22, 22)


# ------------------------------------------------------------------ special forms


def test_last_day_of_month():
    expr = "cron(0 0 L * ? *)"
    assert nxt(expr, utc(2026, 11, 23)) == utc(2026, 11, 30)
    assert nxt(expr, utc(2026, 11, 30)) == utc(2026, 12, 31)
    assert nxt(expr, utc(2027, 2, 1)) == utc(2027, 2, 28)
    assert nxt(expr, utc(2028, 2, 1)) == utc(2028, 2, 29)


def test_nth_weekday_of_month():
    # first Monday: 2026-12-07, 2027-01-04
    assert nxt("cron(0 9 ? * 2#1 *)", utc(2026, 11, 23)) == utc(2026, 12, 7, 9)
    assert nxt("cron(0 9 ? * MON#1 *)", utc(2026, 12, 7, 9)) == utc(2027, 1, 4, 9)
    # third Friday of November 2026 is the 20th
    assert nxt("cron(0 9 ? * 6#3 *)", utc(2026, 11, 1)) == utc(2026, 11, 20, 9)
    # fifth Sunday: November 2026 has one (29th), December 2026 does not, January 2027 has (31st)
    assert nxt("cron(0 0 ? * 1#5 *)", utc(2026, 11, 1)) == utc(2026, 11, 29)
    assert nxt("cron(0 0 ? * 1#5 *)", utc(2026, 11, 30)) == utc(2027, 1, 31)


def test_last_weekday_of_month():
    # last Friday of November 2026 is the 27th, of December the 25th
    assert nxt("cron(0 0 ? * 6L *)", utc(2026, 11, 1)) == utc(2026, 11, 27)
    assert nxt("cron(0 0 ? * FRIL *)", utc(2026, 11, 28)) == utc(2026, 12, 25)
    # plain L in day-of-week is the last day of the week: Saturday
    assert nxt("cron(0 0 ? * L *)", utc(2026, 11, 20)) == utc(2026, 11, 21)


def test_nearest_weekday():
    # 2026-11-15 is a Sunday -> Monday 16th; 2026-11-14 is a Saturday -> Friday 13th
    assert nxt("cron(0 0 15W * ? *)", utc(2026, 11, 1)) == utc(2026, 11, 16)
    assert nxt("cron(0 0 14W * ? *)", utc(2026, 11, 1)) == utc(2026, 11, 13)
    assert nxt("cron(0 0 18W * ? *)", utc(2026, 11, 1)) == utc(2026, 11, 18)  # Wednesday
    # 2026-08-01 is a Saturday: 1W stays in the month -> Monday 3rd
    assert nxt("cron(0 0 1W * ? *)", utc(2026, 7, 15)) == utc(2026, 8, 3)
    # 2026-05-31 is a Sunday: 31W -> Friday 29th; LW is the same day
    assert nxt("cron(0 0 31W * ? *)", utc(2026, 5, 1)) == utc(2026, 5, 29)
    assert nxt("cron(0 0 LW * ? *)", utc(2026, 5, 1)) == utc(2026, 5, 29)


# ------------------------------------------------------------------ DST and bounds


def test_dst_gap_is_skipped_and_overlap_fires_once():
    # Europe/Berlin: 2026-03-29 02:00 -> 03:00; 2026-10-25 03:00 -> 02:00
    expr = "cron(30 2 * * ? *)"
    assert nxt(expr, utc(2026, 3, 28, 12), "Europe/Berlin") == utc(2026, 3, 30, 0, 30)
    first = nxt(expr, utc(2026, 10, 24, 12), "Europe/Berlin")
    assert first == utc(2026, 10, 25, 0, 30)  # 02:30 CEST
    assert nxt(expr, first, "Europe/Berlin") == utc(2026, 10, 26, 1, 30)  # not again at 02:30 CET
    # summer vs winter offsets
    assert nxt("cron(0 12 * * ? *)", utc(2026, 7, 1), "Europe/Berlin") == utc(2026, 7, 1, 10)
    assert nxt("cron(0 12 * * ? *)", utc(2026, 12, 1), "Europe/Berlin") == utc(2026, 12, 1, 11)


def test_year_bound_returns_none():
    assert nxt("cron(0 0 1 1 ? 2025)", utc(2026, 1, 1)) is None
    assert nxt("cron(0 0 * * ? *)", utc(2199, 12, 31, 0, 0)) is None
    assert nxt("cron(0 0 31 DEC ? 2199)", utc(2199, 6, 1)) == utc(2199, 12, 31)


def test_impossible_date_returns_none_quickly():
    import time

    start = time.perf_counter()
    assert nxt("cron(0 0 30 FEB ? *)", utc(2026, 1, 1)) is None
    assert nxt("cron(0 0 31 4,6,9,11 ? *)", utc(2026, 1, 1)) is None
    assert time.perf_counter() - start < 2


def test_naive_datetime_rejected():
    with pytest.raises(ValueError, match="aware"):
        parse("cron(0 0 * * ? *)").next_after(datetime(2026, 1, 1))


def test_unknown_timezone():
    with pytest.raises(ScheduleError, match="Mars/Olympus"):
        parse("cron(0 0 * * ? *)").next_after(utc(2026, 1, 1), "Mars/Olympus")


# ------------------------------------------------------------------ rate and at


@pytest.mark.parametrize(
    ("expression", "interval"),
    [
        ("rate(1 minute)", timedelta(minutes=1)),
        ("rate(5 minutes)", timedelta(minutes=5)),
        ("rate(1 hour)", timedelta(hours=1)),
        ("rate(2 hours)", timedelta(hours=2)),
        ("rate(1 day)", timedelta(days=1)),
        ("rate(7 days)", timedelta(days=7)),
    ],
)
def test_rate(expression, interval):
    schedule = parse(expression)
    assert isinstance(schedule, Rate)
    assert schedule.interval == interval
    assert schedule.next_after(utc(2026, 11, 23, 10, 7, 3)) == utc(2026, 11, 23, 10, 7, 3) + interval
    assert schedule.next_after(utc(2026, 11, 23, 10), "Asia/Shanghai") == utc(2026, 11, 23, 10) + interval


def test_at_in_timezone():
    schedule = parse("at(2026-11-23T23:00:00)")
    assert isinstance(schedule, At)
    assert schedule.next_after(utc(2026, 11, 23, 10), "Asia/Shanghai") == utc(2026, 11, 23, 15)
    assert schedule.next_after(utc(2026, 11, 23, 10)) == utc(2026, 11, 23, 23)
    assert schedule.next_after(utc(2026, 11, 23, 15), "Asia/Shanghai") is None  # not strictly after
    assert schedule.next_after(utc(2027, 1, 1)) is None


def test_schedules_are_frozen_and_keep_expression():
    schedule = parse("  cron(0 23 * * ? *) ")
    assert schedule.expression == "  cron(0 23 * * ? *) "
    with pytest.raises(AttributeError):
        schedule.minutes = (1,)
    assert parse("rate(5 minutes)") == parse("rate(5 minutes)")


# ------------------------------------------------------------------ invalid expressions


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "expected cron"),
        ("every 5 minutes", "expected cron"),
        ("cron(0 23 * * *)", "6 fields"),
        ("cron(0 23 * * ? * *)", "6 fields"),
        ("cron(0 23 * * * *)", "exactly one"),
        ("cron(0 23 ? * ? *)", "exactly one"),
        ("cron(0 23 1 * MON *)", "exactly one"),
        ("cron(60 0 * * ? *)", "minutes value 60"),
        ("cron(0 24 * * ? *)", "hours value 24"),
        ("cron(0 0 32 * ? *)", "day-of-month value 32"),
        ("cron(0 0 0 * ? *)", "day-of-month value 0"),
        ("cron(0 0 * 13 ? *)", "month value 13"),
        ("cron(0 0 * FOO ? *)", "invalid month value 'FOO'"),
        ("cron(0 0 ? * 8 *)", "day-of-week value 8"),
        ("cron(0 0 ? * MONDAY *)", "invalid day-of-week"),
        ("cron(0 0 * * ? 1969)", "year value 1969"),
        ("cron(0 0 * * ? 2200)", "year value 2200"),
        ("cron(0 0 * * ? 2030-2026)", "backwards"),
        ("cron(*/0 0 * * ? *)", "invalid step"),
        ("cron(*/x 0 * * ? *)", "invalid step"),
        ("cron(? 0 * * ? *)", "'?'"),
        ("cron(0 0 1,? * ? *)", "'?'"),
        ("cron(0 0 ? * 2#6 *)", "after '#'"),
        ("cron(0 0 ? * 9#1 *)", "day-of-week value 9"),
        ("cron(0 0 ? * 2W *)", "invalid day-of-week"),
        ("cron(0 0 L-2 * ? *)", "invalid day-of-month"),
        ("cron(1,,2 0 * * ? *)", "empty value"),
        ("rate(0 minutes)", "positive"),
        ("rate(1 minutes)", "singular"),
        ("rate(5 minute)", "plural"),
        ("rate(2 hour)", "plural"),
        ("rate(1 hours)", "singular"),
        ("rate(5 seconds)", "unknown rate unit"),
        ("rate(5 weeks)", "unknown rate unit"),
        ("rate(-5 minutes)", "rate() needs"),
        ("rate(1.5 hours)", "rate() needs"),
        ("rate(5)", "rate() needs"),
        ("at(2026-11-23 23:00:00)", "at() needs"),
        ("at(2026-11-23T23:00)", "at() needs"),
        ("at(2026-13-23T23:00:00)", "at() needs"),
        ("at(2026-1-2T3:04:05)", "at() needs"),
    ],
)
def test_invalid_expressions(expression, message):
    with pytest.raises(ScheduleError) as info:
        parse(expression)
    assert message in str(info.value)
    assert repr(expression) in str(info.value)  # the message names the expression


def test_schedule_error_is_value_error():
    assert issubclass(ScheduleError, ValueError)
