"""Leave requests without AWS: who applies, approves, registers and cancels; which moments a leave covers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from houqin.clock import CAMPUS_TZ
from houqin.domain import leave as rules
from houqin.domain.actors import Actor, Role
from houqin.domain.leave import LeaveState, on_leave
from houqin.errors import Conflict, Forbidden, ValidationError

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, three days before the leave
STUDENT = Actor("S1", frozenset({Role.STUDENT}))
OTHER_STUDENT = Actor("S2", frozenset({Role.STUDENT}))
COUNSELLOR = Actor("T1", frozenset({Role.COUNSELLOR}))
MANAGER = Actor("M1", frozenset({Role.DORM_MANAGER}))
DAYS = {"start": date(2026, 11, 23), "end": date(2026, 11, 25)}


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def applied(actor=STUDENT, **overrides):
    fields = {"leave_id": "L1", "actor": actor, "resident_id": "S1", "reason": "回家 family visit", "at": T0,
              **DAYS, **overrides}
    return rules.apply(**fields)


def test_a_student_applies_for_themselves_and_local_dates_cover_whole_days():
    leave = applied()
    assert (leave.state, leave.applied_by, leave.decided_by) == (LeaveState.PENDING, "S1", None)
    # 23rd 00:00 to 26th 00:00 Shanghai: three nights, end excluded
    assert (leave.start, leave.end) == (utc(22, 16), utc(25, 16))


def test_aware_datetimes_are_kept_to_the_minute():
    leave = applied(start=utc(23, 10), end=datetime(2026, 11, 24, 12, 0, tzinfo=CAMPUS_TZ))
    assert (leave.start, leave.end) == (utc(23, 10), utc(24, 4))


@pytest.mark.parametrize(("actor", "resident"), [(OTHER_STUDENT, "S1"), (COUNSELLOR, "T1"), (MANAGER, "S1")])
def test_only_a_student_applies_and_only_for_themselves(actor, resident):
    with pytest.raises(Forbidden):
        applied(actor, resident_id=resident)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"end": date(2026, 11, 22)}, "end"),  # before the start
    ({"start": utc(23, 10), "end": utc(23, 10)}, "end"),  # empty
    ({"start": datetime(2026, 11, 23, 10, 0)}, "start"),  # naive
    ({"end": "2026-11-25"}, "end"),  # text is the handler's job to parse
    ({"reason": "  "}, "reason"),
    ({"reason": "x" * (rules.MAX_REASON + 1)}, "reason"),
])
def test_validation_errors_name_the_field(overrides, field):
    with pytest.raises(ValidationError) as caught:
        applied(**overrides)
    assert caught.value.field == field


def test_a_counsellor_approves_or_rejects_a_pending_leave_once():
    approved = rules.approve(applied(), COUNSELLOR, T0, "ok")
    assert (approved.state, approved.decided_by, approved.decided_at, approved.note) == (
        LeaveState.APPROVED, "T1", T0, "ok")
    with pytest.raises(Conflict):
        rules.reject(approved, COUNSELLOR, T0, "changed my mind")
    rejected = rules.reject(applied(), COUNSELLOR, T0, "exam week")
    assert rejected.state == LeaveState.REJECTED
    with pytest.raises(Conflict):
        rules.approve(rejected, COUNSELLOR, T0)


def test_only_a_counsellor_decides_and_a_rejection_needs_a_note():
    for actor in (STUDENT, MANAGER):
        with pytest.raises(Forbidden):
            rules.approve(applied(), actor, T0)
    with pytest.raises(ValidationError) as caught:
        rules.reject(applied(), COUNSELLOR, T0, "")
    assert caught.value.field == "note"


def test_a_dorm_manager_registers_an_approved_leave_directly():
    leave = rules.register(leave_id="L2", actor=MANAGER, resident_id="S1", reason="病假 sick leave", at=T0,
                           note="slip from the counsellor", **DAYS)
    assert (leave.state, leave.applied_by, leave.decided_by, leave.decided_at) == (
        LeaveState.APPROVED, "M1", "M1", T0)
    with pytest.raises(Forbidden):
        rules.register(leave_id="L3", actor=STUDENT, resident_id="S1", reason="x", at=T0, **DAYS)


def test_the_applicant_cancels_while_pending_or_approved_before_the_start():
    assert rules.cancel(applied(), STUDENT, T0).state == LeaveState.CANCELLED
    approved = rules.approve(applied(), COUNSELLOR, T0)
    assert rules.cancel(approved, STUDENT, utc(22, 15, 59)).state == LeaveState.CANCELLED  # a minute before
    with pytest.raises(Conflict) as caught:
        rules.cancel(approved, STUDENT, utc(22, 16))
    assert caught.value.code == "leave_started"
    with pytest.raises(Forbidden):
        rules.cancel(approved, OTHER_STUDENT, T0)
    with pytest.raises(Conflict):
        rules.cancel(rules.reject(applied(), COUNSELLOR, T0, "no"), STUDENT, T0)


def test_only_an_approved_leave_of_that_resident_covers_a_moment_end_excluded():
    pending = applied()
    approved = rules.approve(applied(leave_id="L9"), COUNSELLOR, T0)
    cancelled = rules.cancel(rules.approve(applied(), COUNSELLOR, T0), STUDENT, T0)
    curfew_24th = utc(24, 15)  # 23:00 on the 24th
    assert not on_leave([pending, cancelled], "S1", curfew_24th)
    assert on_leave([pending, approved], "S1", curfew_24th)
    assert not on_leave([approved], "S2", curfew_24th)
    assert [on_leave([approved], "S1", m) for m in (utc(22, 15, 59), utc(22, 16), utc(25, 15, 59), utc(25, 16))] == [
        False, True, True, False]
