"""An in-memory fake of the swipes table (houqin.store.swipes): swipes by key (storing one again overwrites it
with itself), the quarantine, and each reader's progress saved only over the version read (as the store's
VersionAttribute does)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from houqin.store.base import key
from houqin.store.paging import Page
from houqin.store.swipes import QuarantineItem, ReaderProgressItem, SwipeItem, gate_day_key, reader_progress_item


@dataclass
class FakeSwipes:
    items: dict[tuple[str, str], SwipeItem] = field(default_factory=dict)
    quarantine_items: list[QuarantineItem] = field(default_factory=list)
    progress: dict[tuple[str, str], ReaderProgressItem] = field(default_factory=dict)
    puts: int = 0  # every swipe written, rewrites included
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def existing(self, items: Iterable[SwipeItem]) -> dict[tuple[str, str], SwipeItem]:
        return {(i.pk, i.sk): copy.deepcopy(self.items[i.pk, i.sk]) for i in items if (i.pk, i.sk) in self.items}

    def insert_all(self, items: Sequence[SwipeItem]) -> list[bool | None]:
        """The store's conditional INSERTs: an item whose key is stored is refused (False)."""
        answers: list[bool | None] = []
        with self._lock:
            for item in items:
                answers.append((item.pk, item.sk) not in self.items)
                if answers[-1]:
                    self.items[item.pk, item.sk] = copy.deepcopy(item)
                    self.puts += 1
        return answers

    def by_identity(self) -> dict[tuple[str, int], SwipeItem]:
        """The stored swipes by (reader, seq): a test's view of "stored once"."""
        found: dict[tuple[str, int], SwipeItem] = {}
        for item in self.items.values():
            identity = (item.reader_id, int(item.seq))
            assert identity not in found, f"swipe {identity} stored twice"
            found[identity] = item
        return found

    def quarantine(self, items: list[QuarantineItem]) -> None:
        self.quarantine_items += items

    def quarantined(self, day: date, *, limit: int, cursor: str | None) -> Page:
        wanted = key("QUARANTINE", day.isoformat())
        return Page(sorted((q for q in self.quarantine_items if q.pk == wanted), key=lambda q: q.sk,
                           reverse=True)[:limit], None)

    def progress_of(self, readers: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ReaderProgressItem]:
        return {(r, b): self.reader_progress(r, b, consistent=True) for r, b in set(readers)}

    def reader_progress(self, reader_id: str, building_id: str, consistent: bool = False) -> ReaderProgressItem:
        found = self.progress.get((building_id, reader_id))
        return copy.deepcopy(found) if found else reader_progress_item(reader_id, building_id)

    def save_progress(self, item: ReaderProgressItem) -> bool:
        with self._lock:
            current = self.progress.get((item.building_id, item.reader_id))
            if (current.version if current else None) != item.version:
                return False
            item.version = int(item.version or 0) + 1
            self.progress[item.building_id, item.reader_id] = copy.deepcopy(item)
            return True

    def building_progress(self, building_id: str) -> dict[str, ReaderProgressItem]:
        return {r: copy.deepcopy(p) for (b, r), p in self.progress.items() if b == building_id}

    def gate_day(self, building_id: str, day: date, prefix: str = "") -> Iterator[SwipeItem]:
        gate = gate_day_key(building_id, day)
        return iter(sorted((s for s in self.items.values() if s.pk == gate and s.sk.startswith(prefix)),
                           key=lambda s: s.sk))

    def resident_day(self, building_id: str, day: date, resident_id: str) -> Iterator[SwipeItem]:
        return self.gate_day(building_id, day, key("RES", resident_id) + "#")
