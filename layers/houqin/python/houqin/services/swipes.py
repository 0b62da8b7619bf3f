"""Ingesting gate swipes (functions/swipes/app.py is the SQS glue) and reading them back by permission.

A batch of SQS records (reader messages) is ingested together, so the store is called per batch, not per swipe:

1. parse each message; whatever cannot be stored is quarantined with its reason (a record fails only when its
   quarantine cannot be written); the readers are read in one BatchGetItem;
2. each reader's progress is read (one consistent BatchGetItem): a seq it already has is a repeat and writes
   nothing;
3. cards are resolved (one BatchGetItem of the card items: each says whose it is and their home building, 0.5
   RCU; should it fail, card by card, so an unreadable card fails only its records); the other swipes are stored
   each only if not stored yet: PartiQL INSERTs (conditional puts), 25 a BatchExecuteStatement. One already
   stored is a repeat (a replay in a gap of the progress, or a batch side by side storing it first), unless
   this very message's earlier attempt stored it (looked up by key);
4. presence: per resident, only the newest swipe of the batch, and only if it is newer than the stored presence
   (read in one BatchGetItem); then one conditional update each, which a newer swipe written meanwhile refuses:
   PartiQL UPDATEs, 25 a BatchExecuteStatement (a resident's very first presence: an UpdateItem that creates it);
5. each reader's progress is advanced once, over the version read (a concurrent batch's save makes it read
   again, and a seq that batch stored counts as a repeat here).

A record fails (SQS delivers it again) only when something it needed failed: its swipes' write, its presence
update, its quarantine, its reader's progress. Whatever it stored stays; the retry stores the same items and
finishes the rest. Progress only counts records that succeeded, so a retried record's swipes are still new.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol, TypeVar, cast

from houqin import contract
from houqin.auth import Principal
from houqin.clock import Clock, local_day
from houqin.contract import Paging, date_range
from houqin.domain.actors import Role
from houqin.domain.swipes import Message, MessageRejected, ReaderProgress, Rejected, Swipe, parse_message
from houqin.errors import Forbidden, ValidationError
from houqin.services.dorm_access import DormAccess
from houqin.settings import settings
from houqin.store import dorms as dorms_store
from houqin.store import swipes as swipes_store
from houqin.store.dorms import BedEvent, Building, Card, Presence, PresenceMove, Reader, Resident
from houqin.store.paging import Page
from houqin.store.swipes import QuarantineItem, ReaderProgressItem, SwipeItem
from houqin.system_clock import SystemClock

log = logging.getLogger(__name__)
PROGRESS_ATTEMPTS = 5
# Threads per container for the calls that cannot be batched (a resident's first presence; cards one by one when
# the batch's read failed);
# boto3 clients are thread-safe; kept across invocations.
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="swipes")
_K = TypeVar("_K")
_V = TypeVar("_V")


@dataclass(frozen=True)
class Delivery:
    """One SQS record: a reader message, its SQS id and when it reached us (SentTimestamp, the same on a retry)."""

    message_id: str
    body: str
    received_at: datetime


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
    failed: bool = False  # something it needed could not be written: SQS delivers it again

    @property
    def stored(self) -> int:
        return len(self.new)


@dataclass(frozen=True)
class Candidate:
    """A swipe its reader's progress does not have, with its message's result."""

    swipe: Swipe
    result: Ingested


@dataclass(frozen=True)
class Pending:
    """A candidate with its card resolved: its item and its card (None: a card no resident holds)."""

    swipe: Swipe
    result: Ingested
    item: SwipeItem
    card: Card | None

    @property
    def key(self) -> tuple[str, str]:
        return self.item.pk, self.item.sk

    @property
    def who(self) -> tuple[str, str] | None:
        """(home building, resident) of the presence it moves; None for an unknown card."""
        if self.card is None:
            return None
        return self.card.building_id or cast(str, self.result.building_id), self.card.resident_id

    def move(self) -> PresenceMove:
        """The presence this swipe would make (a known card's only)."""
        home, resident_id = cast(tuple[str, str], self.who)
        item = self.item
        return PresenceMove(home, resident_id, item.direction, item.ts, item.reader_id, item.building_id)


class SwipeRepository(Protocol):
    """What ingestion and the gate lists need of the swipes table (houqin.store.swipes in production)."""

    def existing(self, items: Iterable[SwipeItem]) -> dict[tuple[str, str], SwipeItem]: ...
    def insert_all(self, items: Sequence[SwipeItem]) -> list[bool | None]: ...
    def quarantine(self, items: list[QuarantineItem]) -> None: ...
    def quarantined(self, day: date, *, limit: int, cursor: str | None) -> Page: ...
    def progress_of(self, readers: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ReaderProgressItem]: ...
    def reader_progress(self, reader_id: str, building_id: str,
                        consistent: bool = False) -> ReaderProgressItem: ...
    def save_progress(self, item: ReaderProgressItem) -> bool: ...
    def building_progress(self, building_id: str) -> dict[str, ReaderProgressItem]: ...
    def gate_day(self, building_id: str, day: date, prefix: str = "") -> Iterable[SwipeItem]: ...
    def resident_day(self, building_id: str, day: date, resident_id: str) -> Iterable[SwipeItem]: ...


class GateDirectory(Protocol):
    """What they need of the dorms table: readers, cards, presence (houqin.store.dorms in production)."""

    def readers_by_id(self, reader_ids: Iterable[str]) -> dict[str, Reader]: ...
    def cards(self, card_ids: Iterable[str]) -> dict[str, Card]: ...
    def presence_of(self, residents: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Presence]: ...
    def set_presence(self, home_building_id: str, resident_id: str, state: str, ts: str, reader_id: str,
                     building_id: str) -> bool: ...
    def move_presence(self, moves: Sequence[PresenceMove]) -> list[bool | None]: ...
    def bed_events_since(self, resident_id: str, since: str) -> Iterable[BedEvent]: ...
    def buildings_of_campus(self, campus_id: str) -> list[Building]: ...
    def readers_of_building(self, building_id: str) -> list[Reader]: ...


DEFAULT_DAYS = 7
MAX_DAYS = 31
PARENT_DAYS = 14  # a parent sees recent days only
GATE_STAFF = (Role.DISPATCHER, Role.LEADER, Role.ADMIN)
GATE_WATCHERS = (*GATE_STAFF, Role.DORM_MANAGER)  # unknown cards and readers: the staff, managers their buildings
# A resident's swipes: the student, their parent, their dorm manager or counsellor, leaders (houqin.services.
# dorm_access decides who sees which resident).
RESIDENT_READERS = (Role.STUDENT, Role.PARENT, Role.DORM_MANAGER, Role.COUNSELLOR, Role.LEADER, Role.ADMIN)
QUARANTINE_READERS = (Role.ADMIN, Role.DISPATCHER)
ID = r"[A-Za-z0-9_-]{1,40}"


# ---------------------------------------------------------------- inputs (declared once: parsed and documented)
# ``contract.day`` is spelt out: the fields named ``day`` would hide the bare name.
@dataclass(frozen=True)
class SwipeRange:
    """Days from ``from`` to ``to``, both included: by default the last 7 days; parents see the last 14."""

    start: date | None = contract.day(f"the first day (default: {DEFAULT_DAYS - 1} days before to)", wire="from",
                                      default=None)
    end: date | None = contract.day("the last day (default: today)", wire="to", default=None)


@dataclass(frozen=True)
class UnknownCardsQuery:
    campus_id: str = contract.text("the campus", pattern=ID, example="SB")
    day: date | None = contract.day("the day (default: today)", wire="date", default=None)


@dataclass(frozen=True)
class ReadersQuery:
    building_id: str = contract.text("the building", pattern=ID, example="SB01")


@dataclass(frozen=True)
class QuarantineQuery(Paging):
    day: date | None = contract.day("the day the messages arrived (default: today)", wire="date", default=None)


class Swipes:
    """Swipe ingestion and the gate lists. Ports (houqin.ports): the swipes repository, the dorms directory
    and a clock, each defaulting to production's when left out (nothing is connected until it is used)."""

    def __init__(self, *, swipes: SwipeRepository | None = None, dorms: GateDirectory | None = None,
                 clock: Clock | None = None) -> None:
        self.swipes: SwipeRepository = swipes if swipes is not None else cast(SwipeRepository, swipes_store)
        self.dorms: GateDirectory = dorms if dorms is not None else cast(GateDirectory, dorms_store)
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.access = DormAccess(self.dorms)

    def today(self) -> date:
        return local_day(self.clock.now(), settings().tz)

    # ------------------------------------------------------------ ingesting
    def ingest(self, deliveries: Sequence[Delivery]) -> list[Ingested]:
        """Ingest a batch of reader messages; one result per delivery, in order (``failed`` ones to retry)."""
        results = [Ingested(d.message_id, d.received_at) for d in deliveries]
        messages = self._read(deliveries, results)
        candidates, progress = self._not_yet_stored(messages)
        pending = self._resolve(candidates)
        new = self._store(pending)
        self._move_presence(new)
        self._advance(progress, [r for r in results if r.message and not r.failed])
        return results

    def _read(self, deliveries: Sequence[Delivery], results: list[Ingested]) -> list[tuple[Message, Ingested]]:
        """Parse each message and find its reader; quarantine what cannot be stored. The readable ones."""
        parsed: list[tuple[Message, Ingested, str]] = []
        quarantine: list[tuple[Ingested, list[Rejected], str | None]] = []
        for delivery, result in zip(deliveries, results, strict=True):
            try:
                parsed.append((parse_message(delivery.body, delivery.received_at), result, delivery.body))
            except MessageRejected as exc:
                quarantine.append((result, [Rejected(exc.reason, exc.field, delivery.body)], None))
            except Exception:  # a bug on one odd message must not hold up the batch: it is retried alone
                log.exception("reading message %s failed", delivery.message_id)
                result.failed = True
        readers = self.dorms.readers_by_id({message.reader_id for message, _, _ in parsed})
        readable = []
        for message, result, body in parsed:
            reader = readers.get(message.reader_id)
            if reader is None:
                quarantine.append((result, [Rejected(f"unknown reader {message.reader_id!r}: register it first",
                                                     "reader_id", body)], message.reader_id))
                continue
            result.message, result.building_id = message, reader.building_id
            if message.rejected:
                quarantine.append((result, list(message.rejected), message.reader_id))
            readable.append((message, result))
        self._quarantine(quarantine)
        return readable

    def _quarantine(self, rejected: list[tuple[Ingested, list[Rejected], str | None]]) -> None:
        items = [QuarantineItem.make(r, result.message_id, i, result.received_at, reader_id)
                 for result, reasons, reader_id in rejected for i, r in enumerate(reasons)]
        if not items:
            return
        try:
            self.swipes.quarantine(items)
        except Exception:
            log.exception("quarantining %d items failed", len(items))
            for result, _, _ in rejected:
                result.failed = True
            return
        for result, reasons, _ in rejected:
            result.quarantined += len(reasons)
            log.warning("quarantined %d from message %s: %s", len(reasons), result.message_id, reasons[0].reason)

    def _not_yet_stored(self, messages: list[tuple[Message, Ingested]]
                        ) -> tuple[list[Candidate], dict[tuple[str, str], ReaderProgressItem]]:
        """The swipes the readers' progress does not have yet (a seq twice in the batch: the first), and that
        progress as read (its version guards the save)."""
        readers = {(message.reader_id, cast(str, result.building_id)) for message, result in messages}
        progress = self.swipes.progress_of(readers) if readers else {}
        known = {reader: item.progress() for reader, item in progress.items()}
        seen: set[tuple[str, int]] = set()
        candidates = []
        for message, result in messages:
            done = known[message.reader_id, cast(str, result.building_id)]
            for swipe in message.swipes:
                if (swipe.reader_id, swipe.seq) in seen or done.has(swipe.seq):
                    result.duplicates += 1
                    continue
                seen.add((swipe.reader_id, swipe.seq))
                candidates.append(Candidate(swipe, result))
        return candidates, progress

    def _resolve(self, candidates: list[Candidate]) -> list[Pending]:
        """Each swipe's card (one no resident holds: None) and its item, the batch's cards in one read; if that
        fails, card by card, and a swipe whose card cannot be read fails its record (retried alone)."""
        card_ids = {c.swipe.card_id for c in candidates}
        try:
            cards: dict[str, tuple[bool, Card | None]] = {
                card_id: (True, card) for card_id, card in self._cards(card_ids).items()}
        except Exception:
            log.exception("looking up %d cards at once failed: one by one", len(card_ids))
            cards = _each(self._card, card_ids)
        resolved = []
        for c in candidates:
            found, card = cards[c.swipe.card_id]
            if not found:
                c.result.failed = True
                continue
            item = SwipeItem.make(c.swipe, cast(str, c.result.building_id), card.resident_id if card else None,
                                  c.result.received_at)
            resolved.append(Pending(c.swipe, c.result, item, card))
        return [p for p in resolved if not p.result.failed]

    def _cards(self, card_ids: set[str]) -> dict[str, Card | None]:
        found = self.dorms.cards(card_ids) if card_ids else {}
        return {card_id: found.get(card_id) for card_id in card_ids}

    def _card(self, card_id: str) -> tuple[bool, Card | None]:
        """(read, the card or None for a card no resident holds); (False, None) when it cannot be read."""
        try:
            return True, self._cards({card_id})[card_id]
        except Exception:
            log.exception("looking up card %s failed", card_id)
            return False, None

    def _store(self, pending: list[Pending]) -> list[Pending]:
        """Store the swipes the progress does not have, each only if not stored yet; those new (stored now, or by
        this very message's earlier attempt). One of two batches side by side with the same swipe stores it and
        the other counts a repeat: counted new twice, it would close a gap of the progress (a gap counts its
        missing seqs) while another seq is still missing."""
        try:
            answers = self.swipes.insert_all([p.item for p in pending]) if pending else []
        except Exception:
            log.exception("storing %d swipes failed", len(pending))
            answers = [None] * len(pending)
        taken = [p for p, answer in zip(pending, answers, strict=True) if answer is False]
        try:
            stored = self.swipes.existing(p.item for p in taken) if taken else {}
        except Exception:
            log.exception("looking up %d swipes failed", len(taken))
            _fail(p.result for p in taken)
            stored = {}
        new = []
        for p, answer in zip(pending, answers, strict=True):
            earlier = stored.get(p.key)
            if answer is None:
                p.result.failed = True
            elif answer or (earlier is not None and earlier.received_at == p.item.received_at):
                # stored now, or by this very message's earlier attempt (same SentTimestamp), which failed after
                # storing it: then this attempt finishes what that one started
                new.append(p)
            else:
                p.result.duplicates += 1
        new = [p for p in new if not p.result.failed]
        for p in new:
            p.result.new.append((p.swipe.seq, p.swipe.ts))
        return new

    def _move_presence(self, new: list[Pending]) -> None:
        """Presence follows each resident's newest new swipe, if it is newer than what presence holds."""
        newest: dict[tuple[str, str], Pending] = {}
        for p in new:
            who = p.who
            if who is None:
                p.result.unknown_cards += 1
            elif who not in newest or p.item.ts > newest[who].item.ts:
                newest[who] = p
        try:
            current = self.dorms.presence_of(newest) if newest else {}
        except Exception:
            log.exception("reading presence failed")
            _fail(p.result for p in newest.values())
            return
        moves = {who: p for who, p in newest.items() if _newer(p, current.get(who))}
        stored = [who for who in moves if who in current]
        written = dict(zip(stored, self._move_stored([moves[who] for who in stored]), strict=True))
        written |= _each(lambda who: self._set_presence(who, moves[who]), [w for w in moves if w not in current])
        for p in new:
            who = p.who
            if who is None:
                continue
            stored = current.get(who)
            if stored is not None and not _newer(p, stored) and not _on(p, stored):
                p.result.late += 1  # older than presence: history only
                log.info("late swipe %s at %s: presence is newer, kept as history only", p.swipe.swipe_id,
                         p.item.ts)
            elif who in written and written[who] is False:
                p.result.late += 1  # a newer swipe reached presence meanwhile
            elif who in written and written[who] is None and newest[who] is p:
                p.result.failed = True  # its retry moves presence

    def _move_stored(self, pending: list[Pending]) -> list[bool | None]:
        """Stored presences moved in batches of conditional updates; None where it failed (retried)."""
        if not pending:
            return []
        try:
            return self.dorms.move_presence([p.move() for p in pending])
        except Exception:
            log.exception("moving %d presences failed", len(pending))
            return [None] * len(pending)

    def _set_presence(self, who: tuple[str, str], p: Pending) -> bool | None:
        """A resident's first presence: one conditional update; None when it failed (the record is retried)."""
        move = p.move()
        try:
            return self.dorms.set_presence(*who, move.state, move.ts, move.reader_id, move.building_id)
        except Exception:
            log.exception("moving presence of %s failed", who[1])
            return None

    def _advance(self, progress: dict[tuple[str, str], ReaderProgressItem], done: list[Ingested]) -> None:
        """Advance each reader's progress once for the batch; a reader whose save fails fails its records."""
        by_reader: dict[tuple[str, str], list[Ingested]] = {}
        for result in done:
            message = cast(Message, result.message)
            by_reader.setdefault((message.reader_id, cast(str, result.building_id)), []).append(result)
        for reader, results in by_reader.items():
            try:
                saved = self._save_progress(progress[reader], results)
            except Exception:
                log.exception("saving progress of reader %s failed", reader[0])
                saved = False
            if not saved:
                _fail(results)

    def _save_progress(self, item: ReaderProgressItem, results: list[Ingested]) -> bool:
        for _ in range(PROGRESS_ATTEMPTS):
            before = item.progress()
            after = before
            for result in sorted(results, key=lambda r: cast(Message, r.message).sent_at):
                # What a batch side by side saved first is a repeat here: SQS can hand the same message to two
                # batches, and both see their own SentTimestamp on the swipe one of them stored.
                new = [(seq, ts) for seq, ts in result.new if not before.has(seq)]
                after = after.advance(new, cast(Message, result.message).sent_at, result.received_at,
                                      duplicates=result.duplicates + len(result.new) - len(new))
            item.set(after)
            if self.swipes.save_progress(item):
                return True
            item = self.swipes.reader_progress(item.reader_id, item.building_id, consistent=True)
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
        principal.require_role(*QUARANTINE_READERS)
        return self.swipes.quarantined(day, limit=limit, cursor=cursor)


def day_range(start: date | None, end: date | None, today: date, max_days: int) -> list[date]:
    end = end or today
    return date_range(start or end - timedelta(days=DEFAULT_DAYS - 1), end, max_days, field="from")


def _newer(p: Pending, stored: Presence | None) -> bool:
    """Whether the swipe moves presence: it is newer than what presence holds."""
    return stored is None or p.item.ts > stored.last_ts


def _on(p: Pending, stored: Presence) -> bool:
    """Whether presence already holds this very swipe (its message's earlier attempt moved it)."""
    return (p.item.ts, p.item.reader_id) == (stored.last_ts, stored.reader_id)


def _each(call: Callable[[_K], _V], keys: Iterable[_K]) -> dict[_K, _V]:
    """``call`` for each key, side by side (the calls DynamoDB cannot batch)."""
    keys = list(keys)
    return dict(zip(keys, _pool.map(call, keys), strict=True))


def _fail(results: Iterable[Ingested]) -> None:
    for result in results:
        result.failed = True
