"""Ingesting gate swipes (functions/swipes/app.py is the SQS glue) and reading them back by permission.

One SQS record is one reader message. ``ingest`` stores what can be stored and quarantines the
rest with its reason; it raises only for infrastructure errors, so SQS retries just that record.
Retrying is safe: every swipe write is conditional (dedupe guard, then presence only if newer).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Protocol, cast

from houqin.auth import Principal
from houqin.clock import Clock, local_day
from houqin.domain.actors import Role
from houqin.domain.swipes import Message, MessageRejected, ReaderProgress, Rejected, Swipe, parse_message
from houqin.errors import Forbidden, ValidationError
from houqin.services.dorm_access import DormAccess
from houqin.settings import settings
from houqin.store import dorms as dorms_store
from houqin.store import swipes as swipes_store
from houqin.store.dorms import BedEvent, Building, Presence, Reader, Resident
from houqin.store.paging import Page
from houqin.store.swipes import QuarantineItem, ReaderProgressItem, SwipeItem
from houqin.system_clock import SystemClock
from houqin.validation import date_range

log = logging.getLogger(__name__)
PROGRESS_ATTEMPTS = 5
# Threads per container for the swipes of a message (boto3 clients are thread-safe); kept across invocations.
_writers = ThreadPoolExecutor(max_workers=8, thread_name_prefix="swipe-writer")


@dataclass
class Ingested:
    """What one message did (counts), and what its reader's progress needs."""

    message_id: str
    received_at: datetime
    message: Message | None = None  # set once the message is readable and its reader known
    building_id: str | None = None  # the reader's building, set with ``message`` (its progress is kept there)
    new: list[tuple[int, datetime]] = field(default_factory=list)  # (seq, ts) stored for the first time
    duplicates: int = 0
    late: int = 0
    unknown_cards: int = 0
    quarantined: int = 0

    @property
    def stored(self) -> int:
        return len(self.new)


class SwipeRepository(Protocol):
    """What ingestion and the gate lists need of the swipes table (houqin.store.swipes in production)."""

    def put_new(self, item: SwipeItem) -> bool: ...
    def stored(self, reader_id: str, seq: int) -> SwipeItem | None: ...
    def quarantine(self, items: list[QuarantineItem]) -> None: ...
    def quarantined(self, day: date, *, limit: int, cursor: str | None) -> Page: ...
    def reader_progress(self, reader_id: str, building_id: str,
                        consistent: bool = False) -> ReaderProgressItem: ...
    def save_progress(self, item: ReaderProgressItem) -> bool: ...
    def building_progress(self, building_id: str) -> dict[str, ReaderProgressItem]: ...
    def gate_day(self, building_id: str, day: date, prefix: str = "") -> Iterable[SwipeItem]: ...
    def resident_day(self, building_id: str, day: date, resident_id: str) -> Iterable[SwipeItem]: ...


class GateDirectory(Protocol):
    """What they need of the dorms table: readers, cards, presence (houqin.store.dorms in production)."""

    def reader(self, reader_id: str) -> Reader | None: ...
    def resident_by_card(self, card_id: str) -> Resident | None: ...
    def presence(self, home_building_id: str, resident_id: str, consistent: bool = False) -> Presence | None: ...
    def set_presence(self, home_building_id: str, resident_id: str, state: str, ts: str, reader_id: str,
                     building_id: str, profile: Mapping[str, str | None] | None = None) -> bool: ...
    def bed_events_since(self, resident_id: str, since: str) -> Iterable[BedEvent]: ...
    def buildings_of_campus(self, campus_id: str) -> list[Building]: ...
    def readers_of_building(self, building_id: str) -> list[Reader]: ...


@dataclass
class Directory:
    """Readers and cards looked up once per batch (a batch often repeats both)."""

    dorms: GateDirectory
    readers: dict[str, Reader | None] = field(default_factory=dict)
    cards: dict[str, Resident | None] = field(default_factory=dict)

    def reader(self, reader_id: str) -> Reader | None:
        if reader_id not in self.readers:
            self.readers[reader_id] = self.dorms.reader(reader_id)
        return self.readers[reader_id]

    def resident(self, card_id: str) -> Resident | None:
        if card_id not in self.cards:
            self.cards[card_id] = self.dorms.resident_by_card(card_id)
        return self.cards[card_id]


class Stored(Enum):
    NEW = "new"
    LATE = "late"  # new, but older than the resident's presence: history only
    UNKNOWN_CARD = "unknown_card"
    REPEAT = "repeat"


