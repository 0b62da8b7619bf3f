"""The swipes table: every gate swipe once, quarantined messages, and each reader's progress.

Access patterns (Queries and GetItems only):
- a swipe, by its identity ............ pk = "SWIPE#<reader>#<seq>", sk = "SWIPE" (the dedupe guard:
                                        a conditional put, so a replay days later writes nothing)
- a gate's day (reports, duty stats) .. GSI1 gsi1pk = "GATE#<building>#<local day>"
  - one resident's swipes that day .... gsi1sk begins_with "RES#<resident>#" (in time order)
  - unknown cards / visitors that day . gsi1sk begins_with "CARD#"
- quarantined input of a day .......... pk = "QUARANTINE#<local day received>", sk = "<received_at>#<msg>#<n>"
- a reader's progress ................. pk = "READERS#<building>", sk = "READER#<reader>"
- progress of a building's readers .... pk = "READERS#<building>", sk begins_with "READER#" (one Query:
                                        the night roll and silent-reader alarms read all watermarks)

Cost: a new swipe is one 1 KB put plus its one index copy (2 WCU); a repeat is one refused
conditional put (1 WCU). The gate-day index is the only one: per-resident history and every
report read contiguous ranges of it, so no second index is paid on each swipe.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute

from houqin.clock import local_day, to_iso
from houqin.domain.swipes import Gap, ReaderProgress, Rejected, Swipe
from houqin.settings import settings
from houqin.store.base import Gsi1, condition_held, find, key, table_base
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
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_gate_day = Gsi1()

    @classmethod
    def make(cls, swipe: Swipe, building_id: str, resident_id: str | None, received_at: datetime) -> SwipeItem:
        ts = to_iso(swipe.ts)
        who = key("RES", resident_id) if resident_id else key("CARD", swipe.card_id)
        return cls(pk=key("SWIPE", swipe.reader_id, swipe.seq), sk="SWIPE", reader_id=swipe.reader_id,
                   seq=swipe.seq, card_id=swipe.card_id, direction=swipe.direction.value, ts=ts,
                   building_id=building_id, resident_id=resident_id, received_at=to_iso(received_at),
                   gsi1pk=gate_day_key(building_id, local_day(swipe.ts, settings().tz)),
                   gsi1sk=key(who, ts, swipe.reader_id, swipe.seq))

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
            gaps=tuple(Gap(int(g["first"]), int(g["last"]), int(g["missing"]), g["since"]) for g in self.gaps or ()),
            last_sent_at=self.last_sent_at, last_message_at=self.last_message_at, messages=int(self.messages),
            swipes=int(self.swipes), duplicates=int(self.duplicates))

    def set(self, progress: ReaderProgress) -> None:
        self.max_seq, self.max_seq_ts = progress.max_seq, progress.max_seq_ts
        self.gaps = [g.as_dict() for g in progress.gaps]
        self.last_sent_at, self.last_message_at = progress.last_sent_at, progress.last_message_at
        self.watermark = progress.watermark
        self.messages, self.swipes, self.duplicates = progress.messages, progress.swipes, progress.duplicates


# ---------------------------------------------------------------- repository
def stored(reader_id: str, seq: int) -> SwipeItem | None:
    return find(SwipeItem, key("SWIPE", reader_id, seq), "SWIPE")


def put_new(item: SwipeItem) -> bool:
    """Store a swipe unless its identity is already stored; False for a repeat."""
    return condition_held(lambda: item.save(condition=SwipeItem.pk.does_not_exist()))


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
    return found or ReaderProgressItem(pk=progress_key(building_id), sk=key("READER", reader_id),
                                       reader_id=reader_id, building_id=building_id)


def building_progress(building_id: str) -> dict[str, ReaderProgressItem]:
    """The progress of every reader of a building that has any, by reader id (one Query)."""
    items = ReaderProgressItem.query(progress_key(building_id), ReaderProgressItem.sk.startswith("READER#"))
    return {item.reader_id: item for item in items}


def save_progress(item: ReaderProgressItem) -> bool:
    """Write a reader's progress if nobody else did since it was read; False when they did (read again)."""
    return condition_held(item.save)  # the version attribute makes the save conditional


def gate_day(building_id: str, day: date, prefix: str = "") -> Iterator[SwipeItem]:
    """A gate's swipes of one local day; ``prefix`` "RES#<id>#" for one resident, "CARD#" for unknown cards."""
    condition = SwipeItem.gsi1sk.startswith(prefix) if prefix else None
    return SwipeItem.by_gate_day.query(gate_day_key(building_id, day), condition)


def resident_day(building_id: str, day: date, resident_id: str) -> Iterator[SwipeItem]:
    return gate_day(building_id, day, key("RES", resident_id) + "#")
