"""Card swipes from dorm gate readers: the message contract (v1) and what a reader's data says.

Pure rules, no AWS. ``schemas/swipe-message.v1.json`` is the published contract; ``parse_message``
enforces it (tests/unit/test_swipes_domain.py checks both agree on every sample) and adds the
checks a schema cannot express: the topic's reader, timestamps that make sense.

A message that cannot be read at all is rejected whole (``MessageRejected``); a message that
is fine except for some swipes keeps the good ones and names each bad one (``Message.rejected``).
Nothing is dropped silently: the caller quarantines every rejection with its raw text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from houqin.clock import parse_iso, to_iso

VERSION = 1
MAX_SWIPES = 100
MAX_SEQ = 2**53 - 1  # the largest integer every JSON parser reads exactly
READER_ID = r"[A-Za-z0-9_-]{1,64}"
CARD_ID = r"[A-Za-z0-9]{4,32}"
# A reader's clock may run a little ahead of ours; a swipe older than this is not a backlog but a bad clock.
CLOCK_SKEW = timedelta(minutes=5)
MAX_BACKLOG = timedelta(days=60)
# The IoT rule adds the topic's reader under this name (template.yaml, GateSwipesRule).
TOPIC_READER = "topic_reader"
MESSAGE_FIELDS = frozenset({"v", "reader_id", "sent_at", "swipes"})
SWIPE_FIELDS = frozenset({"seq", "card_id", "direction", "ts"})


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


@dataclass(frozen=True)
class Swipe:
    reader_id: str
    seq: int
    card_id: str
    direction: Direction
    ts: datetime  # UTC

    @property
    def swipe_id(self) -> str:
        """The identity of a swipe for good: a reader never reuses a sequence number."""
        return f"{self.reader_id}#{self.seq}"


@dataclass(frozen=True)
class Rejected:
    """One swipe (or a whole message) that cannot be stored, with why and its raw text."""

    reason: str
    field: str | None
    raw: str


@dataclass(frozen=True)
class Message:
    reader_id: str
    sent_at: datetime
    swipes: tuple[Swipe, ...]
    rejected: tuple[Rejected, ...] = ()


class MessageRejected(ValueError):
    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


def parse_message(body: str | bytes, received_at: datetime) -> Message:
    """A message as the IoT rule forwarded it (the reader's JSON plus ``topic_reader``)."""
    try:
        doc = json.loads(body)
    except (ValueError, TypeError):
        raise MessageRejected("the message is not JSON") from None
    if not isinstance(doc, dict):
        raise MessageRejected("the message must be a JSON object")
    topic_reader = doc.pop(TOPIC_READER, None)
    unknown = sorted(set(doc) - MESSAGE_FIELDS)
    if unknown:
        raise MessageRejected(f"unknown field {unknown[0]!r}", unknown[0])
    if doc.get("v") != VERSION or isinstance(doc.get("v"), bool):
        raise MessageRejected(f"v must be {VERSION}: this is the only message version Houqin reads", "v")
    reader_id = _text(doc, "reader_id", READER_ID)
    if topic_reader is None:
        raise MessageRejected("the message did not come through the gate topic (no topic reader)", TOPIC_READER)
    if reader_id != topic_reader:
        raise MessageRejected(f"reader_id {reader_id!r} does not match the topic's reader {topic_reader!r}",
                              "reader_id")
    sent_at = _time(doc, "sent_at")
    if sent_at > received_at + CLOCK_SKEW:
        raise MessageRejected("sent_at is in the future: check the reader's clock", "sent_at")
    swipes = doc.get("swipes")
    if not isinstance(swipes, list) or not swipes:
        raise MessageRejected("swipes must be a non-empty list", "swipes")
    if len(swipes) > MAX_SWIPES:
        raise MessageRejected(f"swipes has {len(swipes)} items, at most {MAX_SWIPES} per message", "swipes")
    good: list[Swipe] = []
    bad: list[Rejected] = []
    for index, raw in enumerate(swipes):
        try:
            good.append(_swipe(raw, reader_id, sent_at))
        except MessageRejected as exc:
            name = f"swipes[{index}].{exc.field}" if exc.field else f"swipes[{index}]"
            bad.append(Rejected(exc.reason, name, json.dumps(raw, ensure_ascii=False)))
    return Message(reader_id, sent_at, tuple(good), tuple(bad))


def _swipe(raw: Any, reader_id: str, sent_at: datetime) -> Swipe:
    if not isinstance(raw, dict):
        raise MessageRejected("a swipe must be a JSON object")
    unknown = sorted(set(raw) - SWIPE_FIELDS)
    if unknown:
        raise MessageRejected(f"unknown field {unknown[0]!r}", unknown[0])
    seq = raw.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_SEQ:
        raise MessageRejected(f"seq must be a whole number from 0 to {MAX_SEQ}", "seq")
    card_id = _text(raw, "card_id", CARD_ID)
    direction = raw.get("direction")
    if direction not in ("in", "out"):
        raise MessageRejected('direction must be "in" or "out"', "direction")
    ts = _time(raw, "ts")
    if ts > sent_at + CLOCK_SKEW:
        raise MessageRejected("ts is after the message's sent_at", "ts")
    if ts < sent_at - MAX_BACKLOG:
        raise MessageRejected(f"ts is more than {MAX_BACKLOG.days} days before sent_at", "ts")
    return Swipe(reader_id, seq, card_id, Direction(direction), ts)


def _text(doc: dict[str, Any], name: str, pattern: str) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise MessageRejected(f"{name} is missing or has the wrong format", name)
    return value


def _time(doc: dict[str, Any], name: str) -> datetime:
    value = doc.get(name)
    if not isinstance(value, str):
        raise MessageRejected(f"{name} must be an ISO-8601 time with an offset", name)
    try:
        return parse_iso(value)
    except ValueError:
        raise MessageRejected(f"{name} must be an ISO-8601 time with an offset", name) from None


# ---------------------------------------------------------------- what a reader's data says
# Beyond this, the two oldest neighbouring gaps merge (their counts stay exact; the seqs that did arrive between
# them are then looked up by key if sent again). Few gaps keep the progress item, written once per reader and
# batch, within one write unit.
MAX_GAPS = 10


@dataclass(frozen=True)
class Gap:
    """``missing`` sequence numbers in ``first..last`` not received yet; data is complete only up to ``since``.

    A gap counts what is missing instead of listing it, so a shuffled backlog never makes the reader's
    progress item grow: an arriving seq only lowers the count, and the gap closes at zero. This is exact
    because only *new* swipes are counted, never repeats (a seq inside a gap is looked up before it counts).
    """

    first: int
    last: int
    missing: int
    since: str  # ts of the newest swipe before the gap opened (UTC ISO)

    def as_dict(self) -> dict[str, Any]:
        return {"first": self.first, "last": self.last, "missing": self.missing, "since": self.since}


@dataclass(frozen=True)
class ReaderProgress:
    """Per reader: the last message, the highest seq, the gaps below it, and the watermark.

    The watermark is the time up to which this reader's data is known complete: the ``sent_at``
    of its latest message when no seq is missing, else the newest swipe before the oldest gap.
    A reader that went silent has an old watermark; one uploading a backlog has gaps until the
    backlog is in. The alarm checks read it to call a roll provisional.
    """

    max_seq: int | None = None
    max_seq_ts: str | None = None
    first_seq: int | None = None  # the lowest seq of the first message stored: what came before is not known
    gaps: tuple[Gap, ...] = ()
    last_sent_at: str | None = None
    last_message_at: str | None = None
    messages: int = 0
    swipes: int = 0
    duplicates: int = 0

    @property
    def watermark(self) -> str | None:
        if self.gaps:
            return min(gap.since for gap in self.gaps)
        return self.last_sent_at

    @property
    def missing(self) -> int:
        return sum(gap.missing for gap in self.gaps)

    def has(self, seq: int) -> bool:
        """Whether ``seq`` is surely stored: between the first and the highest seq, and in no gap."""
        return self.max_seq is not None and seq <= self.max_seq and not self.may_have(seq)

    def may_have(self, seq: int) -> bool:
        """Whether ``seq`` may have arrived without this progress knowing which: it lies in a gap (a gap's holes
        are counted, not listed) or below the first seq stored (or before any was)."""
        return (self.first_seq is None or seq < self.first_seq
                or any(gap.first <= seq <= gap.last for gap in self.gaps))

    def advance(self, new: Iterable[tuple[int, datetime]], sent_at: datetime, received_at: datetime,
                *, duplicates: int = 0) -> ReaderProgress:
        """After a message: the (seq, ts) of the swipes it stored for the first time, its times, its repeats."""
        max_seq, max_seq_ts, gaps = self.max_seq, self.max_seq_ts, list(self.gaps)
        stored = sorted(new)
        for seq, ts in stored:
            if max_seq is not None and seq <= max_seq:
                gaps = _arrived(gaps, seq)
                continue
            if max_seq is not None and seq > max_seq + 1:
                gaps.append(Gap(max_seq + 1, seq - 1, seq - 1 - max_seq, max_seq_ts or to_iso(ts)))
            max_seq, max_seq_ts = seq, to_iso(ts)
        first_seq = self.first_seq if self.first_seq is not None or not stored else stored[0][0]
        return replace(
            self, max_seq=max_seq, max_seq_ts=max_seq_ts, first_seq=first_seq, gaps=_bounded(gaps),
            last_sent_at=max(filter(None, (self.last_sent_at, to_iso(sent_at)))),
            last_message_at=max(filter(None, (self.last_message_at, to_iso(received_at)))),
            messages=self.messages + 1, swipes=self.swipes + len(stored), duplicates=self.duplicates + duplicates)

    def as_dict(self) -> dict[str, Any]:
        return {"max_seq": self.max_seq, "max_seq_ts": self.max_seq_ts, "gaps": [g.as_dict() for g in self.gaps],
                "missing": self.missing, "last_sent_at": self.last_sent_at,
                "last_message_at": self.last_message_at, "watermark": self.watermark, "messages": self.messages,
                "swipes": self.swipes, "duplicates": self.duplicates}


def _arrived(gaps: list[Gap], seq: int) -> list[Gap]:
    """The gaps once a new ``seq`` below the highest has arrived: its gap counts one less, and closes at zero."""
    result = []
    for gap in gaps:
        if gap.first <= seq <= gap.last:
            gap = replace(gap, missing=gap.missing - 1)
        if gap.missing > 0:
            result.append(gap)
    return result


def _bounded(gaps: list[Gap]) -> tuple[Gap, ...]:
    while len(gaps) > MAX_GAPS:
        oldest, following, *rest = sorted(gaps, key=lambda g: g.first)
        gaps = [Gap(oldest.first, following.last, oldest.missing + following.missing,
                    min(oldest.since, following.since)), *rest]
    return tuple(gaps)


# ---------------------------------------------------------------- a resident's state
@dataclass(frozen=True)
class Presence:
    """Where a resident is, by their newest swipe; an older swipe never changes it."""

    resident_id: str
    state: Direction
    last_ts: str
    reader_id: str
    building_id: str

    def superseded_by(self, ts: str) -> bool:
        return ts > self.last_ts
