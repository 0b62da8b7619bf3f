"""The attendance use cases with in-memory ports (tests/fakes/attendance.py, tests/fakes/payroll.py): no moto,
no network, a pinned clock.

World: department D1 works 08:00-17:00 with 5 minutes' grace, D2 06:00-14:00. E1 (D1, support staff) is managed
by M1, E2 (D2) by M2. Terminal FP-01 serves D1 only. D1's October 2026 is approved (locked) by payroll. The clock
stands at Friday 2026-11-06 20:00 in Shanghai.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from houqin.auth import Principal
from houqin.clock import FixedClock
from houqin.contract import Paging, parse
from houqin.domain.actors import Role
from houqin.errors import Forbidden, NotFound
from houqin.services.attendance import (
    Attendance,
    DayCorrection,
    Grading,
    LogEntry,
    PunchBatch,
    RejectedQuery,
    TerminalBinding,
)
from houqin.store.attendance import TerminalItem
from houqin.store.payroll import LockItem
from houqin.store.staff import Department, StaffMember
from tests.fakes.attendance import InMemoryAttendance
from tests.fakes.payroll import InMemoryPayroll, InMemoryStaff

NOW = datetime(2026, 11, 6, 12, 0, tzinfo=UTC)  # Friday 20:00 in Shanghai


def person(person_id: str, *roles: Role) -> Principal:
    return Principal(subject=f"sub-{person_id}", person_id=person_id, roles=frozenset(roles))


FP01, FP09 = person("FP-01", Role.DEVICE), person("FP-09", Role.DEVICE)
E1, M1, M2, ADMIN = person("E1", Role.STAFF), person("M1", Role.MANAGER), person("M2", Role.MANAGER), person(
    "A1", Role.ADMIN)


@pytest.fixture
def world() -> tuple[Attendance, InMemoryAttendance]:
    common = {"gender": "M", "post": "管理员", "contract": "regular", "phone": "13800000000"}
    staff = InMemoryStaff(
        departments=[Department.make("D1", "物业中心", shift_start="08:00", shift_end="17:00", grace_minutes=5),
                     Department.make("D2", "餐饮中心", shift_start="06:00", shift_end="14:00", grace_minutes=0)],
        members=[StaffMember.make("E1", "D1", name="王芳", manager_id="M1", support_staff=True, **common),
                 StaffMember.make("E2", "D2", name="李强", manager_id="M2", **common)])
    payroll = InMemoryPayroll()
    payroll.locks[("2026-10", "D1")] = LockItem.make("2026-10", "D1", "R1", 1, "L1", "2026-11-03T00:00:00.000Z")
    attendance = InMemoryAttendance()
    terminal = TerminalItem.new("FP-01")
    terminal.name, terminal.departments, terminal.registered_by, terminal.registered_at = (
        "物业楼大门", ["D1"], "A1", "2026-11-01T00:00:00.000Z")
    attendance.save_terminal(terminal)
    return Attendance(attendance=attendance, staff=staff, payroll=payroll, clock=FixedClock(NOW)), attendance


def punch(staff_id: str, seq: int, at: str) -> dict:
    return {"staff_id": staff_id, "seq": seq, "at": at}


def post(service: Attendance, *punches: dict, device: Principal = FP01) -> dict:
    return service.record_punches(device, parse(PunchBatch, {"punches": list(punches)}))


def body(cls: type, data: dict) -> Any:
    """A request's body as the route declares it (parsed and checked as the edge does)."""
    return parse(cls, data)


def at_local(service: Attendance, day: str, hh_mm: str) -> None:
    service.clock.current = datetime.fromisoformat(f"{day}T{hh_mm}:00+08:00").astimezone(UTC)  # type: ignore[attr-defined]


MONDAY = [punch("E1", 1, "2026-11-02T07:58:00+08:00"), punch("E1", 2, "2026-11-02T17:05:00+08:00")]