DEFAULT_DAYS = 7
MAX_DAYS = 31
PARENT_DAYS = 14  # a parent sees recent days only
GATE_STAFF = (Role.DISPATCHER, Role.LEADER, Role.ADMIN)


class Swipes:
    """Swipe ingestion and the gate lists. Ports (houqin.ports): the swipes repository, the dorms directory
    and a clock, each defaulting to production's when left out (nothing is connected until it is used)."""

    def __init__(self, *, swipes: SwipeRepository | None = None, dorms: GateDirectory | None = None,
                 clock: Clock | None = None) -> None:
        self.swipes: SwipeRepository = swipes if swipes is not None else cast(SwipeRepository, swipes_store)
        self.dorms: GateDirectory = dorms if dorms is not None else cast(GateDirectory, dorms_store)
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.access = DormAccess(self.dorms)

    def directory(self) -> Directory:
        """A fresh lookup cache for one batch of messages."""
        return Directory(self.dorms)

    def today(self) -> date:
        return local_day(self.clock.now(), settings().tz)

    # ------------------------------------------------------------ ingesting
    def ingest(self, body: str, message_id: str, received_at: datetime, directory: Directory) -> Ingested:
        result = Ingested(message_id, received_at)
        try:
            message = parse_message(body, received_at)
        except MessageRejected as exc:
            self._quarantine(result, [Rejected(exc.reason, exc.field, body)])
            return result
        reader = directory.reader(message.reader_id)
        if reader is None:
            self._quarantine(result, [Rejected(f"unknown reader {message.reader_id!r}: register it first",
                                               "reader_id", body)], message.reader_id)
            return result
        result.message, result.building_id = message, reader.building_id
        if message.rejected:
            self._quarantine(result, list(message.rejected), message.reader_id)
        firsts = list({swipe.seq: swipe for swipe in reversed(message.swipes)}.values())  # a seq twice: the first
        result.duplicates += len(message.swipes) - len(firsts)
        # Each swipe is its own conditional writes, independent of the others: send them side by side.
        outcomes = _writers.map(lambda s: self._store(s, reader.building_id, directory, received_at), firsts)
        for swipe, outcome in zip(firsts, outcomes, strict=True):
            if outcome is Stored.REPEAT:
                result.duplicates += 1
                continue
            result.new.append((swipe.seq, swipe.ts))
            result.unknown_cards += outcome is Stored.UNKNOWN_CARD
            result.late += outcome is Stored.LATE
        return result

    def _store(self, swipe: Swipe, building_id: str, directory: Directory, received_at: datetime) -> Stored:
        resident = directory.resident(swipe.card_id)
        item = SwipeItem.make(swipe, building_id, resident.resident_id if resident else None,
                                           received_at)
        first_time = self.swipes.put_new(item)
        # A repeat is either someone else's (a replay: nothing to do) or this very SQS message's earlier
        # attempt that failed after storing the swipe (same SentTimestamp): then finish what it started.
        resumed = not first_time and self._stored_by_this_message(item)
        if not (first_time or resumed):
            return Stored.REPEAT
        if resident is None:
            return Stored.UNKNOWN_CARD
        home = resident.building_id or building_id
        if resumed:
            current = self.dorms.presence(home, resident.resident_id, consistent=True)
            if current is not None and current.last_ts >= item.ts:
                return Stored.NEW
        if self.dorms.set_presence(home, resident.resident_id, swipe.direction.value, item.ts, swipe.reader_id,
                                   building_id, dorms_store.profile_of(resident)):
            return Stored.NEW
        log.info("late swipe %s at %s: presence is newer, kept as history only", swipe.swipe_id, item.ts)
        return Stored.LATE

    def _stored_by_this_message(self, item: SwipeItem) -> bool:
        earlier = self.swipes.stored(item.reader_id, int(item.seq))
        return earlier is not None and earlier.received_at == item.received_at

    def _quarantine(self, result: Ingested, rejected: list[Rejected], reader_id: str | None = None) -> None:
        self.swipes.quarantine([QuarantineItem.make(r, result.message_id, i, result.received_at,
                                                                 reader_id)
                                for i, r in enumerate(rejected)])
        result.quarantined += len(rejected)
        log.warning("quarantined %d from message %s: %s", len(rejected), result.message_id, rejected[0].reason)

    def record_progress(self, results: Iterable[Ingested]) -> list[str]:
        """Advance each reader's progress once for the batch; the message ids whose reader could not be saved."""
        by_reader: dict[tuple[str, str], list[tuple[Message, Ingested]]] = defaultdict(list)
        for result in results:
            if result.message and result.building_id:
                by_reader[result.message.reader_id, result.building_id].append((result.message, result))
        failed: list[str] = []
        for (reader_id, building_id), done in by_reader.items():
            try:
                saved = self._advance(reader_id, building_id, done)
            except Exception:
                log.exception("saving progress of reader %s failed", reader_id)
                saved = False
            if not saved:
                failed += [result.message_id for _, result in done]
        return failed

    def _advance(self, reader_id: str, building_id: str, done: list[tuple[Message, Ingested]]) -> bool:
        for _ in range(PROGRESS_ATTEMPTS):  # another batch of this reader may be saving at the same moment
            item = self.swipes.reader_progress(reader_id, building_id, consistent=True)
            progress: ReaderProgress = item.progress()
            for message, result in sorted(done, key=lambda pair: pair[0].sent_at):
                progress = progress.advance(result.new, message.sent_at, result.received_at,
                                            duplicates=result.duplicates)
            item.set(progress)
            if self.swipes.save_progress(item):
                return True
        return False

    # ------------------------------------------------------------ reading, by permission
    def resident_swipes(self, principal: Principal, resident_id: str, start: date | None,
                        end: date | None) -> list[dict[str, object]]:
        """A resident's entries and exits, newest first: the student, their parent, their manager or counsellor."""
        resident = self.access.resident(principal, resident_id)
        parent_only = principal.is_parent_of(resident_id) and not principal.is_person(resident_id)
        today = self.today()
        if parent_only and start is not None and start < today - timedelta(days=PARENT_DAYS - 1):
            raise ValidationError(f"parents see the last {PARENT_DAYS} days", field="from")
        days = day_range(start, end, today, PARENT_DAYS if parent_only else MAX_DAYS)
        found = []
        for building_id in self._buildings_lived_in(resident, days[0]):
            for day in days:
                found += self.swipes.resident_day(building_id, day, resident_id)
        found.sort(key=lambda s: s.ts, reverse=True)
        if parent_only:  # entries and exits, not the gate hardware
            return [{"ts": s.ts, "direction": s.direction, "building_id": s.building_id} for s in found]
        return [s.view() for s in found]

    def _buildings_lived_in(self, resident: Resident, since: date) -> list[str]:
        """The resident's building now and any they moved out of since ``since`` (their swipes are under the gate)."""
        buildings = [resident.building_id] if resident.building_id else []
        for event in self.dorms.bed_events_since(resident.resident_id, since.isoformat()):
            if event.building_id not in buildings:
                buildings.append(event.building_id)
        return buildings

    def visible_buildings(self, principal: Principal, campus_id: str) -> list[Building]:
        buildings = self.dorms.buildings_of_campus(campus_id)
        if principal.has_role(*GATE_STAFF):
            return buildings
        if principal.has_role(Role.DORM_MANAGER):
            mine = self.access.managed_buildings(principal)
            return [b for b in buildings if b.building_id in mine]
        raise Forbidden("gate data is for the duty desk, dorm managers and leaders")

    def unknown_cards(self, principal: Principal, campus_id: str, day: date) -> list[dict[str, object]]:
        """Cards no resident holds, swiped at the campus's gates that day: visitors for the duty desk to check."""
        found = []
        for building in self.visible_buildings(principal, campus_id):
            found += [s.view() for s in self.swipes.gate_day(building.building_id, day, "CARD#")]
        return sorted(found, key=lambda s: str(s["ts"]), reverse=True)

    def reader_progress(self, principal: Principal, building_id: str) -> list[dict[str, object]]:
        if not principal.has_role(*GATE_STAFF):
            self.access.building(principal, building_id)  # 404 unless it is the caller's building
        readers = self.dorms.readers_of_building(building_id)
        stored = self.swipes.building_progress(building_id)  # one Query for every reader's progress
        return [{"reader_id": r.reader_id, "building_id": r.building_id, "entrance": r.entrance,
                 **(stored[r.reader_id].progress() if r.reader_id in stored else ReaderProgress()).as_dict()}
                for r in readers]

    def quarantined(self, principal: Principal, day: date, limit: int, cursor: str | None) -> Page:
        principal.require_role(Role.ADMIN, Role.DISPATCHER)
        return self.swipes.quarantined(day, limit=limit, cursor=cursor)


def day_range(start: date | None, end: date | None, today: date, max_days: int) -> list[date]:
    end = end or today
    return date_range(start or end - timedelta(days=DEFAULT_DAYS - 1), end, max_days, field="from")
