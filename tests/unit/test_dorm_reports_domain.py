"""The dorm reports' pure rules: gate hours, nights not returned, visitors, rankings and gate duty."""

from __future__ import annotations

from datetime import date, time

from houqin.clock import CAMPUS_TZ, at_local, days
from houqin.domain import dorm_reports as rules
from houqin.domain.dorm_reports import Hours, Person, SwipeRecord

TZ = CAMPUS_TZ
SB01 = Hours("SB01", "松北一公寓")
HOURS = {"SB01": SB01, "SB02": Hours("SB02", "松北二公寓", opens=time(5, 30), closes=time(22, 30),
                                     morning_roll=time(7, 0))}
S1 = Person("S1", "王伟", "计算机学院", "2025", "软件工程2501", "SB01", "101", 1)
S2 = Person("S2", "李强", "计算机学院", "2025", "软件工程2501", "SB01", "101", 2)
S3 = Person("S3", "张磊", "机械工程学院", "2025", "车辆工程2502", "SB01", "102", 1)
S5 = Person("S5", "陈杰", "机械工程学院", "2025", "车辆工程2502", "SB02", "101", 1)
RESIDENTS = {p.resident_id: p for p in (S1, S2, S3)}


def at(day: int, hour: int, minute: int = 0):
    return at_local(date(2026, 11, day), time(hour, minute))


def swipe(who: str | None, direction: str, moment, reader: str = "SB01-A", card: str | None = None) -> SwipeRecord:
    return SwipeRecord(moment, reader, reader.split("-")[0], direction, card or f"C-{who}", who)


NIGHTS = [date(2026, 11, 23), date(2026, 11, 24)]


# ---------------------------------------------------------------- gate hours
def test_the_gate_is_closed_from_closing_time_inclusive_until_opening_time_exclusive():
    assert [SB01.closed_at(t) for t in (time(22, 59), time(23, 0), time(2, 0), time(5, 59), time(6, 0))] == [
        False, True, True, True, False]
    small_hours = Hours("X", "x", opens=time(6), closes=time(1))  # closes after midnight
    assert [small_hours.closed_at(t) for t in (time(0, 30), time(1, 0), time(5, 0), time(23, 0))] == [
        False, True, True, False]


def test_an_entry_while_closed_is_a_late_return_and_an_exit_an_early_out_by_the_gates_own_hours():
    swipes = [swipe("S1", "out", at(23, 22)), swipe("S1", "in", at(23, 23, 40)),
              swipe("S2", "out", at(24, 5, 40)), swipe("S2", "in", at(24, 6)),
              swipe("S3", "in", at(23, 22, 45), "SB02-A"),  # SB02 closes at 22:30
              swipe(None, "in", at(23, 23, 50), card="V1")]  # an unknown card is not a resident's violation
    rows = rules.early_late(swipes, RESIDENTS, HOURS, TZ)
    assert [(r["resident_id"], r["kind"], r["time"]) for r in rows] == [
        ("S3", "late_return", "2026-11-23 22:45:00"), ("S1", "late_return", "2026-11-23 23:40:00"),
        ("S2", "early_out", "2026-11-24 05:40:00")]
    assert rows[0]["gate_hours"] == "05:30-22:30"


# ---------------------------------------------------------------- nights not returned
def test_out_at_the_next_mornings_roll_is_a_night_not_returned_and_the_state_carries_across_days():
    swipes = [swipe("S1", "out", at(23, 22)), swipe("S1", "in", at(23, 23, 40)),  # back late: home for the roll
              swipe("S3", "out", at(23, 20)),  # never back
              swipe("S2", "out", at(22, 9)), swipe("S2", "in", at(24, 5, 59))]  # back one minute before the roll
    rows = rules.nights_out(swipes, RESIDENTS, HOURS, NIGHTS, TZ, {})
    assert [(r["night"], r["resident_id"], r["last_exit"]) for r in rows] == [
        ("2026-11-23", "S3", "2026-11-23 20:00:00"), ("2026-11-24", "S3", "2026-11-23 20:00:00")]


