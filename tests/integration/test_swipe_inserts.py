"""New swipes stored with conditional PartiQL INSERTs in batches: each once, whoever sends it again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from houqin.domain.swipes import Direction, Swipe
from houqin.store import swipes
from houqin.store.swipes import SwipeItem
from localcloud.costmeter import CostMeter

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


def item(seq: int, received_at: datetime = T0) -> SwipeItem:
    swipe = Swipe("SB01-A", seq, f"C{seq:07d}", Direction.OUT, T0 - timedelta(minutes=seq))
    return SwipeItem.make(swipe, "SB01", f"S{seq}", received_at)


def test_each_swipe_is_stored_once_and_a_second_insert_is_refused(aws):
    with CostMeter().attach(SwipeItem) as meter:
        first = swipes.insert_all([item(n) for n in range(30)])
    assert first == [True] * 30
    assert meter.by_operation()["BatchExecuteStatement"]["calls"] == 2  # 25 + 5
    assert meter.wcu == 30  # a ~0.3 KB item: 1 WCU each, no index copy

    with CostMeter().attach(SwipeItem) as meter:
        again = swipes.insert_all([item(3, T0 + timedelta(hours=1)), item(30)])
    assert again == [False, True]  # the stored one is refused, not overwritten
    assert meter.wcu == 2  # a refused INSERT is billed like the put
    kept = swipes.existing([item(3)])
    assert [k.received_at for k in kept.values()] == [item(3).received_at]  # the first one's, untouched