# ---------------------------------------------------------------- punches
def test_a_registered_terminals_batch_is_stored_once_per_device_seq_with_duplicates_counted(world):
    service, attendance = world
    # seq 1 twice in the batch, the same punch: stored once, the repeat is a duplicate
    assert post(service, *MONDAY, MONDAY[0]) == {"stored": 2, "duplicates": 1, "rejected": []}
    assert sorted(attendance.stored) == [("FP-01", 1), ("FP-01", 2)] and len(attendance.punch_items) == 2
    # the terminal retries the whole batch: nothing new is stored
    assert post(service, *MONDAY, MONDAY[0]) == {"stored": 0, "duplicates": 3, "rejected": []}
    assert len(attendance.punch_items) == 2
    # another punch under a used seq is a conflict and never overwrites the stored one
    other = post(service, punch("E1", 2, "2026-11-02T18:00:00+08:00"))
    assert (other["stored"], other["duplicates"], [(r["index"], r["code"]) for r in other["rejected"]]) == (
        0, 0, [(0, "conflict")])
    assert attendance.stored_punch("FP-01", 2).at == "2026-11-02T09:05:00.000Z"
    monday = service.staff_month(E1, "E1", "2026-11")["days"][1]
    assert (monday["day"], monday["status"]) == ("2026-11-02", "present")


def test_wrong_department_too_old_and_locked_month_punches_are_refused_and_kept(world):
    service, attendance = world
    batch = [punch("E2", 10, "2026-11-05T06:00:00+08:00"),  # E2 is D2's: FP-01 serves D1 only
             punch("E1", 11, "2026-10-29T08:00:00+08:00"),  # 8 days and 12 hours ago: older than 7 days
             punch("E1", 12, "2026-10-31T08:00:00+08:00"),  # 6 days ago, but D1's October is locked
             punch("E1", 13, "2026-11-05T08:00:00+08:00")]  # fine
    reply = post(service, *batch)
    assert (reply["stored"], reply["duplicates"]) == (1, 0)
    assert [(r["index"], r["field"], r["code"]) for r in reply["rejected"]] == [
        (0, "staff_id", "wrong_department"), (1, "at", "too_old"), (2, "at", "month_locked")]
    assert sorted(attendance.stored) == [("FP-01", 13)]
    kept = service.rejected_punches(ADMIN, RejectedQuery())  # today's, the local day they were sent
    assert [(r["seq"], r["staff_id"], r["code"]) for r in kept["items"]] == [
        (10, "E2", "wrong_department"), (11, "E1", "too_old"), (12, "E1", "month_locked")]
    post(service, *batch)  # sent again: still refused, kept once per device seq
    assert len(attendance.rejected_items) == 3 and sorted(attendance.stored) == [("FP-01", 13)]


def test_an_unregistered_terminal_is_refused_whole_until_an_administrator_registers_it(world):
    service, attendance = world
    with pytest.raises(Forbidden) as refused:
        post(service, *MONDAY, device=FP09)
    assert refused.value.code == "terminal_not_registered"
    assert "PUT /attendance/terminals/FP-09" in refused.value.message
    assert (attendance.stored, attendance.rejected_items) == ({}, {})  # nothing stored, nothing kept
    bound = service.register_terminal(ADMIN, "FP-09", body(TerminalBinding, {"name": "食堂", "departments": ["D1"]}))
    assert (bound["departments"], bound["registered_at"]) == ([{"department_id": "D1", "name": "物业中心"}],
                                                              "2026-11-06T12:00:00.000Z")
    assert post(service, *MONDAY, device=FP09) == {"stored": 2, "duplicates": 0, "rejected": []}


# ---------------------------------------------------------------- work logs and a manager's team
def test_a_manager_grades_a_waiting_log_with_a_comment_and_it_leaves_the_waiting_list(world):
    service, _ = world
    at_local(service, "2026-11-05", "09:00")
    service.write_log(E1, "E1", date(2026, 11, 5), body(LogEntry, {"plan": "维修 3 号楼门锁"}))
    service.write_log(E1, "E1", date(2026, 11, 5), body(LogEntry, {"completion": "已修好"}))
    at_local(service, "2026-11-06", "20:00")
    waiting = {i["day"]: i for i in service.waiting_logs(M1, "M1", Paging(limit=100))["items"]}
    assert (waiting["2026-11-05"]["completion"], waiting["2026-11-05"]["overdue"]) == ("已修好", False)
    assert waiting["2026-11-04"]["overdue"] is True  # a workday whose deadline passed without a completion

    graded = service.grade(M1, "E1", date(2026, 11, 5), body(Grading, {"grade": "B", "comment": "修得及时"}))
    assert (graded["grade"], graded["grade_score"], graded["grade_comment"], graded["graded_by"]) == (
        "B", 85, "修得及时", "M1")
    assert graded["grade_history"][-1]["comment"] == "修得及时"
    still = [i["day"] for i in service.waiting_logs(M1, "M1", Paging(limit=100))["items"]]
    assert "2026-11-05" not in still and "2026-11-04" in still
    logs = service.work_logs(E1, "E1", None)
    assert ([(entry["day"], entry["grade_comment"]) for entry in logs["logs"]], logs["score"]) == (
        [("2026-11-05", "修得及时")], "85.00")


