"""Presence moved in batches: PartiQL UPDATEs in BatchExecuteStatement, each a conditional update of one item."""

from __future__ import annotations

import pytest

from houqin.store import dorms
from houqin.store.dorms import Presence, PresenceMove
from localcloud.costmeter import CostMeter

EVENING, MORNING, NOON = "2026-11-19T14:00:00.000Z", "2026-11-20T00:30:00.000Z", "2026-11-20T04:00:00.000Z"


@pytest.fixture
def stored(aws):
    """30 residents of SB01 "in" since the evening before (more than one request's 25 statements)."""
    items = [Presence.make("SB01", f"S{n:02}", "in", EVENING, "SB01-A", "SB01") for n in range(30)]
    with Presence.batch_write() as writer:
        for item in items:
            writer.save(item)
    return [item.resident_id for item in items]


def out_at(resident_id: str, ts: str, home: str = "SB01") -> PresenceMove:
    return PresenceMove(home, resident_id, "out", ts, "SB01-B", "SB01")


def test_every_stored_presence_moves_to_a_newer_swipe_in_two_requests(stored):
    with CostMeter().attach(Presence) as meter:
        moved = dorms.move_presence([out_at(r, MORNING) for r in stored])
    assert moved == [True] * 30
    assert meter.by_operation()["BatchExecuteStatement"]["calls"] == 2  # 25 + 5, not 30 calls
    assert meter.wcu == 30  # each one a write of a small item (1 WCU), as an UpdateItem would be
    now = dorms.building_presence("SB01")
    assert {(p.state, p.last_ts, p.reader_id) for p in now.values()} == {("out", MORNING, "SB01-B")}


def test_an_older_swipe_never_rolls_presence_back(stored):
    dorms.move_presence([out_at(stored[0], NOON)])
    with CostMeter().attach(Presence) as meter:
        moved = dorms.move_presence([PresenceMove("SB01", stored[0], "in", MORNING, "SB01-A", "SB01"),
                                     out_at(stored[1], MORNING)])
    assert moved == [False, True]  # the first's condition (last_ts < MORNING) did not hold
    assert meter.wcu == 2  # a refused condition is billed like the write
    assert dorms.presence("SB01", stored[0]).last_ts == NOON
    assert dorms.presence("SB01", stored[0]).state == "out"


def test_the_same_swipe_again_is_refused(stored):
    assert dorms.move_presence([out_at(stored[0], MORNING)]) == [True]
    assert dorms.move_presence([out_at(stored[0], MORNING)]) == [False]  # only a newer one moves it


def test_a_presence_gone_meanwhile_is_not_made_again(stored):
    """A check-out deletes the presence after the batch read it: the update matches no item and writes nothing
    (an UpdateItem would have created a presence for someone who no longer lives there)."""
    Presence(*Presence.keys("SB01", stored[0])).delete()
    assert dorms.move_presence([out_at(stored[0], MORNING), out_at("nobody", MORNING)]) == [False, False]
    assert dorms.presence("SB01", stored[0]) is None and dorms.presence("SB01", "nobody") is None


def test_a_residents_bed_events_since_a_day_are_only_their_bed_events(aws):
    """The resident's partition holds their PROFILE beside the BEDLOG# events; a range from a day on must stop at
    the events (a resident without a bed would otherwise count their profile as a building lived in)."""
    import boto3

    from houqin.settings import settings

    boto3.client("dynamodb").put_item(TableName=settings().table("dorms"),
                                      Item={"pk": {"S": "RES#S01"}, "sk": {"S": "PROFILE"}, "name": {"S": "秦鹏"}})
    dorms.BedEvent.make("S01", "check_out", "2026-11-20T02:00:00.000Z", "E0723", "SB01", "101", 1).save()
    events = list(dorms.bed_events_since("S01", "2026-11-19"))
    assert [(e.action, e.building_id) for e in events] == [("check_out", "SB01")]