def test_the_roll_is_the_buildings_morning_roll_and_an_exit_before_it_counts_as_out():
    """The documented rule: the state at the roll decides, so leaving at 05:30 is out at 06:00."""
    late_roll = {"SB01": Hours("SB01", "x", morning_roll=time(7, 0))}
    swipes = [swipe("S1", "out", at(24, 5, 30)), swipe("S2", "out", at(24, 6, 30))]
    rows = rules.nights_out(swipes, RESIDENTS, HOURS, NIGHTS[:1], TZ, {})
    assert [(r["resident_id"], r["roll_time"]) for r in rows] == [("S1", "2026-11-24 06:00:00")]  # S2 left after
    rows = rules.nights_out(swipes, RESIDENTS, late_roll, NIGHTS[:1], TZ, {})
    assert [(r["resident_id"], r["roll_time"]) for r in rows] == [("S1", "2026-11-24 07:00:00"),
                                                                  ("S2", "2026-11-24 07:00:00")]


def test_only_swipes_at_the_residents_own_gates_set_their_state():
    swipes = [swipe("S1", "out", at(23, 21)), swipe("S1", "in", at(23, 21, 30), "SB02-A")]  # came in elsewhere
    rows = rules.nights_out(swipes, {"S1": S1}, HOURS, NIGHTS[:1], TZ, {})
    assert [r["resident_id"] for r in rows] == ["S1"]


def test_without_a_swipe_the_state_before_the_window_is_used_else_in():
    rows = rules.nights_out([], RESIDENTS, HOURS, NIGHTS[:1], TZ, {"S2": "out", "S3": "in"})
    assert [(r["resident_id"], r["basis"], r["last_exit"]) for r in rows] == [("S2", "最后状态 presence", None)]
    window = at(16, 0)
    assert rules.prior_state("out", at(10, 12), window) == "out"  # newest swipe older than the window: holds
    assert rules.prior_state("out", at(20, 12), window) == "in"  # newer: a swipe at another gate; assume in
    assert rules.prior_state(None, None, window) == "in"


def test_a_resident_whose_building_is_not_in_scope_has_no_night_rows():
    assert rules.nights_out([], {"S5": S5}, {"SB01": SB01}, NIGHTS, TZ, {"S5": "out"}) == []


# ---------------------------------------------------------------- individuals, visitors, check-outs
def test_individuals_list_every_resident_with_counts_even_without_swipes():
    swipes = [swipe("S1", "out", at(23, 22)), swipe("S1", "in", at(23, 23, 40)), swipe("S5", "in", at(23, 12))]
    nights = [{"resident_id": "S3"}, {"resident_id": "S3"}]
    early_late = [{"resident_id": "S1", "kind": "late_return"}]
    rows = rules.individuals(swipes, RESIDENTS, nights, early_late, TZ)
    assert [(r["resident_id"], r["entries"], r["exits"], r["last_swipe"], r["nights_out"], r["late_returns"])
            for r in rows] == [("S1", 1, 1, "2026-11-23 23:40:00", 0, 1), ("S2", 0, 0, None, 0, 0),
                               ("S3", 0, 0, None, 2, 0)]


def test_visitors_are_unknown_cards_other_buildings_residents_and_people_without_a_bed():
    no_bed = Person("S6", "杨洋", "计算机学院", "2026", "软件工程2601", None, None, None)
    people = {**RESIDENTS, "S5": S5, "S6": no_bed}
    swipes = [swipe(None, "in", at(23, 15), card="V9000001"), swipe("S1", "in", at(23, 16)),
              swipe("S5", "in", at(23, 17)), swipe("S6", "in", at(23, 18)), swipe("S9", "in", at(23, 19))]
    rows = rules.visitors(swipes, people, TZ)
    assert [(r["card_id"], r["kind"], r["home_building_id"]) for r in rows] == [
        ("V9000001", "unknown_card", None), ("C-S5", "other_building", "SB02"), ("C-S6", "other_building", None),
        ("C-S9", "other_building", None)]


def test_check_outs_show_local_time_and_the_residents_name():
    event = rules.CheckOut("S2", at(24, 10), "SB01", "101", 2, "M1", "毕业离校")
    assert rules.check_outs([event], RESIDENTS, TZ) == [{
        "time": "2026-11-24 10:00:00", "building_id": "SB01", "room": "SB01-101", "bed_no": 2, "resident_id": "S2",
        "name": "李强", "department": "计算机学院", "class_name": "软件工程2501", "by": "M1", "reason": "毕业离校"}]


