"""The swipe message contract (parser vs. the published JSON Schema) and reader progress."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest

from houqin.domain.swipes import MAX_GAPS, Gap, MessageRejected, ReaderProgress, parse_message
from tests.conftest import ROOT

SCHEMA = json.loads((ROOT / "schemas" / "swipe-message.v1.json").read_text())
NOW = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
GOOD = {"v": 1, "reader_id": "SB01-A", "sent_at": "2026-11-20T08:00:00+08:00",
        "swipes": [{"seq": 1, "card_id": "C0000001", "direction": "in", "ts": "2026-11-20T07:59:00+08:00"}]}


def variant(path: str, value: object = ...) -> dict:
    """GOOD with one field changed (or removed when value is ...): path like "swipes.0.seq"."""
    doc = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node = doc
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is ...:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return doc


SAMPLES = [
    GOOD,
    variant("v", 2), variant("v", "1"), variant("v", True), variant("v"),
    variant("reader_id", ""), variant("reader_id", "bad id"), variant("reader_id", 7), variant("reader_id"),
    variant("sent_at", "yesterday"), variant("sent_at", "2026-11-20T08:00:00"), variant("sent_at"),
    variant("swipes", []), variant("swipes", "none"), variant("swipes"),
    variant("swipes", [GOOD["swipes"][0]] * 101), variant("extra", 1),
    variant("swipes.0.seq", -1), variant("swipes.0.seq", 1.5), variant("swipes.0.seq", "1"),
    variant("swipes.0.seq", 2**53), variant("swipes.0.seq", True), variant("swipes.0.seq"),
    variant("swipes.0.card_id", "C1"), variant("swipes.0.card_id", "C-0001"), variant("swipes.0.card_id"),
    variant("swipes.0.direction", "IN"), variant("swipes.0.direction"),
    variant("swipes.0.ts", "2026-11-20 07:59"), variant("swipes.0.ts", "2026-11-20T07:59:00"), variant("swipes.0.ts"),
    variant("swipes.0.colour", "red"), variant("swipes.0", "a string"),
]


def parses_clean(doc: dict) -> bool:
    try:
        message = parse_message(json.dumps({**doc, "topic_reader": doc.get("reader_id")}), NOW)
    except MessageRejected:
        return False
    return not message.rejected


@pytest.mark.parametrize("doc", SAMPLES, ids=lambda d: json.dumps(d)[:60])
def test_the_parser_accepts_exactly_what_the_published_schema_accepts(doc):
    valid = jsonschema.Draft202012Validator(SCHEMA).is_valid(doc)
    assert parses_clean(doc) == valid


def test_the_parser_adds_what_a_schema_cannot_say():
    ahead = variant("swipes.0.ts", "2026-11-20T08:10:00+08:00")  # after sent_at (+5 min allowed)
    stale = variant("swipes.0.ts", "2026-08-01T08:00:00+08:00")  # older than the 60-day backlog
    assert jsonschema.Draft202012Validator(SCHEMA).is_valid(ahead)
    assert not parses_clean(ahead) and not parses_clean(stale)
    with pytest.raises(MessageRejected, match="does not match") as caught:
        parse_message(json.dumps({**GOOD, "topic_reader": "SB09-A"}), NOW)
    assert caught.value.field == "reader_id"


def test_a_bad_swipe_is_named_and_kept_raw_while_the_good_ones_pass():
    doc = {**GOOD, "topic_reader": "SB01-A",
           "swipes": [GOOD["swipes"][0], {**GOOD["swipes"][0], "seq": 2, "direction": "up"}]}
    message = parse_message(json.dumps(doc), NOW)
    assert [s.seq for s in message.swipes] == [1]
    [bad] = message.rejected
    assert bad.field == "swipes[1].direction" and json.loads(bad.raw)["direction"] == "up"
    assert message.swipes[0].swipe_id == "SB01-A#1"
    assert message.swipes[0].ts == datetime(2026, 11, 19, 23, 59, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def test_progress_opens_a_gap_on_a_jump_and_closes_it_when_the_backlog_arrives():
    p = ReaderProgress().advance([(1, at(1)), (2, at(2))], at(2), at(2))
    assert p.watermark == "2026-11-20T00:02:00.000Z" and p.gaps == ()
    p = p.advance([(6, at(6)), (7, at(7))], at(7), at(7))
    assert p.gaps == (Gap(3, 5, 3, "2026-11-20T00:02:00.000Z"),) and p.missing == 3
    assert p.watermark == "2026-11-20T00:02:00.000Z"  # complete only up to the swipe before the gap
    p = p.advance([(4, at(4))], at(8), at(8))  # the middle of the gap: one less missing
    assert p.gaps == (Gap(3, 5, 2, "2026-11-20T00:02:00.000Z"),) and p.watermark == "2026-11-20T00:02:00.000Z"
    p = p.advance([(5, at(5)), (3, at(3))], at(9), at(9))
    assert p.gaps == () and p.watermark == "2026-11-20T00:09:00.000Z" and p.max_seq == 7


def test_a_shuffled_backlog_keeps_the_progress_small_and_closes_exactly():
    from random import Random

    backlog = list(range(2, 5002))
    Random(4).shuffle(backlog)
    p = ReaderProgress().advance([(1, at(0))], at(0), at(0))
    for start in range(0, len(backlog), 100):
        p = p.advance([(seq, at(1)) for seq in backlog[start:start + 100]], at(2), at(2))
        assert len(p.gaps) <= MAX_GAPS
        assert p.missing == p.max_seq - p.swipes  # exactly what has not arrived below the highest seq
        assert len(json.dumps(p.as_dict())) < 8_000  # a few WCU at most, however the backlog is shuffled
    assert p.gaps == () and p.max_seq == 5001 and p.swipes == 5001


def test_progress_ignores_repeats_and_never_moves_time_backwards():
    p = ReaderProgress().advance([(5, at(5))], at(9), at(9))
    again = p.advance([(4, at(4))], at(1), at(1), duplicates=1)
    assert again.max_seq == 5 and again.gaps == ()  # seq 4 < the first seen: no gap invented before the start
    assert again.last_sent_at == p.last_sent_at and again.last_message_at == p.last_message_at
    assert (again.messages, again.duplicates) == (2, 1)
