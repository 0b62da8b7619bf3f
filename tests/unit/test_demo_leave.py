"""The demo leaves: approved ones covering tonight's roll, pending ones for the demo counsellors, one rejected."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time
from types import SimpleNamespace

from houqin.clock import CAMPUS_TZ, at_local, local_day
from houqin.domain.leave import LeaveState, on_leave
from localcloud import demo, demo_leave

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TONIGHT = at_local(local_day(NOW, CAMPUS_TZ), time(23, 0), CAMPUS_TZ)


def residents():
    data = demo.generate()
    return {r["resident_id"]: SimpleNamespace(**r) for r in data.residents[:demo_leave.CANDIDATES]}


def test_demo_leaves_cover_tonight_wait_for_the_demo_counsellors_and_one_is_rejected():
    pairs = list(demo_leave.generate(residents(), NOW))
    leaves = [leave for leave, _ in pairs]
    assert Counter(leave.state for leave in leaves) == {LeaveState.APPROVED: 4, LeaveState.PENDING: 3,
                                                       LeaveState.REJECTED: 1}
    approved = [leave for leave in leaves if leave.state == LeaveState.APPROVED]
    assert all(on_leave(leaves, leave.resident_id, TONIGHT) for leave in approved)
    assert on_leave(leaves, "S00001", TONIGHT)  # the demo student sees their own leave
    pending = Counter(resident.department for leave, resident in pairs if leave.state == LeaveState.PENDING)
    assert pending == {"计算机学院": 2, "机械工程学院": 1}
    assert all(leave.applied_at <= NOW and (leave.decided_at or NOW) <= NOW for leave in leaves)
    rejected = next(leave for leave in leaves if leave.state == LeaveState.REJECTED)
    assert rejected.note and rejected.decided_by == "T0001"
    assert len({leave.leave_id for leave in leaves}) == len(leaves)
    assert len({leave.resident_id for leave in leaves}) == len(leaves)


def test_demo_leaves_are_the_same_on_every_start():
    assert list(demo_leave.generate(residents(), NOW)) == list(demo_leave.generate(residents(), NOW))