def test_another_manager_cannot_see_the_team(world):
    service, _ = world
    assert [m["staff_id"] for m in service.team_month(M1, "M1", None)["members"]] == ["E1"]
    for ask in (lambda: service.team_month(M2, "M1", None), lambda: service.waiting_logs(M2, "M1", Paging()),
                lambda: service.team_month(person("M1", Role.STAFF), "M1", None)):  # M1 without the manager role
        with pytest.raises(NotFound):
            ask()
    assert service.team_month(ADMIN, "M1", None)["members"][0]["staff_id"] == "E1"


# ---------------------------------------------------------------- corrections
def test_a_correction_keeps_its_history(world):
    service, attendance = world
    post(service, *MONDAY)

    def correct(status: str, reason: str, who: Principal = M1) -> dict:
        return service.correct(who, "E1", date(2026, 11, 6), body(DayCorrection, {"status": status, "reason": reason}))

    first = correct("on_leave", "出差")
    assert (first["status"], first["measured_status"], first["corrected_by"], first["corrected_at"]) == (
        "on_leave", "absent", "M1", "2026-11-06T12:00:00.000Z")
    service.clock.advance(minutes=5)  # type: ignore[attr-defined]
    again = correct("present", "came in by the side door")
    assert [(h["status"], h["measured_status"], h["reason"]) for h in again["correction_history"]] == [
        ("on_leave", "absent", "出差"), ("present", "absent", "came in by the side door")]
    correct("present", "came in by the side door")  # a retry changes nothing
    assert len(attendance.correction_items[("D1", "E1", date(2026, 11, 6))].history) == 2  # under E1's department
    friday = service.staff_month(E1, "E1", None)["days"][-1]
    assert (friday["day"], friday["status"], friday["measured_status"], len(friday["correction_history"])) == (
        "2026-11-06", "present", "absent", 2)
    with pytest.raises(NotFound):  # not M2's staff member
        correct("present", "x", M2)
    with pytest.raises(Forbidden):  # the staff member sees the day but does not correct it
        correct("present", "x", E1)


def test_a_member_who_moved_department_has_their_whole_month_and_a_day_is_corrected_where_it_is_kept(world):
    """E1 moves from D1 to D2 on Wednesday 4 November: what was kept under D1 before stays there and is still
    read; what is written after goes to D2."""
    service, attendance = world
    post(service, *MONDAY)  # Monday's punches: under D1

    def correct(day: str, status: str, reason: str) -> dict:
        correction = body(DayCorrection, {"status": status, "reason": reason})
        return service.correct(M1, "E1", date.fromisoformat(day), correction)

    correct("2026-11-03", "on_leave", "出差")  # Tuesday's correction: under D1
    service.staff.member_items["E1"].move_to("D2", date(2026, 11, 4))  # type: ignore[attr-defined]
    service.register_terminal(ADMIN, "FP-02", body(TerminalBinding, {"name": "食堂", "departments": ["D2"]}))
    thursday = [punch("E1", 1, "2026-11-05T05:58:00+08:00"), punch("E1", 2, "2026-11-05T14:03:00+08:00")]
    assert post(service, *thursday, device=person("FP-02", Role.DEVICE))["stored"] == 2  # under D2
    assert [d for d, _ in attendance.punch_items] == ["D1", "D1", "D2", "D2"]

    days = {d["day"]: d for d in service.staff_month(E1, "E1", "2026-11")["days"]}
    assert days["2026-11-02"]["first_in"] == "2026-11-01T23:58:00.000Z"  # D1's, read after the move
    assert (days["2026-11-05"]["status"], days["2026-11-05"]["first_in"]) == ("present", "2026-11-04T21:58:00.000Z")
    assert days["2026-11-03"]["status"] == "on_leave"

    correct("2026-11-03", "present", "came back early")  # Tuesday's correction changes where it is kept
    correct("2026-11-05", "on_leave", "病假")  # Thursday's first correction: under D2
    assert {key: len(item.history) for key, item in attendance.correction_items.items()} == {
        ("D1", "E1", date(2026, 11, 3)): 2, ("D2", "E1", date(2026, 11, 5)): 1}
