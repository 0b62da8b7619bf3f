"""Automatic bed assignment (自动分房): which student goes into which bed of the planned rooms.

Pure and deterministic: the same students and rooms give the same plan, whatever order they
arrive in. The rules, in order of importance:

1. genders never mix: a student goes only into a room of their gender (Room.gender) whose
   current residents are all of that gender too;
2. rooms already partly filled are filled before an empty room is opened, and an opened room
   is filled before the next one is (no half-empty rooms while students wait);
3. a class (Resident.class_name) stays together: a partly filled room first takes students of
   its residents' classes, then classes fill rooms one after another, so a class shares a room
   with the next class only with its leftovers (at most one shared room per class boundary);
4. everyone who cannot be placed is reported with a reason, never dropped.

Also a building's bed counts (rooms, beds, taken, free by the gender of the room): ``tally`` counts them from
the rooms and beds, ``bed_changes`` says how a check-in, check-out, move or placement changes them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, fields, replace
from enum import StrEnum


class Reason(StrEnum):
    UNKNOWN_RESIDENT = "unknown_resident"
    DUPLICATE = "duplicate"
    ALREADY_PLACED = "already_placed"
    NO_FREE_BED = "no_free_bed"
    BED_TAKEN = "bed_taken"  # the write found the bed taken meanwhile (the service reports it)


@dataclass(frozen=True)
class Student:
    resident_id: str
    gender: str
    class_name: str
    placed: bool = False


@dataclass(frozen=True)
class Occupant:
    """Someone already living in a planned room."""

    resident_id: str
    gender: str
    class_name: str


@dataclass(frozen=True)
class PlannedRoom:
    building_id: str
    room_no: str
    gender: str
    free_beds: tuple[int, ...]
    occupants: tuple[Occupant, ...] = ()

    def accepts(self, gender: str) -> bool:
        return self.gender == gender and all(o.gender == gender for o in self.occupants)


@dataclass(frozen=True)
class Placement:
    resident_id: str
    building_id: str
    room_no: str
    bed_no: int


@dataclass(frozen=True)
class Unplaced:
    resident_id: str
    reason: Reason
    message: str


@dataclass(frozen=True)
class Plan:
    placements: tuple[Placement, ...]
    unplaced: tuple[Unplaced, ...]


def plan(requested: Sequence[str], students: Mapping[str, Student], rooms: Sequence[PlannedRoom]) -> Plan:
    """Beds for ``requested`` (resident ids) in ``rooms`` (in the planner's order); ``students`` are the known ones."""
    candidates, unplaced = screen(requested, students)
    placements: list[Placement] = []
    for gender in sorted({s.gender for s in candidates}):
        group = [s for s in candidates if s.gender == gender]
        placed, left = fill(group, rooms_for(gender, rooms))
        placements += placed
        unplaced += [Unplaced(s.resident_id, Reason.NO_FREE_BED,
                              f"no free bed for gender {gender} left in the planned rooms") for s in left]
    unplaced.sort(key=lambda u: u.resident_id)
    placements.sort(key=lambda p: p.resident_id)
    return Plan(tuple(placements), tuple(unplaced))


def screen(requested: Iterable[str], students: Mapping[str, Student]) -> tuple[list[Student], list[Unplaced]]:
    """The students to place, and those who cannot be placed at all (unknown, listed twice, already placed)."""
    seen: set[str] = set()
    candidates: list[Student] = []
    unplaced: list[Unplaced] = []
    for resident_id in requested:
        student = students.get(resident_id)
        if resident_id in seen:
            unplaced.append(Unplaced(resident_id, Reason.DUPLICATE, "listed more than once: placed once"))
        elif student is None:
            unplaced.append(Unplaced(resident_id, Reason.UNKNOWN_RESIDENT, "no such resident"))
        elif student.placed:
            unplaced.append(Unplaced(resident_id, Reason.ALREADY_PLACED,
                                     "already has a bed: use a room change to move them"))
        else:
            candidates.append(student)
        seen.add(resident_id)
    return candidates, unplaced


def rooms_for(gender: str, rooms: Sequence[PlannedRoom]) -> list[PlannedRoom]:
    """The rooms a student of ``gender`` may go into: partly filled ones first, then the planner's order."""
    usable = [r for r in rooms if r.free_beds and r.accepts(gender)]
    return sorted(usable, key=lambda r: not r.occupants)  # sorted() is stable: the planner's order stays


def fill(students: Sequence[Student], rooms: Sequence[PlannedRoom]) -> tuple[list[Placement], list[Student]]:
    """Place one gender's students into ``rooms`` (already ordered); answers the placements and who is left."""
    free = [sorted(r.free_beds) for r in rooms]
    queues = {name: deque(sorted(members, key=lambda s: s.resident_id))
              for name, members in _by_class(students).items()}
    placements: list[Placement] = []

    def put(room_index: int, queue: deque[Student]) -> None:
        room = rooms[room_index]
        while queue and free[room_index]:
            placements.append(Placement(queue.popleft().resident_id, room.building_id, room.room_no,
                                        free[room_index].pop(0)))

    # A partly filled room first takes classmates of the people already in it.
    for index, room in enumerate(rooms):
        for class_name in _classes_by_size(room.occupants):
            if class_name in queues:
                put(index, queues[class_name])
    # Then class after class into the rooms in order: a room is full before the next one opens.
    current = 0
    for class_name in sorted(queues):
        queue = queues[class_name]
        while queue and current < len(rooms):
            put(current, queue)
            if not free[current]:
                current += 1
    left = [s for name in sorted(queues) for s in queues[name]]
    return placements, left


def _by_class(students: Iterable[Student]) -> dict[str, list[Student]]:
    classes: dict[str, list[Student]] = {}
    for student in students:
        classes.setdefault(student.class_name, []).append(student)
    return classes


def _classes_by_size(occupants: Iterable[Occupant]) -> list[str]:
    """The classes living in a room, the most numerous first (ties by name)."""
    counts: dict[str, int] = {}
    for occupant in occupants:
        counts[occupant.class_name] = counts.get(occupant.class_name, 0) + 1
    return sorted(counts, key=lambda name: (-counts[name], name))


# ---------------------------------------------------------------- a building's bed counts (GET /buildings)
FREE = {"M": "free_m", "F": "free_f"}  # a room is for men or for women (Room.gender): its free beds count there


@dataclass(frozen=True)
class BedCounts:
    """A building's rooms, beds, beds taken and empty beds by their room's gender; or a change of these."""

    rooms: int = 0
    beds: int = 0
    occupied: int = 0
    free_m: int = 0
    free_f: int = 0

    def __add__(self, other: BedCounts) -> BedCounts:
        return BedCounts(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    @property
    def free(self) -> int:
        return self.beds - self.occupied

    @property
    def free_by_gender(self) -> dict[str, int]:
        return {gender: getattr(self, name) for gender, name in FREE.items()}

    def items(self) -> list[tuple[str, int]]:
        """(field, value) pairs: the store keeps each field as a number attribute of the same name."""
        return [(f.name, getattr(self, f.name)) for f in fields(self)]


def tally(rooms: Iterable[tuple[str, str]], beds: Iterable[tuple[str, bool]]) -> BedCounts:
    """Count a building from its rooms (room_no, gender) and beds (room_no, taken). An empty bed is free for its
    room's gender (not for the gender of who slept there last); one of a room not found, or of another gender, for
    none."""
    gender_of = dict(rooms)
    taken = free = 0
    free_by: dict[str, int] = dict.fromkeys(FREE.values(), 0)
    for room_no, occupied in beds:
        if occupied:
            taken += 1
            continue
        free += 1
        name = FREE.get(gender_of.get(room_no, ""))
        if name:
            free_by[name] += 1
    return BedCounts(rooms=len(gender_of), beds=taken + free, occupied=taken, **free_by)


def bed_changes(changes: Iterable[tuple[str, str | None, int]]) -> dict[str, BedCounts]:
    """How each building's counts change when beds are taken or freed: one (building, the bed's room's gender,
    +1 taken / -1 freed) per bed. A building whose counts come out unchanged (a move between two rooms of one
    gender in one building) is left out: nothing to write."""
    total: dict[str, BedCounts] = {}
    for building_id, gender, taken in changes:
        change = BedCounts(occupied=taken)
        name = FREE.get(gender or "")
        if name:
            change = replace(change, **{name: -taken})
        total[building_id] = total.get(building_id, BedCounts()) + change
    return {building_id: change for building_id, change in total.items() if change != BedCounts()}
