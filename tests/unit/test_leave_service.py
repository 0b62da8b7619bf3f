"""The leave use cases with in-memory ports (tests/fakes/leave.py): no moto, no network, a pinned clock.

World: S1 (计算机学院 2025) and S3 (机械工程学院 2025) live in SB01, which dorm manager M1 runs (M2 runs SB02);
counsellor T1 looks after 计算机学院, T2 after 机械工程学院. The clock stands at Friday 2026-11-20 12:00 in
Shanghai.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from houqin.auth import Principal
from houqin.clock import FixedClock
from houqin.contract import parse
from houqin.domain.actors import Role
from houqin.errors import Conflict, Forbidden, NotFound, ValidationError
from houqin.services.leave import Application, Decision, LeaveQuery, Leaves
from houqin.store.dorms import CounsellorScope, Resident
from tests.fakes.leave import FakeDormDirectory, InMemoryLeaves

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
WEEKEND = {"start": "2026-11-21", "end": "2026-11-22", "reason": "回家"}


def person(person_id: str, *roles: Role) -> Principal:
    return Principal(subject=f"sub-{person_id}", person_id=person_id, roles=frozenset(roles))


S1, S3 = person("S1", Role.STUDENT), person("S3", Role.STUDENT)
T1, T2 = person("T1", Role.COUNSELLOR), person("T2", Role.COUNSELLOR)
M1, M2 = person("M1", Role.DORM_MANAGER), person("M2", Role.DORM_MANAGER)


def resident(resident_id: str, department: str) -> Resident:
    item = Resident.make(resident_id, f"C-{resident_id}", name=resident_id, gender="M", birth_month="2006-01",
                         category="本科", campus_id="SB", department=department, grade="2025", major="x",
                         class_name="x", hometown="x")
    item.place("SB01", "101", 1)
    return item


@pytest.fixture
def leaves() -> Leaves:
    dorms = FakeDormDirectory(
        residents={"S1": resident("S1", "计算机学院"), "S3": resident("S3", "机械工程学院")},
        managed={"M1": frozenset({"SB01"}), "M2": frozenset({"SB02"})},
        scopes={"T1": CounsellorScope.make("T1", "计算机学院"), "T2": CounsellorScope.make("T2", "机械工程学院")})
    return Leaves(leaves=InMemoryLeaves(), dorms=dorms, clock=FixedClock(NOW))


def body(data: dict) -> Application:
    """An application as POST /leave-requests reads it."""
    return parse(Application, data)


def decide(leaves: Leaves, who: Principal, leave_id: str, action: str, note: str | None = None) -> dict:
    return leaves.act(who, leave_id, action, parse(Decision, {"note": note}))


def listed(leaves: Leaves, who: Principal, **query: str) -> list[str]:
    """The ids of the caller's list for a query string as GET /leave-requests reads it."""
    return [item.leave_id for item in leaves.list_leaves(who, parse(LeaveQuery, query, from_text=True)).items]


def test_a_student_applies_and_only_the_counsellor_of_their_department_decides(leaves):
    applied = leaves.create(S1, body(WEEKEND))
    assert (applied["state"], applied["start"], applied["end"]) == ("pending", "2026-11-20T16:00:00.000Z",
                                                                      "2026-11-22T16:00:00.000Z")
    leave_id = applied["leave_id"]
    with pytest.raises(NotFound):  # T2 counsels another department: the leave does not exist for them
        decide(leaves, T2, leave_id, "approve")
    with pytest.raises(NotFound):
        leaves.get(S3, leave_id)  # another student
    assert listed(leaves, T1) == [leave_id]
    assert listed(leaves, T2) == []
    approved = decide(leaves, T1, leave_id, "approve", "注意安全")
    assert (approved["state"], approved["decided_by"], approved["note"], approved["version"]) == (
        "approved", "T1", "注意安全", 2)
    assert leaves.get(S1, leave_id)["state"] == "approved"
    assert listed(leaves, T1) == []  # no longer pending


def test_of_two_decisions_made_on_the_same_copy_one_is_a_409(leaves):
    leave_id = leaves.create(S1, body(WEEKEND))["leave_id"]
    stale = leaves.load(T1, leave_id)
    decide(leaves, T1, leave_id, "reject", "考试周")
    with pytest.raises(Conflict) as refused:
        leaves.leaves.save_change(stale, leaves.leaves.to_domain(stale))
    assert refused.value.code == "version_conflict"


def test_a_dorm_manager_registers_only_for_their_own_building(leaves):
    registered = leaves.create(M1, body({**WEEKEND, "resident_id": "S3", "note": "家长来电"}))
    assert (registered["state"], registered["applied_by"], registered["building_id"]) == ("approved", "M1", "SB01")
    with pytest.raises(NotFound):  # M2 runs SB02: S3 is not theirs to see
        leaves.create(M2, body({**WEEKEND, "resident_id": "S3"}))
    assert listed(leaves, M1, building_id="SB01") == [registered["leave_id"]]
    with pytest.raises(NotFound):
        listed(leaves, M2, building_id="SB01")


def test_a_leave_already_over_or_too_long_is_refused_naming_the_field(leaves):
    with pytest.raises(ValidationError) as over:
        leaves.create(S1, body({**WEEKEND, "start": "2026-11-18", "end": "2026-11-19"}))
    assert over.value.field == "end"
    with pytest.raises(ValidationError) as long:
        leaves.create(S1, body({**WEEKEND, "end": "2027-12-31"}))
    assert long.value.field == "end"
    with pytest.raises(Forbidden):
        leaves.create(T1, body(WEEKEND))  # counsellors decide, they do not apply
