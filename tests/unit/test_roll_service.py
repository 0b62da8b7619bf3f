"""Taking a night's roll (houqin.services.rolls.Rolls.take) over in-memory fakes: no moto, no network.

GIVEN SB01 with six residents in their beds, their newest swipes, a leave and the reader's watermark WHEN the
curfew roll of 2026-11-23 (23:00 campus time) is taken THEN who is in, out, on leave and flagged is right,
the building's presence was read in one Query, and a later evaluation keeps those it flagged."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from houqin.clock import FixedClock, at_local, to_iso
from houqin.domain.leave import LeaveRequest, LeaveState
from houqin.domain.roll import Behind, NotReturned, RollKind
from houqin.services.rolls import Rolls
from houqin.store.swipes import ReaderProgressItem
from tests.fakes.dorms import FakeDorms, FakeLeaves
from tests.fakes.swipes import FakeSwipes

NIGHT = date(2026, 11, 23)


def at(hour: int, minute: int = 0, day: int = 23) -> datetime:
    return at_local(date(2026, 11, day), time(hour, minute))


CURFEW = at(23)


class Counting(FakeDorms):
    """Records the buildings whose presence the roll read (one Query of the building's partition each)."""

    read: list[str]

    def building_presence(self, building_id):
        self.read = [*getattr(self, "read", []), building_id]
        return super().building_presence(building_id)


@pytest.fixture
def world():
    dorms = Counting()
    dorms.add_building("SB01", readers=["SB01-A"], rooms=[("101", "M", 4), ("102", "M", 2)])
    dorms.add_building("SB02", readers=["SB02-A"], rooms=[("101", "M", 1)])
    for n, bed in enumerate([("101", 1), ("101", 2), ("101", 3), ("101", 4), ("102", 1), ("102", 2)], start=1):
        dorms.add_resident(f"S{n}", bed=("SB01", *bed))
    swipe = dorms.set_presence
    swipe("SB01", "S1", "in", to_iso(at(22)), "SB01-A", "SB01")  # home
    swipe("SB01", "S2", "out", to_iso(at(22, 10)), "SB01-A", "SB01")  # out: not returned
    swipe("SB01", "S3", "out", to_iso(at(19)), "SB01-A", "SB01")  # out, but on approved leave
    swipe("SB01", "S4", "in", to_iso(at(22, 30)), "SB02-A", "SB02")  # last seen entering another building
    swipe("SB01", "S5", "out", to_iso(at(23, 30)), "SB01-A", "SB01")  # left after the roll: was home at it
    # S6 never swiped since moving in: at home
    leaves = FakeLeaves()
    leaves.add("SB01", LeaveRequest("L-S3", "S3", at(8), at(8, day=26), "回家", "S3", at(7), LeaveState.APPROVED))
    leaves.add("SB01", LeaveRequest("L-S2", "S2", at(8), at(8, day=26), "回家", "S2", at(7), LeaveState.PENDING))
    swipes = FakeSwipes()
    swipes.progress["SB01", "SB01-A"] = ReaderProgressItem(reader_id="SB01-A", building_id="SB01",
                                                           watermark=to_iso(at(23, 40)))
    rolls = Rolls(dorms=dorms, leaves=leaves, swipes=swipes, clock=FixedClock(at(23, 50)))
    return dorms, swipes, rolls


def test_the_roll_says_who_is_in_out_on_leave_and_flagged(world):
    dorms, _, rolls = world
    result, looked_at = rolls.take(dorms.building("SB01"), RollKind.CURFEW, CURFEW)

    assert result.expected == 6  # the building's taken beds, counted by the bed writes
    assert result.on_leave == ("S3",)  # approved; S2's pending leave excuses nothing
    assert result.not_returned == (NotReturned("S2", at(22, 10), 1), NotReturned("S4", None, 1))
    assert result.present == 3  # S1, S5 (left after the roll), S6
    assert not result.provisional and result.readers_behind == ()
    assert set(looked_at) == {"S2", "S3", "S4", "S5"}  # who is out by their newest swipe
    assert dorms.read == ["SB01"]  # one Query of the building's presence


def test_a_reader_behind_the_roll_makes_it_provisional(world):
    dorms, swipes, rolls = world
    swipes.progress["SB01", "SB01-A"].watermark = to_iso(at(22, 55))
    result, _ = rolls.take(dorms.building("SB01"), RollKind.CURFEW, CURFEW)
    assert result.provisional and result.readers_behind == (Behind("SB01-A", to_iso(at(22, 55))),)


def test_a_later_evaluation_rereads_those_flagged_keeps_them_and_sees_them_back(world):
    dorms, _, rolls = world
    first, _ = rolls.take(dorms.building("SB01"), RollKind.CURFEW, CURFEW)
    dorms.set_presence("SB01", "S2", "in", to_iso(at(23, 45)), "SB01-A", "SB01")  # back, late: off the index
    dorms.set_presence("SB01", "S4", "in", to_iso(at(23, 50)), "SB01-A", "SB01")

    again, looked_at = rolls.take(dorms.building("SB01"), RollKind.CURFEW, CURFEW, earlier=first)

    assert dorms.read == ["SB01", "SB01"]  # one Query of the building's presence per evaluation
    assert {"S2", "S4"} <= set(looked_at)  # the flagged, looked at again though no longer out
    assert again.not_returned == (NotReturned("S2", at(22, 10), 1, at(23, 45), "SB01-A"),
                                  NotReturned("S4", None, 1, at(23, 50), "SB01-A"))
    assert [r.resident_id for r in again.late_returns] == ["S2", "S4"]


def test_nights_out_count_on_from_the_night_before(world):
    dorms, _, rolls = world
    before, _ = rolls.take(dorms.building("SB01"), RollKind.CURFEW, CURFEW - timedelta(days=1))
    tonight, _ = rolls.take(dorms.building("SB01"), RollKind.CURFEW, CURFEW, previous=before)
    # S2 left tonight (at home at last night's roll: their exit came after it); S4's newest swipe is elsewhere
    assert {n.resident_id: n.nights for n in before.not_returned} == {"S4": 1}
    assert {n.resident_id: n.nights for n in tonight.not_returned} == {"S2": 1, "S4": 2}
