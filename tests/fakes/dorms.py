"""In-memory fakes of the dorms table (houqin.store.dorms) and of the leaves the roll reads (houqin.store.leave).

They hold the store's own item classes (PynamoDB models are plain objects until saved), hand out copies (as a
read from DynamoDB would) and keep the store's conditions: a bed is taken only while empty, a resident placed
only while unplaced, presence moved only by a newer swipe, an assignment run claimed once, at most 100 items a
transaction. The buildings' bed counts change only by the ``counts`` a bed change is given (as in the store), so a
test can compare them with a recount from the beds (``recount``, the store's ``recount``).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from houqin.domain.beds import BedCounts
from houqin.domain.leave import LeaveRequest
from houqin.errors import Conflict
from houqin.store.dorms import (
    AssignmentRun,
    Bed,
    BedEvent,
    Building,
    BuildingPartition,
    Campus,
    Card,
    CounsellorScope,
    Presence,
    PresenceMove,
    Reader,
    Resident,
    Room,
)
from houqin.store.paging import Page

BedRef = tuple[str, str, int]


@dataclass
class FakeDorms:
    campus: dict[str, Campus] = field(default_factory=dict)
    buildings: dict[str, Building] = field(default_factory=dict)
    rooms: dict[tuple[str, str], Room] = field(default_factory=dict)
    bed_items: dict[BedRef, Bed] = field(default_factory=dict)
    people: dict[str, Resident] = field(default_factory=dict)
    readers: dict[str, Reader] = field(default_factory=dict)
    managers: dict[str, set[str]] = field(default_factory=dict)
    scopes: dict[str, CounsellorScope] = field(default_factory=dict)
    presence_items: dict[tuple[str, str], Presence] = field(default_factory=dict)
    events: list[BedEvent] = field(default_factory=list)
    runs: dict[str, AssignmentRun] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # ------------------------------------------------------------ building the world
    def add_building(self, building_id: str, campus_id: str = "C1", readers: Iterable[str] = (),
                     rooms: Iterable[tuple[str, str, int]] = ()) -> Building:
        """A building with its rooms: (room_no, gender, number of beds), every bed empty."""
        self.campus.setdefault(campus_id, Campus.make(campus_id, f"campus {campus_id}"))
        building = Building.make(building_id, campus_id, f"building {building_id}", 6, readers=readers)
        self.buildings[building_id] = building
        for reader_id in building.readers:
            self.readers[reader_id] = Reader.make(reader_id, building_id, "main")
        for room_no, gender, beds in rooms:
            self.rooms[building_id, room_no] = Room.make(building_id, room_no, int(room_no[0]), gender, beds)
            for bed_no in range(1, beds + 1):
                self.bed_items[building_id, room_no, bed_no] = Bed.make(building_id, room_no, bed_no, None)
        self.recount(building_id)
        return building

    def add_resident(self, resident_id: str, gender: str = "M", class_name: str = "计科1班",
                     card_id: str | None = None, bed: BedRef | None = None, **fields: Any) -> Resident:
        person = Resident.make(resident_id, card_id or f"C{resident_id}", name=f"name {resident_id}", gender=gender,
                               class_name=class_name, department=fields.pop("department", "计算机学院"),
                               grade=fields.pop("grade", "2026"), **fields)
        self.people[resident_id] = person
        if bed is not None:
            self._place(resident_id, *bed)
            self.recount(bed[0])
        return person

    def add_manager(self, staff_id: str, *building_ids: str) -> None:
        self.managers.setdefault(staff_id, set()).update(building_ids)

    def occupant(self, building_id: str, room_no: str, bed_no: int) -> str | None:
        return self.bed_items[building_id, room_no, bed_no].resident_id

    def recount(self, building_id: str) -> BedCounts:
        """The store's recount: the building's counts from its rooms and beds, stored on it."""
        counts = self.building_partition(building_id, rooms_only=True).counts()
        for name, value in counts.items():
            setattr(self.buildings[building_id], name, value)
        return counts

    # ------------------------------------------------------------ reads
    def building(self, building_id: str) -> Building | None:
        return copy.deepcopy(self.buildings.get(building_id))

    def resident(self, resident_id: str, consistent: bool = False) -> Resident | None:
        return copy.deepcopy(self.people.get(resident_id))

    def cards(self, card_ids: Iterable[str]) -> dict[str, Card]:
        """The store's card items, kept with each resident's placement (as the bed transactions write them)."""
        wanted = set(card_ids)
        return {r.card_id: r.card() for r in self.people.values() if r.card_id in wanted}

    def reader(self, reader_id: str) -> Reader | None:
        return copy.deepcopy(self.readers.get(reader_id))

    def readers_by_id(self, reader_ids: Iterable[str]) -> dict[str, Reader]:
        return {r: copy.deepcopy(self.readers[r]) for r in set(reader_ids) if r in self.readers}

    def managed_by(self, staff_id: str) -> frozenset[str]:
        return frozenset(self.managers.get(staff_id, ()))

    def counsellor_scope(self, person_id: str) -> CounsellorScope | None:
        return self.scopes.get(person_id)

    def bed_events_since(self, resident_id: str, since: str) -> Iterator[BedEvent]:
        return iter([e for e in self.events if e.resident_id == resident_id and e.at >= since])

    def campuses(self) -> list[Campus]:
        return list(self.campus.values())

    def buildings_of_campus(self, campus_id: str) -> list[Building]:
        return [copy.deepcopy(b) for b in sorted(self.buildings.values(), key=lambda b: b.building_id)
                if b.campus_id == campus_id]

    def readers_of_building(self, building_id: str) -> list[Reader]:
        return [r for r in self.readers.values() if r.building_id == building_id]

    def building_partition(self, building_id: str, rooms_only: bool = False) -> BuildingPartition:
        partition = BuildingPartition(
            rooms=[copy.deepcopy(r) for (b, _), r in sorted(self.rooms.items()) if b == building_id],
            beds=[copy.deepcopy(bed) for (b, _, _), bed in sorted(self.bed_items.items()) if b == building_id])
        if not rooms_only:
            partition.building = self.building(building_id)
            partition.presence = {r: copy.deepcopy(p) for (b, r), p in self.presence_items.items() if b == building_id}
        return partition

    def room(self, building_id: str, room_no: str) -> Room | None:
        return copy.deepcopy(self.rooms.get((building_id, room_no)))

    def room_with_beds(self, building_id: str, room_no: str) -> tuple[Room | None, list[Bed]]:
        room = self.rooms.get((building_id, room_no))
        beds = [copy.deepcopy(b) for (bid, rno, _), b in sorted(self.bed_items.items())
                if (bid, rno) == (building_id, room_no)]
        return copy.deepcopy(room), beds if room else []

    def residents_of_building(self, building_id: str) -> list[Resident]:
        return [copy.deepcopy(r) for r in self.people.values() if r.building_id == building_id]

    def residents(self, resident_ids: Iterable[str]) -> dict[str, Resident]:
        return {r: copy.deepcopy(self.people[r]) for r in set(resident_ids) if r in self.people}

    def beds(self, refs: Iterable[BedRef]) -> dict[BedRef, Bed]:
        return {ref: copy.deepcopy(self.bed_items[ref]) for ref in set(refs) if ref in self.bed_items}

    def bed_history(self, resident_id: str, *, limit: int, cursor: str | None) -> Page:
        mine = [e for e in reversed(self.events) if e.resident_id == resident_id]
        return Page(mine[:limit], None)

    # ------------------------------------------------------------ presence (the gates and the roll)
    def presence(self, home_building_id: str, resident_id: str, consistent: bool = False) -> Presence | None:
        return copy.deepcopy(self.presence_items.get((home_building_id, resident_id)))

    def set_presence(self, home_building_id: str, resident_id: str, state: str, ts: str, reader_id: str,
                     building_id: str) -> bool:
        with self._lock:
            current = self.presence_items.get((home_building_id, resident_id))
            if current is not None and current.last_ts >= ts:
                return False  # the store's condition: only a newer swipe moves presence
            self.presence_items[home_building_id, resident_id] = Presence.make(
                home_building_id, resident_id, state, ts, reader_id, building_id)
            return True

    def move_presence(self, moves: Sequence[PresenceMove]) -> list[bool | None]:
        """The store's PartiQL UPDATE: only a stored presence holding an older swipe moves."""
        moved: list[bool | None] = []
        with self._lock:
            for m in moves:
                current = self.presence_items.get((m.home_building_id, m.resident_id))
                moved.append(current is not None and current.last_ts < m.ts)
                if moved[-1]:
                    self.presence_items[m.home_building_id, m.resident_id] = Presence.make(
                        m.home_building_id, m.resident_id, m.state, m.ts, m.reader_id, m.building_id)
        return moved

    def presence_of(self, residents: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Presence]:
        return {who: copy.deepcopy(self.presence_items[who]) for who in set(residents) if who in self.presence_items}

    def building_presence(self, building_id: str) -> dict[str, Presence]:
        return {r: copy.deepcopy(p) for (b, r), p in self.presence_items.items() if b == building_id}

    # ------------------------------------------------------------ bed changes (all or nothing)
    def save_settings(self, building_id: str, times: dict[str, Any]) -> Building:
        for name, value in times.items():
            setattr(self.buildings[building_id], name, value)
        return self.building(building_id)

    def check_in(self, resident: Resident, building_id: str, room_no: str, bed_no: int, event: BedEvent,
                 counts: Mapping[str, BedCounts]) -> None:
        if not self._placeable(resident.resident_id, (building_id, room_no, bed_no)):
            raise Conflict("the bed or the resident changed meanwhile", code="changed_meanwhile")
        self._place(resident.resident_id, building_id, room_no, bed_no)
        self._count(counts)
        self.events.append(event)

    def check_out(self, resident: Resident, event: BedEvent, counts: Mapping[str, BedCounts]) -> None:
        ref = (resident.building_id, resident.room_no, int(resident.bed_no))
        if self.bed_items[ref].resident_id != resident.resident_id:
            raise Conflict("the bed or the resident changed meanwhile", code="changed_meanwhile")
        self._unplace(resident.resident_id, ref)
        self.presence_items.pop((ref[0], resident.resident_id), None)
        self._count(counts)
        self.events.append(event)

    def move(self, resident: Resident, to: BedRef, event: BedEvent, current: Presence | None,
             counts: Mapping[str, BedCounts]) -> None:
        ref = (resident.building_id, resident.room_no, int(resident.bed_no))
        if self.bed_items[ref].resident_id != resident.resident_id or self.bed_items[to].resident_id:
            raise Conflict("the bed or the resident changed meanwhile", code="changed_meanwhile")
        self._unplace(resident.resident_id, ref)
        self._place(resident.resident_id, *to)
        if current is not None and to[0] != ref[0]:
            self.presence_items.pop((ref[0], resident.resident_id), None)
            self.presence_items[to[0], resident.resident_id] = current
        self._count(counts)
        self.events.append(event)

    def place_chunk(self, placements: Sequence[tuple[Resident, str, str, int]], events: Sequence[BedEvent],
                    counts: Mapping[str, BedCounts]) -> bool:
        items = 4 * len(placements) + len(counts)  # bed, resident, card, history line each; a count a building
        if items > 100:
            raise ValueError(f"a transaction of {items} items: DynamoDB takes at most 100")
        if not all(self._placeable(person.resident_id, (b, r, n)) for person, b, r, n in placements):
            return False
        for (person, building_id, room_no, bed_no), event in zip(placements, events, strict=True):
            self._place(person.resident_id, building_id, room_no, bed_no)
            self.events.append(event)
        self._count(counts)
        return True

    def _count(self, counts: Mapping[str, BedCounts]) -> None:
        """The store's _count: each building's counts change by what it is given (ADD)."""
        for building_id, change in counts.items():
            building = self.buildings[building_id]
            for name, value in (building.counts() + change).items():
                setattr(building, name, value)

    def _placeable(self, resident_id: str, ref: BedRef) -> bool:
        bed, person = self.bed_items.get(ref), self.people.get(resident_id)
        return bed is not None and not bed.resident_id and person is not None and not person.building_id

    def _place(self, resident_id: str, building_id: str, room_no: str, bed_no: int) -> None:
        self.bed_items[building_id, room_no, bed_no].resident_id = resident_id
        self.people[resident_id].place(building_id, room_no, bed_no)

    def _unplace(self, resident_id: str, ref: BedRef) -> None:
        self.bed_items[ref].resident_id = None
        person = self.people[resident_id]
        person.building_id = person.room_no = person.bed_no = person.gsi1pk = person.gsi1sk = None

    # ------------------------------------------------------------ assignment runs (idempotency)
    def assignment_run(self, request_id: str) -> AssignmentRun | None:
        return copy.deepcopy(self.runs.get(request_id))

    def claim_assignment(self, request_id: str, fingerprint: str, by: str, at: str, stale_before: str) -> bool:
        held = self.runs.get(request_id)
        if held is not None and not (held.state == "running" and held.fingerprint == fingerprint
                                     and held.started_at < stale_before):
            return False
        self.runs[request_id] = AssignmentRun(*AssignmentRun.keys(request_id), request_id=request_id,
                                              fingerprint=fingerprint, by=by, state="running", started_at=at)
        return True

    def finish_assignment(self, request_id: str, result: dict[str, Any], at: str) -> None:
        import json
        import zlib

        run = self.runs[request_id]
        run.state, run.finished_at = "done", at
        run.result = zlib.compress(json.dumps(result, ensure_ascii=False).encode())


@dataclass
class FakeLeaves:
    """The leave requests the roll reads (houqin.store.leave.leaves_of_building)."""

    by_building: dict[str, list[LeaveRequest]] = field(default_factory=dict)

    def add(self, building_id: str, leave: LeaveRequest) -> None:
        self.by_building.setdefault(building_id, []).append(leave)

    def leaves_of_building(self, building_id: str, at: datetime) -> list[LeaveRequest]:
        return [leave for leave in self.by_building.get(building_id, []) if leave.end > at]
