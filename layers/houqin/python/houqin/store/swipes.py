"""The swipes table: every gate swipe once, quarantined messages, and each reader's progress.

Access patterns (Queries and GetItems only, no index):
- a gate's day (reports, duty stats) .. pk = "GATE#<building>#<local day>"
  - one resident's swipes that day .... sk begins_with "RES#<resident>#" (in time order)
  - unknown cards / visitors that day . sk begins_with "CARD#"
  a swipe is sk = "<RES#resident | CARD#card>#<ts>#<reader>#<seq>": the same swipe sent again makes the same key,
  so storing it again overwrites it with itself (batch writes, no condition). Which seqs are new is the reader's
  progress's to say (houqin.services.swipes); a seq inside a gap of it is looked up by key (``existing``).
- quarantined input of a day .......... pk = "QUARANTINE#<local day received>", sk = "<received_at>#<msg>#<n>"
- a reader's progress ................. pk = "READERS#<building>", sk = "READER#<reader>"
- progress of a building's readers .... pk = "READERS#<building>", sk begins_with "READER#" (one Query:
                                        the night roll and silent-reader alarms read all watermarks)

Cost: a new swipe is one put of a ~0.3 KB item (1 WCU, in a BatchWriteItem of up to 25); a repeat the
progress knows writes nothing. The swipe is keyed where it is read, so no index copies it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute

from houqin.clock import local_day, to_iso
from houqin.domain.swipes import Gap, ReaderProgress, Rejected, Swipe
from houqin.settings import settings
from houqin.store.base import condition_held, conditional_writes, find, key, save_all, table_base
from houqin.store.paging import Page, query_page

SwipesTable = table_base("SwipesTable", "swipes")
MAX_RAW = 60_000  # characters of a rejected body kept (a message is at most ~12 KB; anything bigger is junk)


def gate_day_key(building_id: str, day: date) -> str:
    return key("GATE", building_id, day.isoformat())


class SwipeItem(SwipesTable):
    reader_id = UnicodeAttribute()
    seq = NumberAttribute()
    card_id = UnicodeAttribute()
    direction = UnicodeAttribute()
    ts = UnicodeAttribute()
    building_id = UnicodeAttribute()  # the gate's building
    resident_id = UnicodeAttribute(null=True)  # None: a card no resident holds (visitor / unknown)
    received_at = UnicodeAttribute()

    @classmethod
    def make(cls, swipe: Swipe, building_id: str, resident_id: str | None, received_at: datetime) -> SwipeItem:
        ts = to_iso(swipe.ts)
        who = key("RES", resident_id) if resident_id else key("CARD", swipe.card_id)
        return cls(pk=gate_day_key(building_id, local_day(swipe.ts, settings().tz)),
                   sk=key(who, ts, swipe.reader_id, swipe.seq), reader_id=swipe.reader_id, seq=swipe.seq,
                   card_id=swipe.card_id, direction=swipe.direction.value, ts=ts, building_id=building_id,
                   resident_id=resident_id, received_at=to_iso(received_at))

    def view(self) -> dict[str, object]:
        return {"reader_id": self.reader_id, "seq": int(self.seq), "card_id": self.card_id,
                "direction": self.direction, "ts": self.ts, "building_id": self.building_id,
                "resident_id": self.resident_id}


class QuarantineItem(SwipesTable):
    """Input that could not be stored, kept with the reason and the raw text (never dropped)."""

    reason = UnicodeAttribute()
    field = UnicodeAttribute(null=True)
    raw = UnicodeAttribute()
    truncated = NumberAttribute(default=0)  # characters cut from raw
    reader_id = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute()
    received_at = UnicodeAttribute()

    @classmethod
    def make(cls, rejected: Rejected, message_id: str, index: int, received_at: datetime,
             reader_id: str | None) -> QuarantineItem:
        at = to_iso(received_at)
        return cls(pk=key("QUARANTINE", local_day(received_at, settings().tz).isoformat()),
                   sk=key(at, message_id, f"{index:03d}"), reason=rejected.reason, field=rejected.field,
                   raw=rejected.raw[:MAX_RAW], truncated=max(0, len(rejected.raw) - MAX_RAW),
                   reader_id=reader_id, message_id=message_id, received_at=at)

    def view(self) -> dict[str, object]:
        return {"reason": self.reason, "field": self.field, "raw": self.raw, "truncated": int(self.truncated),
                "reader_id": self.reader_id, "message_id": self.message_id, "received_at": self.received_at}


class ReaderProgressItem(SwipesTable):
    reader_id = UnicodeAttribute()
    building_id = UnicodeAttribute()  # the reader's building (its partition)
    max_seq = NumberAttribute(null=True)
    max_seq_ts = UnicodeAttribute(null=True)
    first_seq = NumberAttribute(null=True)
    gaps = JSONAttribute(default=list)
    last_sent_at = UnicodeAttribute(null=True)
    last_message_at = UnicodeAttribute(null=True)
    watermark = UnicodeAttribute(null=True)  # stored for readers of the item (alarm checks, the console)
    messages = NumberAttribute(default=0)
    swipes = NumberAttribute(default=0)
    duplicates = NumberAttribute(default=0)
    version = VersionAttribute()

    def progress(self) -> ReaderProgress:
        return ReaderProgress(
            max_seq=None if self.max_seq is None else int(self.max_seq), max_seq_ts=self.max_seq_ts,
            first_seq=None if self.first_seq is None else int(self.first_seq),
            gaps=tuple(_gap(g) for g in self.gaps or ()),
            last_sent_at=self.last_sent_at, last_message_at=self.last_message_at, messages=int(self.messages),
            swipes=int(self.swipes), duplicates=int(self.duplicates))

    def set(self, progress: ReaderProgress) -> None:
        self.max_seq, self.max_seq_ts, self.first_seq = progress.max_seq, progress.max_seq_ts, progress.first_seq
        self.gaps = [[g.first, g.last, g.missing, g.since] for g in progress.gaps]  # compact: the item stays < 1 KB
        self.last_sent_at, self.last_message_at = progress.last_sent_at, progress.last_message_at
        self.watermark = progress.watermark
        self.messages, self.swipes, self.duplicates = progress.messages, progress.swipes, progress.duplicates


def _gap(stored: Any) -> Gap:
    """A gap as stored: [first, last, missing, since], or the {"first": ...} of items written before that."""
    first, last, missing, since = (stored["first"], stored["last"], stored["missing"], stored["since"]) \
        if isinstance(stored, dict) else stored
    return Gap(int(first), int(last), int(missing), since)


# ---------------------------------------------------------------- repository
def existing(items: Iterable[SwipeItem]) -> dict[tuple[str, str], SwipeItem]:
    """Those of ``items`` already stored, by (pk, sk): one consistent BatchGetItem per 100."""
    keys = list({(item.pk, item.sk) for item in items})
    return {(item.pk, item.sk): item for item in SwipeItem.batch_get(keys, consistent_read=True)} if keys else {}


def put_all(items: Iterable[SwipeItem]) -> int:
    """Store swipes (BatchWriteItem, 25 a call, unprocessed items retried): a swipe stored again is itself."""
    return save_all(SwipeItem, items)


def insert_all(items: Sequence[SwipeItem]) -> list[bool | None]:
    """Store swipes not stored yet: a PartiQL INSERT each (a conditional put, 1 WCU either way), 25 a
    BatchExecuteStatement. Per item: True stored now, False already stored (by a replay, a batch side by side, or
    this message's earlier attempt), None failed (to retry)."""
    return conditional_writes(SwipeItem, [_insert(item) for item in items])


def _insert(item: SwipeItem) -> tuple[str, list[dict[str, Any]]]:
    values = item.serialize()
    names = sorted(values)
    entries = ", ".join(f"'{name}': ?" for name in names)
    return f'INSERT INTO "{SwipeItem.Meta.table_name}" VALUE {{{entries}}}', [values[name] for name in names]


def quarantine(items: list[QuarantineItem]) -> None:
    with QuarantineItem.batch_write() as writer:
        for item in items:
            writer.save(item)


def quarantined(day: date, *, limit: int, cursor: str | None) -> Page:
    return query_page(QuarantineItem.query, "pk", key("QUARANTINE", day.isoformat()), limit=limit, cursor=cursor,
                      scan_index_forward=False)


def progress_key(building_id: str) -> str:
    """The partition holding the progress of every reader of a building."""
    return key("READERS", building_id)


def reader_progress(reader_id: str, building_id: str, consistent: bool = False) -> ReaderProgressItem:
    """A reader's progress; a fresh (unsaved) item when it has none yet."""
    found = find(ReaderProgressItem, progress_key(building_id), key("READER", reader_id), consistent_read=consistent)
    return found or reader_progress_item(reader_id, building_id)


def building_progress(building_id: str) -> dict[str, ReaderProgressItem]:
    """The progress of every reader of a building that has any, by reader id (one Query)."""
    items = ReaderProgressItem.query(progress_key(building_id), ReaderProgressItem.sk.startswith("READER#"))
    return {item.reader_id: item for item in items}


def progress_of(readers: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ReaderProgressItem]:
    """The progress of some (reader, building)s, read consistently in one BatchGetItem; fresh items for readers
    with none yet."""
    fresh = {(r, b): reader_progress_item(r, b) for r, b in set(readers)}
    found = {(item.reader_id, item.building_id): item for item in ReaderProgressItem.batch_get(
        [(item.pk, item.sk) for item in fresh.values()], consistent_read=True)} if fresh else {}
    return {reader: found.get(reader) or item for reader, item in fresh.items()}


def reader_progress_item(reader_id: str, building_id: str) -> ReaderProgressItem:
    return ReaderProgressItem(pk=progress_key(building_id), sk=key("READER", reader_id), reader_id=reader_id,
                              building_id=building_id)


def save_progress(item: ReaderProgressItem) -> bool:
    """Write a reader's progress if nobody else did since it was read; False when they did (read again)."""
    return condition_held(item.save)  # the version attribute makes the save conditional


def gate_day(building_id: str, day: date, prefix: str = "") -> Iterator[SwipeItem]:
    """A gate's swipes of one local day; ``prefix`` "RES#<id>#" for one resident, "CARD#" for unknown cards."""
    condition = SwipeItem.sk.startswith(prefix) if prefix else None
    return SwipeItem.query(gate_day_key(building_id, day), condition)


def resident_day(building_id: str, day: date, resident_id: str) -> Iterator[SwipeItem]:
    return gate_day(building_id, day, key("RES", resident_id) + "#")
