"""The nightly roll's pure rules: who is flagged, leave, provisional rolls, re-evaluation, streaks, the zero report."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from houqin.clock import at_local, to_iso
from houqin.domain import roll as rules
from houqin.domain.dorm_reports import Hours
from houqin.domain.leave import LeaveRequest, LeaveState
from houqin.domain.roll import Behind, LateReturn, NotReturned, RollKind
from houqin.domain.swipes import Direction, Presence
from houqin.errors import Conflict, ValidationError

NIGHT = date(2026, 11, 23)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return at_local(date(2026, 11, day), time(hour, minute))


CURFEW, MORNING = at(23, 23), at(24, 6)
FRESH = {"SB01-A": to_iso(at(24, 6, 5)), "SB01-B": to_iso(at(24, 6, 1))}  # complete past both rolls
EXPECTED = 6  # S1 .. S6 have beds in SB01


def seen(who: str, direction: str, moment: datetime, reader: str = "SB01-A") -> Presence:
    return Presence(who, Direction(direction), to_iso(moment), reader, reader.split("-")[0])


def leave(who: str, state: LeaveState) -> LeaveRequest:
    return LeaveRequest(f"L-{who}", who, at(23, 0), at(26, 0), "回家", who, at(20, 9), state)


# The candidates: who the "out" index lists (S1 is in: a candidate who is not out changes nothing).
PRESENCE = {"S1": seen("S1", "in", at(23, 22)),
            "S2": seen("S2", "out", at(23, 20)),
            # S3: at home, not a candidate
            "S4": seen("S4", "in", at(23, 22, 30), "SB02-A"),  # last seen entering another building
            "S5": seen("S5", "out", at(23, 19)),  # on approved leave
            "S6": seen("S6", "out", at(23, 21))}  # a pending leave excuses nothing
LEAVES = (leave("S5", LeaveState.APPROVED), leave("S6", LeaveState.PENDING))


def take(kind=RollKind.CURFEW, moment=CURFEW, presence=None, watermarks=None, **more):
    return rules.take_roll("SB01", kind, moment, EXPECTED, LEAVES, PRESENCE if presence is None else presence,
                           FRESH if watermarks is None else watermarks, **more)


# ---------------------------------------------------------------- who is flagged
def test_out_or_last_seen_elsewhere_is_not_returned_and_an_approved_leave_excuses():
    result = take()
    assert result.not_returned == (NotReturned("S2", at(23, 20), 1), NotReturned("S4", None, 1),
                                   NotReturned("S6", at(23, 21), 1))
    assert result.on_leave == ("S5",)
    assert result.counts == {"expected": 6, "present": 2, "on_leave": 1, "not_returned": 3,
                             "still_out": 3, "late_returns": 0, "readers_behind": 0}
    assert not result.provisional


def test_a_newest_swipe_after_the_roll_says_the_opposite_held_at_the_roll():
    """Re-run at 08:00: who left for class was in at 06:00; who came in at 06:30 was out, and is back."""
    later = {**PRESENCE, "S1": seen("S1", "out", at(24, 7, 30)), "S2": seen("S2", "in", at(24, 6, 30)),
             "S6": seen("S6", "out", at(24, 5, 30))}  # slipped out before the roll: out at the roll
    result = take(RollKind.MORNING, MORNING, later)
    assert result.not_returned == (NotReturned("S2", None, 1, at(24, 6, 30), "SB01-A"), NotReturned("S4", None, 1),
                                   NotReturned("S6", at(24, 5, 30), 1))
    assert result.counts["still_out"] == 2


# ---------------------------------------------------------------- provisional and re-evaluation
def test_a_reader_behind_the_roll_or_never_heard_from_makes_it_provisional_and_is_named():
    marks = {"SB01-A": to_iso(CURFEW), "SB01-B": to_iso(at(23, 22, 40)), "SB01-C": None}  # A: exactly up to it
    result = take(watermarks=marks)
    assert result.provisional
    assert result.readers_behind == (Behind("SB01-B", to_iso(at(23, 22, 40))), Behind("SB01-C", None))


def test_late_swipes_from_a_reader_behind_resolve_the_false_alarm_on_re_evaluation():
    behind = {**FRESH, "SB01-B": to_iso(at(23, 22, 40))}
    first = take(watermarks=behind)
    assert first.provisional and "S2" in first.flagged
    # SB01-B uploads its backlog: S2 came in at 22:50; S6 comes in late, live, at 23:30
    caught_up = {**PRESENCE, "S2": seen("S2", "in", at(23, 22, 50), "SB01-B"), "S6": seen("S6", "in", at(23, 23, 30))}
    second = take(presence=caught_up, watermarks={**FRESH, "SB01-B": to_iso(at(23, 23, 40))}, earlier=first)
    assert not second.provisional
    assert rules.resolved_since(first, second) == ("S2",)  # S6 was truly out at 23:00: still flagged, back now
    assert second.not_returned[-1] == NotReturned("S6", at(23, 21), 1, at(23, 23, 30), "SB01-A")
    assert second.late_returns == (LateReturn("S6", at(23, 23, 30), "SB01-A"),)
    with pytest.raises(ValidationError):
        rules.resolved_since(first, take(RollKind.MORNING, MORNING))


# ---------------------------------------------------------------- streaks and late returns
def test_consecutive_nights_absent_continue_the_previous_nights_count_and_a_night_home_ends_it():
    result = take(previous={"S2": 2, "S1": 1, "S9": 4})  # S1 is home tonight, S9 has moved out
    assert result.streaks == {"S2": 3, "S4": 1, "S6": 1}
    next_night = rules.take_roll("SB01", "curfew", at(24, 23), EXPECTED, LEAVES, PRESENCE, FRESH, result.streaks)
    assert next_night.streaks == {"S2": 4, "S4": 2, "S6": 2}


def test_flagged_at_the_roll_stays_flagged_when_seen_after_it_and_keeps_its_first_return():
    first = take()
    back_and_out_again = {**PRESENCE, "S6": seen("S6", "out", at(24, 0, 40))}  # came in 23:40 (not seen), left
    assert "S6" not in take(presence=back_and_out_again).flagged  # alone, an exit after the roll reads "in"
    again = take(presence=back_and_out_again, earlier=first)
    assert again.not_returned[-1] == NotReturned("S6", at(23, 21), 1)
    back = take(presence={**PRESENCE, "S6": seen("S6", "in", at(23, 23, 40), "SB01-B")}, earlier=first)
    later = take(presence={**PRESENCE, "S6": seen("S6", "out", at(24, 1))}, earlier=back)
    assert later.not_returned[-1] == NotReturned("S6", at(23, 21), 1, at(23, 23, 40), "SB01-B")
    assert take(RollKind.MORNING, MORNING, {"S6": seen("S6", "in", at(24, 6, 30))}).late_returns == ()  # curfew only
    with pytest.raises(ValidationError) as caught:
        take(RollKind.MORNING, MORNING, earlier=first)
    assert caught.value.field == "earlier"


def test_roll_moments_come_from_the_buildings_hours_in_local_time():
    hours = Hours("SB01", "松北一公寓")
    assert rules.roll_moment(NIGHT, "curfew", hours) == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert rules.roll_moment(NIGHT, RollKind.MORNING, hours) == datetime(2026, 11, 23, 22, 0, tzinfo=UTC)
    after_midnight = Hours("SB02", "x", closes=time(0, 30))
    assert rules.roll_moment(NIGHT, "curfew", after_midnight) == at(24, 0, 30)


@pytest.mark.parametrize(("kind", "moment", "field"), [("noon", CURFEW, "kind"),
                                                       ("curfew", datetime(2026, 11, 23, 23, 0), "at")])
def test_a_bad_roll_names_the_field(kind, moment, field):
    with pytest.raises(ValidationError) as caught:
        take(kind, moment)
    assert caught.value.field == field


# ---------------------------------------------------------------- 零报告制
def quiet(kind, moment):
    return rules.take_roll("SB01", kind, moment, 2, (), {"S1": seen("S1", "in", at(23, 22))}, FRESH)


def test_a_quiet_night_still_has_its_report_with_zero_rows():
    report = rules.zero_report(quiet("curfew", CURFEW), quiet("morning", MORNING))
    assert (report.building_id, report.night, report.rows) == ("SB01", NIGHT, ())
    assert report.counts == {"expected": 2, "on_leave": 0, "late_returns": 0, "not_returned": 0, "readers_behind": 0}
    assert report.nothing_to_report and not report.provisional and report.signed_by is None


def test_the_report_lists_late_returns_before_the_morning_roll_the_not_returned_and_readers_behind():
    presence = {**PRESENCE, "S6": seen("S6", "in", at(23, 23, 40))}
    curfew = take(presence=presence, earlier=take())
    morning = take(RollKind.MORNING, MORNING, presence, {**FRESH, "SB01-B": None}, previous={"S2": 1})
    report = rules.zero_report(curfew, morning)
    assert [(r["kind"], r["roll"], r["resident_id"], r["time"], r["last_exit"], r["nights"], r["reader_id"],
             r["watermark"]) for r in report.rows] == [
        ("late_return", "curfew", "S6", "2026-11-23T15:40:00.000Z", None, None, "SB01-A", None),
        ("not_returned", "morning", "S2", None, "2026-11-23T12:00:00.000Z", 2, None, None),
        ("not_returned", "morning", "S4", None, None, 1, None, None),
        ("provisional", "morning", None, None, None, None, "SB01-B", None)]
    assert report.counts == {"expected": 6, "on_leave": 1, "late_returns": 1, "not_returned": 2, "readers_behind": 1}
    assert report.provisional and not report.nothing_to_report


def test_the_report_needs_the_same_buildings_curfew_then_morning_roll():
    curfew, morning = quiet("curfew", CURFEW), quiet("morning", MORNING)
    for first, second, field in ((morning, morning, "curfew"), (curfew, curfew, "morning"),
                                 (curfew, rules.take_roll("SB02", "morning", MORNING, 0, (), {}, {}), "morning")):
        with pytest.raises(ValidationError) as caught:
            rules.zero_report(first, second)
        assert caught.value.field == field


def test_the_dorm_manager_signs_off_once():
    report = rules.zero_report(quiet("curfew", CURFEW), quiet("morning", MORNING))
    signed = rules.sign(report, "M1", at(24, 8))
    assert (signed.signed_by, signed.signed_at, signed.rows) == ("M1", at(24, 8), ())
    with pytest.raises(Conflict) as caught:
        rules.sign(signed, "M2", at(24, 9))
    assert caught.value.code == "already_signed"
    with pytest.raises(ValidationError) as caught:
        rules.sign(report, "", at(24, 8))
    assert caught.value.field == "signed_by"
