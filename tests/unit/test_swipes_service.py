"""Swipe ingestion (houqin.services.swipes.Swipes) over in-memory fakes: no moto, no network, no sleeping.

GIVEN building SB01 with reader SB01-A and resident S1 (card C0000001) WHEN reader messages are ingested THEN each
swipe is stored once per (reader, seq) however often it is replayed, a late swipe never moves presence back,
and whatever cannot be stored is quarantined with its reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from houqin.clock import FixedClock, to_iso
from houqin.services.swipes import Delivery, Swipes
from tests.fakes.dorms import FakeDorms
from tests.fakes.swipes import FakeSwipes

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
CARD = "C0000001"  # S1's campus card


def body(swipes: list[tuple[int, str, str, datetime]], reader_id: str = "SB01-A", sent_at: datetime = NOW,
         **overrides: Any) -> str:
    doc = {"v": 1, "reader_id": reader_id, "sent_at": to_iso(sent_at),
           "swipes": [{"seq": seq, "card_id": card, "direction": direction, "ts": to_iso(ts)}
                      for seq, card, direction, ts in swipes], "topic_reader": reader_id, **overrides}
    return json.dumps(doc)


@pytest.fixture
def world():
    dorms = FakeDorms()
    dorms.add_building("SB01", readers=["SB01-A"], rooms=[("101", "M", 2)])
    dorms.add_resident("S1", card_id=CARD, bed=("SB01", "101", 1))
    swipes = FakeSwipes()
    return dorms, swipes, Swipes(swipes=swipes, dorms=dorms, clock=FixedClock(NOW))


def ingest(service: Swipes, text: str, message_id: str = "m1", received_at: datetime = NOW):
    """One SQS record in a batch of its own."""
    [result] = service.ingest([Delivery(message_id, text, received_at)])
    return result


def test_a_replayed_message_stores_each_swipe_once(world):
    dorms, swipes, service = world
    message = body([(1, CARD, "out", NOW - timedelta(minutes=30)), (2, CARD, "in", NOW - timedelta(minutes=5)),
                    (2, CARD, "in", NOW - timedelta(minutes=5))])  # seq 2 twice in one message

    first = ingest(service, message, "m1")
    replay = ingest(service, message, "m2", NOW + timedelta(hours=1))  # another delivery, later

    assert (first.stored, first.duplicates) == (2, 1)
    assert (replay.stored, replay.duplicates) == (0, 3)
    assert sorted(swipes.by_identity()) == [("SB01-A", 1), ("SB01-A", 2)]
    assert swipes.by_identity()["SB01-A", 2].resident_id == "S1"
    presence = dorms.presence("SB01", "S1")
    assert (presence.state, presence.last_ts) == ("in", to_iso(NOW - timedelta(minutes=5)))


def test_an_out_of_order_swipe_is_history_and_never_moves_presence_back(world):
    dorms, swipes, service = world
    newer = ingest(service, body([(7, CARD, "in", NOW - timedelta(minutes=10))]), "m1")
    older = ingest(service, body([(6, CARD, "out", NOW - timedelta(minutes=40))]), "m2")

    assert (newer.stored, newer.late) == (1, 0)
    assert (older.stored, older.late) == (1, 1)  # stored (the gate's history), but late
    assert ("SB01-A", 6) in swipes.by_identity()
    presence = dorms.presence("SB01", "S1")
    assert (presence.state, presence.last_ts) == ("in", to_iso(NOW - timedelta(minutes=10)))


def test_the_same_sqs_message_retried_finishes_the_presence_its_first_attempt_left(world):
    dorms, swipes, service = world
    real = dorms.set_presence
    failing = [True]

    def flaky(*args, **kwargs):
        if failing.pop() if failing else False:
            raise ConnectionError("DynamoDB throttled")
        return real(*args, **kwargs)

    dorms.set_presence = flaky
    message = body([(3, CARD, "out", NOW - timedelta(minutes=2))])
    first = ingest(service, message, "m1")
    assert first.failed  # SQS delivers it again
    assert ("SB01-A", 3) in swipes.by_identity() and dorms.presence("SB01", "S1") is None  # swipe stored only
    assert "SB01-A" not in swipes.building_progress("SB01")  # a failed record is not counted

    again = ingest(service, message, "m1")  # SQS delivers the same message: same SentTimestamp
    other = ingest(service, message, "m9", NOW + timedelta(minutes=1))  # a replay by another message

    assert (again.stored, again.duplicates, again.failed) == (1, 0, False)
    assert (other.stored, other.duplicates) == (0, 1)
    assert dorms.presence("SB01", "S1").state == "out"
    assert len(swipes.by_identity()) == 1


def test_a_bad_record_is_quarantined_with_its_reason_and_the_good_swipes_kept(world):
    dorms, swipes, service = world
    not_json = ingest(service, "{broken", "m1")
    unknown_reader = ingest(service, body([(1, CARD, "in", NOW)], reader_id="XX-9"), "m2")
    partly = ingest(service, body([(4, CARD, "in", NOW - timedelta(minutes=1)), (5, CARD, "sideways", NOW)]), "m3")

    assert (not_json.quarantined, not_json.stored) == (1, 0)
    assert (unknown_reader.quarantined, unknown_reader.stored) == (1, 0)
    assert (partly.quarantined, partly.stored) == (1, 1)
    reasons = [(q.message_id, q.field, q.reason) for q in swipes.quarantine_items]
    assert reasons[0] == ("m1", None, "the message is not JSON")
    assert reasons[1][:2] == ("m2", "reader_id") and "unknown reader 'XX-9'" in reasons[1][2]
    assert reasons[2][:2] == ("m3", "swipes[1].direction")
    assert swipes.quarantine_items[0].raw == "{broken"  # kept as it came
    assert sorted(swipes.by_identity()) == [("SB01-A", 4)]


def test_an_unknown_card_is_stored_for_the_duty_desk_and_moves_no_presence(world):
    dorms, swipes, service = world
    result = ingest(service, body([(1, "V7777777", "in", NOW - timedelta(minutes=3))]))
    assert (result.stored, result.unknown_cards) == (1, 1)
    assert swipes.by_identity()["SB01-A", 1].resident_id is None
    assert dorms.presence_items == {}
    assert [s["card_id"] for s in swipes.gate_day("SB01", NOW.date(), "CARD#") for s in [s.view()]] == ["V7777777"]


def test_the_batch_advances_each_readers_progress_once(world):
    dorms, swipes, service = world
    results = service.ingest([
        Delivery("m1", body([(1, CARD, "out", NOW - timedelta(minutes=9))], sent_at=NOW), NOW),
        Delivery("m2", body([(3, CARD, "in", NOW - timedelta(minutes=2))], sent_at=NOW), NOW)])

    assert [r.failed for r in results] == [False, False]
    progress = swipes.progress["SB01", "SB01-A"]
    assert int(progress.version) == 1  # saved once for both messages
    assert (progress.progress().max_seq, progress.progress().swipes, progress.progress().missing) == (3, 2, 1)


def test_a_seq_the_progress_has_writes_nothing_and_one_in_a_gap_is_looked_up(world):
    dorms, swipes, service = world
    ingest(service, body([(1, CARD, "out", NOW - timedelta(minutes=9)),
                          (4, CARD, "in", NOW - timedelta(minutes=3))]), "m1")  # 2 and 3 missing
    ingest(service, body([(2, CARD, "in", NOW - timedelta(minutes=8))]), "m2", NOW + timedelta(seconds=1))
    puts = swipes.puts

    replay = ingest(service, body([(1, CARD, "out", NOW - timedelta(minutes=9)),
                                   (2, CARD, "in", NOW - timedelta(minutes=8)),
                                   (3, CARD, "out", NOW - timedelta(minutes=7))]), "m3", NOW + timedelta(minutes=1))

    assert (replay.stored, replay.duplicates) == (1, 2)  # 1: the progress has it; 2: in the gap, found stored
    assert swipes.puts == puts + 1  # only seq 3 was written
    assert swipes.progress["SB01", "SB01-A"].progress().gaps == ()
    assert dorms.presence("SB01", "S1").state == "in"  # seq 4 is still the newest


def test_swipes_before_a_readers_first_message_are_looked_up_not_assumed_stored(world):
    dorms, swipes, service = world
    ingest(service, body([(7, CARD, "in", NOW - timedelta(minutes=10))]), "m1")
    older = ingest(service, body([(6, CARD, "out", NOW - timedelta(minutes=40))]), "m2")
    assert (older.stored, older.duplicates, older.late) == (1, 0, 1)


def test_a_resident_swiping_twice_in_one_batch_moves_presence_once_to_the_newest(world):
    dorms, swipes, service = world
    calls = []
    real = dorms.set_presence
    dorms.set_presence = lambda *args: calls.append(args) or real(*args)
    results = service.ingest([
        Delivery("m1", body([(1, CARD, "out", NOW - timedelta(minutes=9))]), NOW),
        Delivery("m2", body([(2, CARD, "in", NOW - timedelta(minutes=2))]), NOW)])

    assert [(r.stored, r.late) for r in results] == [(1, 0), (1, 0)]
    assert len(calls) == 1 and dorms.presence("SB01", "S1").state == "in"


def test_two_batches_side_by_side_with_one_seq_of_a_gap_count_it_once_and_close_the_gap_once(world):
    """Seq 3 lies in the progress's gap (2..3 missing): two batches carrying it read the progress before either
    stores it. Only one may count it new: the gap counts its missing seqs, and counted twice it would close while 2 is
    still missing (the reader's watermark would pass a swipe never received)."""
    import threading

    dorms, swipes, service = world
    ingest(service, body([(1, CARD, "out", NOW - timedelta(minutes=9)),
                          (4, CARD, "in", NOW - timedelta(minutes=3))]), "m1")  # 2 and 3 missing
    both_read, real_progress_of = threading.Barrier(2, timeout=5), swipes.progress_of

    def progress_of(readers):
        found = real_progress_of(readers)
        both_read.wait()  # both have read the progress (seq 3 in its gap) before either stores seq 3
        return found

    swipes.progress_of = progress_of
    late = body([(3, CARD, "out", NOW - timedelta(minutes=7))])
    results = {}
    batches = [threading.Thread(target=lambda n=n: results.update({n: ingest(service, late, f"r{n}",
                                                                            NOW + timedelta(minutes=n))}))
               for n in (1, 2)]
    for batch in batches:
        batch.start()
    for batch in batches:
        batch.join()

    assert sorted((r.stored, r.duplicates) for r in results.values()) == [(0, 1), (1, 0)]
    progress = swipes.progress["SB01", "SB01-A"].progress()
    assert (progress.swipes, progress.duplicates) == (3, 1)
    assert progress.gaps != ()  # seq 2 is still missing
