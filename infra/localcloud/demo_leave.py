"""Demo leave requests (请假): a few approved leaves covering tonight, pending ones for the demo
counsellors, one rejected.

Written after the residents (their building, department and grade are copied onto each leave, as
the leave function does) and after the managers' buildings. The residents are the first demo ids
that fit each case, so the same people are on leave on every start; only the dates follow the
calendar:
- approved, covering tonight: demo student S00001 (registered by the dorm manager of their
  building: 材料学院 has no demo counsellor), two 计算机学院 students approved by T0001 and a
  机械工程学院 student approved by T0002;
- pending: two 计算机学院 students for T0001 and one 机械工程学院 student for T0002;
- rejected: a 计算机学院 student, with T0001's note.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from houqin.clock import CAMPUS_TZ, local_day
from houqin.domain.actors import Role

CANDIDATES = 120  # the first demo residents S00001..S00120: enough of every department
DEMO_STUDENT = "S00001"
COMPUTING, MECHANICAL = "计算机学院", "机械工程学院"
COUNSELLOR_OF = {COMPUTING: "T0001", MECHANICAL: "T0002"}
MANAGER_OF_CAMPUS = {"SB": "E0723", "JN": "E0727"}  # when the managers' buildings are not loaded yet
REASONS = ["回家探亲", "参加学科竞赛", "外出实习面试", "家中有事", "看病就医", "参加学术会议"]


def load(now: datetime) -> int:
    """Write the demo leaves; answers how many."""
    from houqin.store import dorms
    from houqin.store import leave as store

    residents = dorms.residents(f"S{n:05d}" for n in range(1, CANDIDATES + 1))
    items = [store.LeaveItem.make(leave, building_id=resident.building_id, department=resident.department,
                                  grade=resident.grade)
             for leave, resident in generate(residents, now, _manager_of)]
    return store.batch_put(items)


def generate(residents: dict[str, Any], now: datetime,
             manager_of: Callable[[Any], str] = lambda r: MANAGER_OF_CAMPUS[r.campus_id]) -> Iterator[tuple[Any, Any]]:
    """(leave, resident) pairs from the residents by id (``houqin.store.dorms.Resident`` or alike)."""
    from houqin.domain import leave as rules
    from houqin.domain.tickets import Actor

    def student(resident: Any) -> Actor:
        return Actor(resident.resident_id, frozenset({Role.STUDENT}))

    def counsellor(department: str) -> Actor:
        return Actor(COUNSELLOR_OF[department], frozenset({Role.COUNSELLOR}))

    def of(department: str) -> Iterator[Any]:
        return (r for _, r in sorted(residents.items()) if r.department == department and r.building_id)

    today = local_day(now, CAMPUS_TZ)
    asked = now - timedelta(days=2)  # applied two days ago, decided yesterday
    decided = now - timedelta(days=1)
    reasons = iter(REASONS * 3)
    number = iter(range(1, 100))

    def applied(resident: Any, first_day: int, last_day: int, at: datetime = asked) -> Any:
        return rules.apply(leave_id=_leave_id(today, next(number)), actor=student(resident),
                           resident_id=resident.resident_id, start=today + timedelta(days=first_day),
                           end=today + timedelta(days=last_day), reason=next(reasons), at=at)

    demo = residents.get(DEMO_STUDENT)
    if demo is not None and demo.building_id:
        manager = Actor(manager_of(demo), frozenset({Role.DORM_MANAGER}))
        yield rules.register(leave_id=_leave_id(today, next(number)), actor=manager,
                             resident_id=demo.resident_id, start=today, end=today + timedelta(days=1),
                             reason="家长来电请假", at=decided, note="家长电话确认"), demo
    computing, mechanical = of(COMPUTING), of(MECHANICAL)
    for resident in _take(computing, 2):  # approved: tonight and tomorrow
        yield rules.approve(applied(resident, 0, 1), counsellor(COMPUTING), decided, "注意安全，按时返校"), resident
    for resident in _take(mechanical, 1):
        yield rules.approve(applied(resident, -1, 2), counsellor(MECHANICAL), decided), resident
    for resident in _take(computing, 2):  # pending: next weekend, asked this morning
        yield applied(resident, 2, 4, at=now - timedelta(hours=3)), resident
    for resident in _take(mechanical, 1):
        yield applied(resident, 1, 1, at=now - timedelta(hours=1)), resident
    for resident in _take(computing, 1):
        yield rules.reject(applied(resident, 0, 6), counsellor(COMPUTING), decided,
                           "期中考试周，请考后再申请"), resident


def _take(residents: Iterator[Any], count: int) -> list[Any]:
    return [resident for _, resident in zip(range(count), residents, strict=False)]


def _leave_id(today: Any, number: int) -> str:
    """Readable demo ids in the shape of real ones (L + local date + 8 hex digits)."""
    return f"L{today:%y%m%d}-DE{number:06X}"


def _manager_of(resident: Any) -> str:
    from houqin.store import dorms
    from houqin.store.base import key

    managers = dorms.ManagerBuilding.by_building.query(key("BLDG", resident.building_id),
                                                       dorms.ManagerBuilding.gsi1sk.startswith("MANAGER#"))
    return next((m.staff_id for m in managers), MANAGER_OF_CAMPUS.get(resident.campus_id, "E0723"))
