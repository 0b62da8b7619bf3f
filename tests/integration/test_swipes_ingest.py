"""The swipes function on SQS batch events: dedupe across replays, out-of-order safety, quarantine, partial retry."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from houqin.store import dorms, swipes
from tests.conftest import load_function_module
from tests.integration import dorm_fixture
from tests.integration.apigw import Context
from tests.integration.sqs import batch, message, record, swipe

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
DAY = date(2026, 11, 20)
S1_CARD, S2_CARD, S3_CARD = "C0000001", "C0000002", "C0000003"


@pytest.fixture
def fn(aws, template):
    dorm_fixture.build()
    return load_function_module(template, "SwipesFunction")


def run(fn, *records):
    return fn.handler(batch(*records), Context())


def stored_day(building="SB01", day=DAY):
    return list(swipes.gate_day(building, day))


def quarantined(day=DAY):
    return list(swipes.QuarantineItem.query(f"QUARANTINE#{day.isoformat()}"))


def test_a_message_is_stored_with_presence_and_reader_progress(fn):
    body = message("SB01-A", T0, [swipe(1, S1_CARD, "out", T0 - timedelta(minutes=2)),
                                  swipe(2, S2_CARD, "in", T0 - timedelta(minutes=1))])
    assert run(fn, record(body, T0)) == {"batchItemFailures": []}
    assert {(s.resident_id, s.direction, int(s.seq)) for s in stored_day()} == {("S1", "out", 1), ("S2", "in", 2)}
    presence = dorms.building_presence("SB01")
    assert (presence["S1"].state, presence["S1"].last_ts) == ("out", "2026-11-19T23:58:00.000Z")
    assert presence["S2"].state == "in" and presence["S2"].reader_id == "SB01-A"
    # every swipe writes presence: it stays one write unit (under 1 KB, in no index)
    stored = presence["S1"].serialize()
    assert len(json.dumps(stored)) < 400 and not any(name.startswith("gsi") for name in stored)
    progress = swipes.reader_progress("SB01-A", "SB01").progress()
    assert (progress.max_seq, progress.gaps, progress.watermark) == (2, (), "2026-11-20T00:00:00.000Z")
    assert (progress.messages, progress.swipes, progress.duplicates) == (1, 2, 0)


def test_a_replay_days_later_changes_nothing(fn):
    swipes_ = [swipe(n, S1_CARD, "out" if n % 2 else "in", T0 + timedelta(minutes=n)) for n in range(1, 6)]
    run(fn, record(message("SB01-A", T0 + timedelta(minutes=6), swipes_), T0 + timedelta(minutes=6)))
    before = [(s.pk, s.ts, s.received_at) for s in stored_day()]
    presence_before = dorms.building_presence("SB01")["S1"].last_ts
    later = T0 + timedelta(days=3)  # the reader was restored from a backup and replays everything
    assert run(fn, record(message("SB01-A", later, swipes_), later),
               record(message("SB01-A", later, swipes_[:2]), later)) == {"batchItemFailures": []}
    assert [(s.pk, s.ts, s.received_at) for s in stored_day()] == before
    assert len(before) == 5
    assert dorms.building_presence("SB01")["S1"].last_ts == presence_before
    progress = swipes.reader_progress("SB01-A", "SB01").progress()
    assert (progress.swipes, progress.duplicates) == (5, 7)


def test_a_seq_twice_in_one_message_is_stored_once_and_counted_as_a_repeat(fn):
    twice = swipe(3, S1_CARD, "out", T0 - timedelta(minutes=1))
    run(fn, record(message("SB01-A", T0, [twice, swipe(4, S2_CARD, "in", T0), twice]), T0))
    assert len(stored_day()) == 2
    progress = swipes.reader_progress("SB01-A", "SB01").progress()
    assert (progress.swipes, progress.duplicates) == (2, 1)


def test_late_swipes_are_history_and_never_roll_presence_back(fn):
    newer = message("SB01-A", T0, [swipe(11, S1_CARD, "out", T0 - timedelta(minutes=5))])
    older = message("SB01-A", T0, [swipe(10, S1_CARD, "in", T0 - timedelta(minutes=30))])
    run(fn, record(newer, T0))
    run(fn, record(older, T0 + timedelta(seconds=5)))  # a backlog that was stuck behind the live swipe
    assert dorms.building_presence("SB01")["S1"].state == "out"
    assert [s.direction for s in swipes.resident_day("SB01", DAY, "S1")] == ["in", "out"]  # both kept, in order


@pytest.mark.parametrize("body, reason, field", [
    ("not json at all", "not JSON", None),
    ({"v": 2, "reader_id": "SB01-A", "sent_at": "2026-11-20T00:00:00Z", "swipes": [], "topic_reader": "SB01-A"},
     "v must be 1", "v"),
    (message("SB01-A", T0, [swipe(1, S1_CARD, "in", T0)], topic_reader="SB02-A"), "does not match", "reader_id"),
    (message("XX99-Z", T0, [swipe(1, S1_CARD, "in", T0)]), "unknown reader", "reader_id"),
    ({"v": 1, "reader_id": "SB01-A", "sent_at": "2026-11-20T00:00:00Z", "swipes": [swipe(1, S1_CARD, "in", T0)]},
     "did not come through the gate topic", "topic_reader"),
    (message("SB01-A", T0, [swipe(n, S1_CARD, "in", T0) for n in range(101)]), "at most 100", "swipes"),
    (message("SB01-A", T0 + timedelta(hours=1), [swipe(1, S1_CARD, "in", T0)]), "in the future", "sent_at"),
    (message("SB01-A", T0, [swipe(1, S1_CARD, "in", T0)], colour="red"), "unknown field", "colour"),
])
def test_a_message_that_cannot_be_read_is_quarantined_whole_with_its_raw_body(fn, body, reason, field):
    raw = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    assert run(fn, record(raw, T0, "bad-1")) == {"batchItemFailures": []}  # not retried: retrying cannot help
    [kept] = quarantined()
    assert reason in kept.reason and kept.field == field
    assert kept.raw == raw and kept.message_id == "bad-1"
    assert stored_day() == []


def test_bad_swipes_are_quarantined_one_by_one_and_the_rest_of_the_batch_is_kept(fn):
    mixed = message("SB01-A", T0, [
        swipe(1, S1_CARD, "out", T0 - timedelta(minutes=3)),
        {"seq": 2, "card_id": S2_CARD, "direction": "sideways", "ts": "2026-11-20T00:00:00Z"},
        {"seq": -1, "card_id": S2_CARD, "direction": "in", "ts": "2026-11-20T00:00:00Z"},
        {"seq": 4, "card_id": S2_CARD, "direction": "in", "ts": "2026-11-20T08:00:00"},  # no offset
        swipe(5, S2_CARD, "in", T0 - timedelta(minutes=1)),
    ])
    fine = message("SB01-B", T0, [swipe(1, S3_CARD, "out", T0 - timedelta(minutes=2))])
    assert run(fn, record(mixed, T0, "mixed"), record("{", T0, "junk"), record(fine, T0, "fine")) == {
        "batchItemFailures": []}
    assert {(s.reader_id, int(s.seq)) for s in stored_day()} == {("SB01-A", 1), ("SB01-A", 5), ("SB01-B", 1)}
    kept = {(q.message_id, q.field) for q in quarantined()}
    assert kept == {("mixed", "swipes[1].direction"), ("mixed", "swipes[2].seq"), ("mixed", "swipes[3].ts"),
                    ("junk", None)}
    bad = next(q for q in quarantined() if q.field == "swipes[1].direction")
    assert json.loads(bad.raw)["direction"] == "sideways" and bad.reader_id == "SB01-A"
    # nothing silently dropped: every swipe sent is either stored or quarantined
    from_mixed = [s for s in stored_day() if s.reader_id == "SB01-A"]
    assert len(from_mixed) + len([q for q in quarantined() if q.message_id == "mixed"]) == 5


def test_an_infrastructure_error_fails_only_its_record_and_the_retry_stores_it_once(fn, monkeypatch):
    first = message("SB01-A", T0, [swipe(1, S1_CARD, "out", T0 - timedelta(minutes=3))])
    second = message("SB01-B", T0, [swipe(1, S2_CARD, "out", T0 - timedelta(minutes=2))])
    client = swipes.SwipeItem._get_connection().connection.client
    real_send = client.batch_execute_statement

    def throttled(Statements):  # noqa: N803 - boto3's argument name
        if any("SB01-B" in str(statement["Parameters"]) for statement in Statements):
            raise RuntimeError("ProvisionedThroughputExceededException (simulated)")
        return real_send(Statements=Statements)

    monkeypatch.setattr(client, "batch_execute_statement", throttled)
    response = run(fn, record(first, T0, "ok"), record(second, T0, "throttled"))
    # the batch's write failed: its statements are sent again one by one, so only the failing one fails
    assert response == {"batchItemFailures": [{"itemIdentifier": "throttled"}]}
    assert [s.reader_id for s in stored_day()] == ["SB01-A"]
    assert "S2" not in dorms.building_presence("SB01")
    assert swipes.reader_progress("SB01-A", "SB01").progress().swipes == 1  # its batchmate: stored and counted
    monkeypatch.undo()
    assert run(fn, record(second, T0, "throttled")) == {"batchItemFailures": []}  # SQS delivers it again
    assert sorted(s.reader_id for s in stored_day()) == ["SB01-A", "SB01-B"]
    assert dorms.building_presence("SB01")["S2"].state == "out"
    assert swipes.reader_progress("SB01-B", "SB01").progress().swipes == 1


def test_a_retry_finishes_presence_when_the_first_attempt_failed_after_storing_the_swipe(fn, monkeypatch):
    body = message("SB01-A", T0, [swipe(7, S1_CARD, "out", T0 - timedelta(minutes=1))])

    def broken(*args, **kwargs):
        raise RuntimeError("connection reset (simulated)")

    monkeypatch.setattr(dorms, "set_presence", broken)
    assert run(fn, record(body, T0, "m")) == {"batchItemFailures": [{"itemIdentifier": "m"}]}
    assert len(stored_day()) == 1 and "S1" not in dorms.building_presence("SB01")
    monkeypatch.undo()
    assert run(fn, record(body, T0, "m")) == {"batchItemFailures": []}
    assert dorms.building_presence("SB01")["S1"].state == "out"
    assert len(stored_day()) == 1
    progress = swipes.reader_progress("SB01-A", "SB01").progress()
    assert (progress.swipes, progress.duplicates, progress.max_seq) == (1, 0, 7)  # the retry's swipe is new
    run(fn, record(body, T0 + timedelta(hours=1), "replay"))  # another message with it: a repeat
    assert swipes.reader_progress("SB01-A", "SB01").progress().duplicates == 1


def test_a_failed_batch_of_presence_updates_fails_its_records_and_the_retry_moves_presence(fn, monkeypatch):
    """S1 has a presence, so their swipe moves it through the batched PartiQL update (not the first-presence path)."""
    dorms.set_presence("SB01", "S1", "in", "2026-11-19T12:00:00.000Z", "SB01-A", "SB01")
    body = message("SB01-A", T0, [swipe(8, S1_CARD, "out", T0 - timedelta(minutes=1))])

    def broken(moves):
        raise RuntimeError("throttled (simulated)")

    monkeypatch.setattr(dorms, "move_presence", broken)
    assert run(fn, record(body, T0, "m")) == {"batchItemFailures": [{"itemIdentifier": "m"}]}
    assert dorms.building_presence("SB01")["S1"].state == "in" and len(stored_day()) == 1
    monkeypatch.undo()
    assert run(fn, record(body, T0, "m")) == {"batchItemFailures": []}
    assert (dorms.building_presence("SB01")["S1"].state, len(stored_day())) == ("out", 1)


def test_near_its_timeout_the_function_leaves_the_remaining_records_for_the_next_delivery(fn):
    class AlmostOutOfTime(Context):
        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return 9_000

    body = message("SB01-A", T0, [swipe(1, S1_CARD, "out", T0)])
    response = fn.handler(batch(record(body, T0, "late-1"), record(body, T0, "late-2")), AlmostOutOfTime())
    assert response == {"batchItemFailures": [{"itemIdentifier": "late-1"}, {"itemIdentifier": "late-2"}]}
    assert stored_day() == []


def test_unknown_cards_are_stored_as_visitor_events_without_presence(fn):
    run(fn, record(message("SB01-A", T0, [swipe(1, "V9999999", "in", T0 - timedelta(minutes=1))]), T0))
    [visitor] = swipes.gate_day("SB01", DAY, "CARD#")
    assert (visitor.card_id, visitor.resident_id, visitor.direction) == ("V9999999", None, "in")
    assert dorms.building_presence("SB01") == {}


def test_gaps_and_watermark_follow_an_offline_backlog(fn):
    t = [T0 + timedelta(minutes=n) for n in range(10)]
    run(fn, record(message("SB02-A", t[2], [swipe(1, S1_CARD, "in", t[1]), swipe(2, S1_CARD, "out", t[2])]), t[2]))
    # live swipes resume at seq 5: 3 and 4 are still on the reader
    run(fn, record(message("SB02-A", t[6], [swipe(5, S2_CARD, "in", t[6])]), t[6]))
    progress = swipes.reader_progress("SB02-A", "SB02").progress()
    assert [(g.first, g.last) for g in progress.gaps] == [(3, 4)]
    assert progress.watermark == "2026-11-20T00:02:00.000Z"  # complete only up to seq 2
    run(fn, record(message("SB02-A", t[9], [swipe(4, S3_CARD, "out", t[4]), swipe(3, S3_CARD, "in", t[3])]), t[9]))
    progress = swipes.reader_progress("SB02-A", "SB02").progress()
    assert progress.gaps == () and progress.watermark == "2026-11-20T00:09:00.000Z"
    assert progress.max_seq == 5


def test_a_failed_progress_save_fails_that_readers_records_only(fn, monkeypatch):
    real = swipes.save_progress
    monkeypatch.setattr(swipes, "save_progress", lambda item: False if item.reader_id == "SB01-B" else real(item))
    response = run(fn, record(message("SB01-A", T0, [swipe(1, S1_CARD, "in", T0)]), T0, "a"),
                   record(message("SB01-B", T0, [swipe(1, S2_CARD, "in", T0)]), T0, "b"))
    assert response == {"batchItemFailures": [{"itemIdentifier": "b"}]}
    assert len(stored_day()) == 2  # the swipes are in; the retry only advances the progress


def test_a_buildings_reader_progress_is_one_partition(fn):
    run(fn, record(message("SB01-A", T0, [swipe(1, S1_CARD, "in", T0)]), T0, "a"),
        record(message("SB01-B", T0, [swipe(1, S2_CARD, "in", T0), swipe(3, S2_CARD, "out", T0)]), T0, "b"),
        record(message("SB02-A", T0, [swipe(1, S3_CARD, "in", T0)]), T0, "c"))
    sb01 = swipes.building_progress("SB01")
    assert set(sb01) == {"SB01-A", "SB01-B"}
    assert {(i.pk, i.sk, i.building_id) for i in sb01.values()} == {("READERS#SB01", "READER#SB01-A", "SB01"),
                                                                      ("READERS#SB01", "READER#SB01-B", "SB01")}
    assert sb01["SB01-B"].progress().missing == 1
    assert sb01["SB01-B"].progress() == swipes.reader_progress("SB01-B", "SB01").progress()
    assert set(swipes.building_progress("SB02")) == {"SB02-A"}
    assert swipes.building_progress("SB09") == {}
    fresh = swipes.reader_progress("SB09-A", "SB09")  # none yet: a fresh item under the building
    assert (fresh.pk, fresh.sk, fresh.building_id, fresh.progress().messages) == ("READERS#SB09", "READER#SB09-A",
                                                                                  "SB09", 0)


@pytest.mark.parametrize("moto_as_is", [False, True], ids=["atomic", "moto-as-is"])
def test_two_swipes_of_one_resident_written_side_by_side_leave_the_newest_presence(fn, monkeypatch, moto_as_is):
    """The e2e failure "presence still 'in' after the newer 'out'", made deterministic: the older swipe's
    presence update passes its condition (``last_ts < :ts``), then the newer one is let through and the older
    waits until it has written. In DynamoDB (and with localcloud.motofixes.atomic_items) the two cannot
    interleave: whichever holds the item goes first, waits out its second and finishes; moto as it is lets the
    older land last."""
    from moto.dynamodb import models
    from moto.dynamodb.responses import DynamoHandler

    if moto_as_is:
        monkeypatch.setattr(DynamoHandler, "call_action", DynamoHandler.call_action.__wrapped__)
    older_checked, newer_written = threading.Event(), threading.Event()
    real_update, real_validator = models.DynamoDBBackend.update_item, models.UpdateExpressionValidator

    def sets(values, state):
        return {"S": state} in (values or {}).values()

    class OlderWaits(real_validator):
        def validate(self):  # the older's condition held; it has not written yet
            if sets(self.expression_attribute_values, "in"):
                older_checked.set()
                newer_written.wait(timeout=1.0)  # atomic: the newer cannot come while this holds the item
            return super().validate()

    def update_item(self, *args, **kwargs):
        newer = sets(kwargs.get("expression_attribute_values"), "out")
        if newer:
            older_checked.wait(timeout=1.0)  # atomic: the older cannot get there while this holds the item
        item = real_update(self, *args, **kwargs)
        if newer:
            newer_written.set()
        return item

    monkeypatch.setattr(models, "UpdateExpressionValidator", OlderWaits)
    monkeypatch.setattr(models.DynamoDBBackend, "update_item", update_item)
    older = message("SB01-A", T0, [swipe(1, S1_CARD, "in", T0 - timedelta(minutes=2))])
    newer = message("SB01-B", T0, [swipe(1, S1_CARD, "out", T0 - timedelta(minutes=1))])
    answers = []
    batches = [threading.Thread(target=lambda body=body, n=n: answers.append(run(fn, record(body, T0, f"m{n}"))))
               for n, body in enumerate((older, newer))]  # two invocations side by side, one swipe each
    for batch_ in batches:
        batch_.start()
    for batch_ in batches:
        batch_.join()
    assert answers == [{"batchItemFailures": []}] * 2
    presence = dorms.building_presence("SB01")["S1"]
    if moto_as_is:  # the reproduction: the older swipe rolled presence back
        assert (presence.state, presence.last_ts) == ("in", "2026-11-19T23:58:00.000Z")
    else:
        assert (presence.state, presence.last_ts) == ("out", "2026-11-19T23:59:00.000Z")


def test_a_card_that_cannot_be_looked_up_fails_its_record_alone(fn, monkeypatch):
    """The batch's cards are one read; when it fails (here: one card item cannot be read), they are read one by
    one, and only the unreadable card's record is retried."""
    real = dorms.cards

    def unreadable(card_ids):
        if S1_CARD in set(card_ids):
            raise ValueError("the card item cannot be read (simulated)")
        return real(card_ids)

    monkeypatch.setattr(dorms, "cards", unreadable)
    response = run(fn, record(message("SB01-A", T0, [swipe(1, S1_CARD, "out", T0)]), T0, "bad"),
                   record(message("SB01-B", T0, [swipe(1, S2_CARD, "out", T0)]), T0, "good"))
    assert response == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert [s.resident_id for s in stored_day()] == ["S2"]
    assert set(swipes.building_progress("SB01")) == {"SB01-B"}  # the failed record is not counted
    monkeypatch.undo()
    assert run(fn, record(message("SB01-A", T0, [swipe(1, S1_CARD, "out", T0)]), T0, "bad")) == {
        "batchItemFailures": []}
    assert dorms.building_presence("SB01")["S1"].state == "out"
