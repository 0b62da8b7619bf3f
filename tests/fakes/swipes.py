"""An in-memory fake of the swipes table (houqin.store.swipes): swipes once per (reader, seq), the quarantine,
and each reader's progress saved only over the version read (as the store's VersionAttribute does)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from houqin.store.base import key
from houqin.store.paging import Page
from houqin.store.swipes import QuarantineItem, ReaderProgressItem, SwipeItem, gate_day_key, progress_key


@dataclass
class FakeSwipes:
    items: dict[tuple[str, int], SwipeItem] = field(default_factory=dict)
    quarantine_items: list[QuarantineItem] = field(default_factory=list)
    progress: dict[tuple[str, str], ReaderProgressItem] = field(default_factory=dict)
    puts: int = 0  # every put asked for, repeats included
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def put_new(self, item: SwipeItem) -> bool:
        with self._lock:
            self.puts += 1
            identity = (item.reader_id, int(item.seq))
            if identity in self.items:
                return False
            self.items[identity] = copy.deepcopy(item)
            return True

    def stored(self, reader_id: str, seq: int) -> SwipeItem | None:
        return copy.deepcopy(self.items.get((reader_id, seq)))

    def quarantine(self, items: list[QuarantineItem]) -> None:
        self.quarantine_items += items

    def quarantined(self, day: date, *, limit: int, cursor: str | None) -> Page:
        wanted = key("QUARANTINE", day.isoformat())
        return Page(sorted((q for q in self.quarantine_items if q.pk == wanted), key=lambda q: q.sk,
                           reverse=True)[:limit], None)

    def reader_progress(self, reader_id: str, building_id: str, consistent: bool = False) -> ReaderProgressItem:
        found = self.progress.get((building_id, reader_id))
        return copy.deepcopy(found) if found else ReaderProgressItem(
            pk=progress_key(building_id), sk=key("READER", reader_id), reader_id=reader_id, building_id=building_id)

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
        return iter(sorted((s for s in self.items.values() if s.gsi1pk == gate and s.gsi1sk.startswith(prefix)),
                           key=lambda s: s.gsi1sk))

    def resident_day(self, building_id: str, day: date, resident_id: str) -> Iterator[SwipeItem]:
        return self.gate_day(building_id, day, key("RES", resident_id) + "#")