# ---------------------------------------------------------------- rankings and duty
def test_departments_are_ranked_by_violations_per_100_residents_and_ties_share_a_rank():
    people = [S1, S2, S3, S5, Person("S7", "x", "外语学院", "2025", "英语2501", "SB01", "301", 1)]
    nights = [{"resident_id": "S3"}]
    early_late = [{"resident_id": "S1", "kind": "late_return"}, {"resident_id": "S2", "kind": "early_out"},
                  {"resident_id": "S7", "kind": "late_return"}, {"resident_id": "S9", "kind": "late_return"}]
    rows = rules.violations(people, nights, early_late)
    assert [(r["rank"], r["department"], r["residents"], r["total"], r["per_100"]) for r in rows] == [
        (1, "计算机学院", 2, 2, 100.0), (1, "外语学院", 1, 1, 100.0), (3, "机械工程学院", 2, 1, 50.0)]
    assert rules.violations([S1, S2, S3], [{"resident_id": "S3"}] * 2, [])[0]["per_100"] == 200.0


def test_gate_duty_has_a_line_per_reader_per_day_with_zero_lines_and_the_busiest_hour():
    swipes = [swipe("S1", "out", at(23, 21, 5)), swipe(None, "in", at(23, 21, 50), card="V1"),
              swipe("S2", "in", at(23, 7)), swipe("S3", "out", at(23, 23, 59), "SB01-B")]
    rows = rules.gate_duty(swipes, [("SB01-A", "SB01"), ("SB01-B", "SB01")], NIGHTS, TZ)
    assert [(r["day"], r["reader_id"], r["entries"], r["exits"], r["unknown_cards"], r["busiest_hour"],
             r["busiest_hour_swipes"]) for r in rows] == [
        ("2026-11-23", "SB01-A", 2, 1, 1, "21:00-22:00", 2), ("2026-11-23", "SB01-B", 0, 1, 0, "23:00-00:00", 1),
        ("2026-11-24", "SB01-A", 0, 0, 0, None, 0), ("2026-11-24", "SB01-B", 0, 0, 0, None, 0)]


def test_entries_are_in_time_order_with_unknown_cards_flagged():
    swipes = [swipe("S1", "in", at(23, 9)), swipe(None, "out", at(23, 8), card="V1")]
    rows = rules.entries(swipes, RESIDENTS, TZ)
    assert [(r["time"], r["direction"], r["name"], r["unknown_card"]) for r in rows] == [
        ("2026-11-23 08:00:00", "出 out", None, True), ("2026-11-23 09:00:00", "进 in", "王伟", False)]


def test_every_reports_rows_carry_exactly_its_columns():
    swipes = [swipe("S1", "out", at(23, 23, 30)), swipe(None, "in", at(23, 10), card="V1")]
    nights = rules.nights_out(swipes, RESIDENTS, HOURS, NIGHTS, TZ, {})
    early_late = rules.early_late(swipes, RESIDENTS, HOURS, TZ)
    produced = {
        "entries": rules.entries(swipes, RESIDENTS, TZ),
        "individuals": rules.individuals(swipes, RESIDENTS, nights, early_late, TZ),
        "nights-out": nights, "early-late": early_late, "visitors": rules.visitors(swipes, RESIDENTS, TZ),
        "check-outs": rules.check_outs([rules.CheckOut("S2", at(24, 10), "SB01", "101", 2, "M1", None)], RESIDENTS,
                                       TZ),
        "violations": rules.violations(RESIDENTS.values(), nights, early_late),
        "gate-duty": rules.gate_duty(swipes, [], NIGHTS, TZ),
    }
    assert set(produced) == set(rules.REPORTS)
    for name, rows in produced.items():
        assert rows, name
        keys = [column[0] for column in rules.REPORTS[name].columns]
        assert all(set(keys) <= set(row) for row in rows), name


def test_days_and_stored_clock_times():
    assert days(date(2026, 11, 30), date(2026, 12, 1)) == [date(2026, 11, 30), date(2026, 12, 1)]
    assert rules.clock_time("22:30", time(23)) == time(22, 30) and rules.clock_time(None, time(23)) == time(23)
