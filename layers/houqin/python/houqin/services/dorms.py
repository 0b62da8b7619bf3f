"""The dorms use cases (学生公寓管理): buildings and free beds, the room-status map, residents, check-in,
check-out, room changes and automatic bed assignment (functions/dorms/app.py is the HTTP glue).

Who sees what is houqin.services.dorm_access (a building or resident the caller may not see is a
404). Beds change only in DynamoDB transactions whose conditions say "the bed is still empty" /
"the resident is still in that bed", so two managers racing for one bed get one 200 and one 409.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from houqin.auth import Principal
from houqin.clock import Clock, to_iso
from houqin.contract import flag, items, text, whole
from houqin.domain import beds as rules
from houqin.domain.actors import Role
from houqin.domain.beds import BedCounts
from houqin.errors import Conflict, Forbidden, NotFound, ValidationError
from houqin.services.dorm_access import DormAccess
from houqin.store import dorms as store
from houqin.store.dorms import (
    AssignmentRun,
    Bed,
    BedEvent,
    Building,
    BuildingPartition,
    Campus,
    CounsellorScope,
    Presence,
    Resident,
    Room,
)
from houqin.store.paging import Page
from houqin.system_clock import SystemClock

LIST_ROLES = (Role.DORM_MANAGER, Role.DISPATCHER, Role.LEADER, Role.ADMIN)
SEE_ALL_BUILDINGS = (Role.DISPATCHER, Role.LEADER, Role.ADMIN)
WRITERS = (Role.DORM_MANAGER, Role.ADMIN)
# Who may see some building's map, or some resident (houqin.services.dorm_access decides which: 404 otherwise).
MAP_VIEWERS = (Role.DORM_MANAGER, Role.LEADER, Role.ADMIN)
RESIDENT_VIEWERS = (Role.STUDENT, Role.PARENT, Role.COUNSELLOR, Role.DORM_MANAGER, Role.LEADER, Role.ADMIN)
HHMM = r"([01]\d|2[0-3]):[0-5]\d"
TIMES = ("curfew", "morning_roll", "opens", "closes")
SETTINGS = (*TIMES, "notify_parent")  # notify_parent: the alarm ladder may call a resident's parent
MAX_ID = 40
ID = rf"[A-Za-z0-9_-]{{1,{MAX_ID}}}"
REQUEST_ID = r"[A-Za-z0-9_.:-]{8,80}"
MAX_REASON = 200
MAX_ASSIGN = 2000
MAX_PLANNED_ROOMS = 1000
# 4 items per student (bed, resident, card, history line) and the building's counts: DynamoDB's 100 items per
# transaction (a transaction places students of one building).
STUDENTS_PER_TRANSACTION = 24
CHUNK_RETRIES = 3
# A run still "running" after this long died with its Lambda: the same request id may start it again.
ASSIGNMENT_LEASE = timedelta(minutes=2)


# ---------------------------------------------------------------- inputs (declared once: parsed and documented)
@dataclass(frozen=True)
class BuildingsQuery:
    """Which buildings to list (the caller's own, or all for those who see all)."""

    campus_id: str | None = text("only this campus's buildings", pattern=ID, max_length=MAX_ID, default=None,
                                 example="SB")


@dataclass(frozen=True)
class BuildingSettings:
    """A building's times (HH:MM campus time) and whether the alarm ladder may call a resident's parent."""

    curfew: str = text("the curfew: the alarm time", pattern=HHMM, max_length=5, example="23:00")
    morning_roll: str = text("the morning roll", pattern=HHMM, max_length=5, example="06:00")
    opens: str = text("the gates open", pattern=HHMM, max_length=5, example="06:00")
    closes: str = text("the gates close (not when they open)", pattern=HHMM, max_length=5, example="23:00")
    notify_parent: bool | None = flag("the alarm ladder may call a resident's parent (left out: unchanged)",
                                      default=None)


@dataclass(frozen=True)
class BedRef:
    """A bed: the building, the room and the bed's number. Check-in: the empty bed the resident moves into."""

    building_id: str = text("the building", pattern=ID, max_length=MAX_ID, example="SB01")
    room_no: str = text("the room", pattern=ID, max_length=MAX_ID, example="101")
    bed_no: int = whole("the bed in the room", minimum=1, maximum=99)

    @property
    def key(self) -> tuple[str, str, int]:
        return self.building_id, self.room_no, self.bed_no


@dataclass(frozen=True)
class RoomChange(BedRef):
    """The empty bed a placed resident moves to, and why."""

    reason: str = text("why they move", max_length=MAX_REASON)


@dataclass(frozen=True)
class CheckOut:
    """Why a resident leaves their bed."""

    reason: str = text("why they leave (graduation, withdrawal ...)", max_length=MAX_REASON)


@dataclass(frozen=True)
class RoomRef:
    """A room: the building and the room's number."""

    building_id: str = text("the building", pattern=ID, max_length=MAX_ID)
    room_no: str = text("a room of it", pattern=ID, max_length=MAX_ID)


@dataclass(frozen=True)
class Assignment:
    """Students to place into the planned rooms (自动分房). ``request_id`` makes it idempotent: the same id and
    body answer the first result; the same id with another body is a 409."""

    request_id: str = text("your id for this request, 8 to 80 characters", pattern=REQUEST_ID, max_length=80,
                           example="intake-2026-sb01")
    residents: list[str] = items("the resident ids to place", min_items=1, max_items=MAX_ASSIGN, pattern=ID,
                                 max_length=MAX_ID)
    rooms: list[RoomRef] = items("the rooms to fill, each once", min_items=1, max_items=MAX_PLANNED_ROOMS)


class DormsRepository(Protocol):
    """What the dorms use cases need of storage (houqin.store.dorms in production; tests/fakes/dorms.py)."""

    # single items and lists
    def building(self, building_id: str) -> Building | None: ...
    def resident(self, resident_id: str, consistent: bool = False) -> Resident | None: ...
    def managed_by(self, staff_id: str) -> frozenset[str]: ...
    def counsellor_scope(self, person_id: str) -> CounsellorScope | None: ...
    def campuses(self) -> list[Campus]: ...
    def buildings_of_campus(self, campus_id: str) -> list[Building]: ...
    def building_partition(self, building_id: str, rooms_only: bool = False) -> BuildingPartition: ...
    def room(self, building_id: str, room_no: str) -> Room | None: ...
    def room_with_beds(self, building_id: str, room_no: str) -> tuple[Room | None, list[Bed]]: ...
    def residents_of_building(self, building_id: str) -> list[Resident]: ...
    def residents(self, resident_ids: Iterable[str]) -> dict[str, Resident]: ...
    def beds(self, refs: Iterable[tuple[str, str, int]]) -> dict[tuple[str, str, int], Bed]: ...
    def presence(self, home_building_id: str, resident_id: str, consistent: bool = False) -> Presence | None: ...
    def bed_history(self, resident_id: str, *, limit: int, cursor: str | None) -> Page: ...
    # changes (each all or nothing; a bed or resident changed meanwhile is a 409 or False)
    def save_settings(self, building_id: str, times: dict[str, Any]) -> Building: ...
    # (counts: how each building's bed counts change, houqin.domain.beds.bed_changes)
    def check_in(self, resident: Resident, building_id: str, room_no: str, bed_no: int, event: BedEvent,
                 counts: Mapping[str, BedCounts]) -> None: ...
    def check_out(self, resident: Resident, event: BedEvent, counts: Mapping[str, BedCounts]) -> None: ...
    def move(self, resident: Resident, to: tuple[str, str, int], event: BedEvent, current: Presence | None,
             counts: Mapping[str, BedCounts]) -> None: ...
    def place_chunk(self, placements: Sequence[tuple[Resident, str, str, int]], events: Sequence[BedEvent],
                    counts: Mapping[str, BedCounts]) -> bool: ...
    # automatic assignment runs (idempotency)
    def assignment_run(self, request_id: str) -> AssignmentRun | None: ...
    def claim_assignment(self, request_id: str, fingerprint: str, by: str, at: str, stale_before: str) -> bool: ...
    def finish_assignment(self, request_id: str, result: dict[str, Any], at: str) -> None: ...


class Dorms:
    """The dorms use cases. Ports (houqin.ports): the dorms repository (houqin.store.dorms, or an in-memory fake
    with the same functions) and a clock, each defaulting to production's when left out (nothing is connected
    until it is used). Who may see what is a DormAccess over the same repository."""

    def __init__(self, *, dorms: DormsRepository | None = None, clock: Clock | None = None) -> None:
        self.dorms: DormsRepository = dorms if dorms is not None else cast(DormsRepository, store)
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.access = DormAccess(self.dorms)

    # ------------------------------------------------------------ buildings and free beds
    def list_buildings(self, principal: Principal, campus_id: str | None) -> dict[str, Any]:
        """The buildings the caller may see with their bed counts, and the totals per campus: the counts are kept
        on the building items (one Query per campus, or a read per managed building), no room or bed is read."""
        principal.require_role(*LIST_ROLES)
        campuses = {c.campus_id: c for c in self.dorms.campuses()}
        if campus_id is not None and campus_id not in campuses:
            raise ValidationError(f"unknown campus {campus_id!r}", field="campus_id")
        wanted = [campus_id] if campus_id else sorted(campuses)
        if principal.has_role(*SEE_ALL_BUILDINGS):
            buildings = [b for c in wanted for b in self.dorms.buildings_of_campus(c)]
        else:
            managed = (self.dorms.building(b) for b in sorted(self.access.managed_buildings(principal)))
            buildings = [b for b in managed if b is not None and b.campus_id in wanted]
        items = [{**building_view(b), **counts_view(b.counts())}
                 for b in sorted(buildings, key=lambda b: b.building_id)]
        totals = [campus_totals(c, campuses[c].name, [i for i in items if i["campus_id"] == c]) for c in wanted]
        return {"items": items, "campuses": [t for t in totals if t["buildings"]]}

    # ------------------------------------------------------------ the room-status map (房态图)
    def building_map(self, principal: Principal, building_id: str) -> dict[str, Any]:
        """Every room and bed with its resident and their last entry or exit: one Query of the building's
        partition (rooms, beds, presence) and one of its residents (names and classes)."""
        self.access.building(principal, building_id)
        partition = self.dorms.building_partition(building_id)
        if partition.building is None:
            raise NotFound(f"no building {building_id}")
        people = {r.resident_id: r for r in self.dorms.residents_of_building(building_id)}
        beds_of: dict[str, list[Bed]] = {}
        for bed in partition.beds:
            beds_of.setdefault(bed.room_no, []).append(bed)
        rooms = sorted(partition.rooms, key=lambda r: (int(r.floor), len(r.room_no), r.room_no))
        return {"building": building_view(partition.building), "counts": counts_view(partition.counts()),
                "rooms": [room_view(room, beds_of.get(room.room_no, []), people, partition.presence) for room in rooms]}

    # ------------------------------------------------------------ building settings
    def put_settings(self, principal: Principal, building_id: str, given: BuildingSettings) -> dict[str, Any]:
        """Curfew (the alarm time), morning roll and gate hours (HH:MM campus time) and whether the alarm ladder
        may call parents (optional, unchanged when left out), by the building's manager or an admin."""
        building = self.writable_building(principal, building_id)
        times: dict[str, Any] = {name: getattr(given, name) for name in TIMES}
        if times["opens"] == times["closes"]:
            raise ValidationError("closes must differ from opens", field="closes")
        notify_parent = given.notify_parent
        times["notify_parent"] = bool(building.notify_parent) if notify_parent is None else notify_parent
        self.dorms.save_settings(building_id, times)
        for name, value in times.items():
            setattr(building, name, value)
        return building_view(building)

    def writable_building(self, principal: Principal, building_id: str) -> Building:
        """A building the caller may change: its dorm manager or an admin (unseen: 404; seen only: 403)."""
        principal.require_role(*WRITERS)
        building = self.access.building(principal, building_id)
        if not (principal.has_role(Role.ADMIN) or building_id in self.access.managed_buildings(principal)):
            raise Forbidden(f"only the dorm manager of {building_id} or an admin may change it")
        return building

    # ------------------------------------------------------------ residents
    def resident(self, principal: Principal, resident_id: str) -> dict[str, Any]:
        found = self.access.resident(principal, resident_id)
        seen = self.dorms.presence(found.building_id, resident_id) if found.building_id else None
        return resident_view(found, principal, seen)

    def bed_history(self, principal: Principal, resident_id: str, limit: int, cursor: str | None) -> Page:
        self.access.resident(principal, resident_id)
        return self.dorms.bed_history(resident_id, limit=limit, cursor=cursor)

    # ------------------------------------------------------------ check-in, check-out, room change
    def check_in(self, principal: Principal, resident_id: str, bed: BedRef) -> dict[str, Any]:
        now = self.clock.now()
        principal.require_role(*WRITERS)
        target = bed.key
        self.writable_building(principal, target[0])
        found = self.writable_resident(principal, resident_id)
        if found.building_id:
            raise Conflict(f"{resident_id} already has bed {where(found)}: use room-change to move them",
                           code="already_placed")
        room = self.check_bed(found, *target)
        event = BedEvent.make(resident_id, "check_in", to_iso(now), principal.person_id, *target)
        self.dorms.check_in(found, *target, event, rules.bed_changes([(target[0], room.gender, 1)]))
        return self.changed(resident_id, principal, event)

    def check_out(self, principal: Principal, resident_id: str, leaving: CheckOut) -> dict[str, Any]:
        now = self.clock.now()
        principal.require_role(*WRITERS)
        reason = leaving.reason
        found = self.access.resident(principal, resident_id)
        if not found.building_id:
            raise Conflict(f"{resident_id} has no bed to check out of", code="not_placed")
        self.writable_building(principal, found.building_id)
        event = BedEvent.make(resident_id, "check_out", to_iso(now), principal.person_id, found.building_id,
                              found.room_no, int(found.bed_no), reason=reason)
        self.dorms.check_out(found, event, rules.bed_changes([(found.building_id, self.gender_of_room(found), -1)]))
        return self.changed(resident_id, principal, event)

    def room_change(self, principal: Principal, resident_id: str, move: RoomChange) -> dict[str, Any]:
        now = self.clock.now()
        principal.require_role(*WRITERS)
        target = move.key
        reason = move.reason
        found = self.access.resident(principal, resident_id)
        if not found.building_id:
            raise Conflict(f"{resident_id} has no bed yet: check them in", code="not_placed")
        self.writable_building(principal, found.building_id)
        self.writable_building(principal, target[0])
        if (found.building_id, found.room_no, int(found.bed_no)) == target:
            raise ValidationError(f"{resident_id} already sleeps in {where(found)}", field="bed_no")
        room = self.check_bed(found, *target)
        counts = rules.bed_changes([(found.building_id, self.gender_of_room(found), -1), (target[0], room.gender, 1)])
        current = self.dorms.presence(found.building_id, resident_id, consistent=True)
        event = BedEvent.make(resident_id, "room_change", to_iso(now), principal.person_id, found.building_id,
                              found.room_no, int(found.bed_no), to_building_id=target[0], to_room_no=target[1],
                              to_bed_no=target[2], reason=reason)
        self.dorms.move(found, target, event, current, counts)
        return self.changed(resident_id, principal, event)

    def writable_resident(self, principal: Principal, resident_id: str) -> Resident:
        """A resident to check in: an unplaced one anyone who places people may find; a placed one only if seen."""
        found = self.dorms.resident(resident_id, consistent=True)
        if found is None or (found.building_id and not self.access.can_see_resident(principal, found)):
            raise NotFound(f"no resident {resident_id}")
        return found

    def gender_of_room(self, placed: Resident) -> str | None:
        """The gender of the room a resident sleeps in: their bed counts as free for it once they leave."""
        room = self.dorms.room(placed.building_id, placed.room_no)
        return room.gender if room else None

    def check_bed(self, person: Resident, building_id: str, room_no: str, bed_no: int) -> Room:
        """The bed exists and is empty, and the room takes the resident's gender and nobody of the other: the room."""
        room, room_beds = self.dorms.room_with_beds(building_id, room_no)
        if room is None:
            raise ValidationError(f"no room {room_no} in {building_id}", field="room_no")
        bed = next((b for b in room_beds if int(b.bed_no) == bed_no), None)
        if bed is None:
            raise ValidationError(f"room {room_no} of {building_id} has no bed {bed_no}", field="bed_no")
        if bed.resident_id:
            raise Conflict(f"bed {building_id}/{room_no}/{bed_no} is taken", code="bed_taken")
        roommates = self.dorms.residents(b.resident_id for b in room_beds if b.resident_id).values()
        if room.gender != person.gender or any(r.gender != person.gender for r in roommates):
            raise ValidationError(f"room {room_no} of {building_id} is for gender {room.gender}, "
                                  f"{person.resident_id} is {person.gender}: genders never share a room",
                                  field="room_no", code="gender_mismatch")
        return room

    def changed(self, resident_id: str, principal: Principal, event: BedEvent) -> dict[str, Any]:
        found = self.dorms.resident(resident_id, consistent=True)
        return {"resident": resident_view(found, principal), "event": event_view(event)}

    # ------------------------------------------------------------ automatic bed assignment (自动分房)
    def assign_beds(self, principal: Principal, assignment: Assignment) -> tuple[dict[str, Any], bool]:
        """Place many students into the planned rooms in one call; answers (result, replayed).

        Idempotent by ``request_id``: the same id and body answer the stored result without assigning
        again; the same id with another body (or by someone else) is a 409.
        """
        now = self.clock.now()
        principal.require_role(*WRITERS)
        request_id = assignment.request_id
        wanted = list(assignment.residents)
        rooms = planned_rooms(assignment.rooms)
        digest = fingerprint(principal.person_id, wanted, rooms)
        stale_before = to_iso(now - ASSIGNMENT_LEASE)
        previous = self.dorms.assignment_run(request_id)
        if previous is not None and not died(previous, digest, stale_before):
            return replay(previous, digest), True
        first_mention: dict[str, int] = {}
        for index, (building_id, _) in enumerate(rooms):
            first_mention.setdefault(building_id, index)
        for building_id, index in first_mention.items():
            try:
                self.writable_building(principal, building_id)
            except (NotFound, Forbidden) as exc:
                exc.field = f"rooms[{index}].building_id"
                raise
        if not self.dorms.claim_assignment(request_id, digest, principal.person_id, to_iso(now), stale_before):
            return replay(self.dorms.assignment_run(request_id), digest), True  # a twin request, or one still running
        result = self.run_assignment(principal, request_id, wanted, rooms, now)
        self.dorms.finish_assignment(request_id, result, to_iso(now))
        return result, False

    def run_assignment(self, principal: Principal, request_id: str, wanted: list[str], rooms: list[tuple[str, str]],
                       now: datetime) -> dict[str, Any]:
        """Read the students and rooms, plan with the pure rule, write in conditional transactions."""
        known = self.dorms.residents(wanted)
        planned, missing = self.load_planned_rooms(rooms)
        students = {rid: rules.Student(rid, r.gender, r.class_name, placed=bool(r.building_id))
                    for rid, r in known.items()}
        plan = rules.plan(wanted, students, planned)
        at = to_iso(now)
        genders = {(r.building_id, r.room_no): r.gender for r in planned}
        placed, lost = self.write_placements(plan.placements, known, genders, principal.person_id, at, request_id)
        unplaced = sorted([*plan.unplaced, *lost], key=lambda u: u.resident_id)
        return {"request_id": request_id, "by": principal.person_id, "at": at,
                "requested": len(wanted), "placed_count": len(placed), "unplaced_count": len(unplaced),
                "placed": [{"resident_id": p.resident_id, "building_id": p.building_id, "room_no": p.room_no,
                            "bed_no": p.bed_no} for p in placed],
                "unplaced": [{"resident_id": u.resident_id, "reason": str(u.reason), "message": u.message}
                             for u in unplaced],
                "rooms_not_found": [{"building_id": b, "room_no": r, "reason": "room_not_found"} for b, r in missing]}

    def load_planned_rooms(self, rooms: list[tuple[str, str]]) -> tuple[list[rules.PlannedRoom], list[tuple[str, str]]]:
        """The planned rooms with their free beds and current residents: one Query per building, one batch read."""
        partitions = {b: self.dorms.building_partition(b, rooms_only=True) for b in dict.fromkeys(b for b, _ in rooms)}
        found: list[tuple[Room, list[Bed]]] = []
        missing: list[tuple[str, str]] = []
        for building_id, room_no in rooms:
            partition = partitions[building_id]
            room = next((r for r in partition.rooms if r.room_no == room_no), None)
            if room is None:
                missing.append((building_id, room_no))
                continue
            found.append((room, [b for b in partition.beds if b.room_no == room_no]))
        occupants = self.dorms.residents(b.resident_id for _, room_beds in found for b in room_beds if b.resident_id)
        planned = []
        for room, room_beds in found:
            people = [occupants[b.resident_id] for b in room_beds if b.resident_id in occupants]
            planned.append(rules.PlannedRoom(
                room.building_id, room.room_no, room.gender,
                free_beds=tuple(sorted(int(b.bed_no) for b in room_beds if not b.resident_id)),
                occupants=tuple(rules.Occupant(p.resident_id, p.gender, p.class_name) for p in people)))
        return planned, missing

    def write_placements(self, placements: Sequence[rules.Placement], residents: Mapping[str, Resident],
                         genders: Mapping[tuple[str, str], str], by: str, at: str,
                         request_id: str) -> tuple[list[rules.Placement], list[rules.Unplaced]]:
        """Each chunk (students of one building) in one conditional transaction, one after another (2,000 students
        are ~61 transactions, about two seconds; in parallel they would race in moto's transaction rollback copies
        locally). A chunk that meets a bed taken meanwhile drops the students it cannot place (reported with why) and
        is tried again. ``genders``: each planned room's, for the buildings' free-bed counts."""
        by_building: dict[str, list[rules.Placement]] = {}
        for p in placements:
            by_building.setdefault(p.building_id, []).append(p)
        chunks = [group[i:i + STUDENTS_PER_TRANSACTION]
                  for group in by_building.values() for i in range(0, len(group), STUDENTS_PER_TRANSACTION)]
        outcomes = [self.write_chunk(chunk, residents, genders, by, at, request_id) for chunk in chunks]
        placed = sorted((p for done, _ in outcomes for p in done), key=lambda p: p.resident_id)
        lost = [u for _, missed in outcomes for u in missed]
        return placed, lost

    def write_chunk(self, chunk: list[rules.Placement], residents: Mapping[str, Resident],
                    genders: Mapping[tuple[str, str], str], by: str, at: str,
                    request_id: str) -> tuple[list[rules.Placement], list[rules.Unplaced]]:
        lost: list[rules.Unplaced] = []
        for _ in range(CHUNK_RETRIES):
            if not chunk:
                break
            events = [BedEvent.make(p.resident_id, "check_in", at, by, p.building_id, p.room_no, p.bed_no,
                                    reason=f"automatic assignment {request_id}") for p in chunk]
            counts = rules.bed_changes((p.building_id, genders.get((p.building_id, p.room_no)), 1) for p in chunk)
            if self.dorms.place_chunk([(residents[p.resident_id], p.building_id, p.room_no, p.bed_no) for p in chunk],
                                      events, counts):
                return chunk, lost
            chunk, dropped = self.still_placeable(chunk)
            lost += dropped
        lost += [rules.Unplaced(p.resident_id, rules.Reason.BED_TAKEN, "the beds kept changing meanwhile: try again")
                 for p in chunk]
        return [], lost

    def still_placeable(self, chunk: Iterable[rules.Placement]) -> tuple[list[rules.Placement], list[rules.Unplaced]]:
        """After a failed chunk: who can still go where planned, and who cannot because of a change meanwhile."""
        chunk = list(chunk)
        current_beds = self.dorms.beds((p.building_id, p.room_no, p.bed_no) for p in chunk)
        people = self.dorms.residents(p.resident_id for p in chunk)
        keep, dropped = [], []
        for p in chunk:
            bed = current_beds.get((p.building_id, p.room_no, p.bed_no))
            person = people.get(p.resident_id)
            if person is None or person.building_id:
                dropped.append(rules.Unplaced(p.resident_id, rules.Reason.ALREADY_PLACED,
                                              "was given a bed by someone else meanwhile"))
            elif bed is None or bed.resident_id:
                dropped.append(rules.Unplaced(p.resident_id, rules.Reason.BED_TAKEN,
                                              f"bed {p.building_id}/{p.room_no}/{p.bed_no} was taken meanwhile"))
            else:
                keep.append(p)
        return keep, dropped


# ---------------------------------------------------------------- views and request checks (pure)
def counts_view(counts: BedCounts) -> dict[str, Any]:
    return {"rooms": counts.rooms, "beds": counts.beds, "occupied": counts.occupied, "free": counts.free,
            "free_by_gender": counts.free_by_gender}


def campus_totals(campus_id: str, name: str, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    free_by_gender: dict[str, int] = {}
    for item in items:
        for gender, free in item["free_by_gender"].items():
            free_by_gender[gender] = free_by_gender.get(gender, 0) + free
    return {"campus_id": campus_id, "name": name, "buildings": len(items),
            "beds": sum(i["beds"] for i in items), "occupied": sum(i["occupied"] for i in items),
            "free": sum(i["free"] for i in items), "free_by_gender": free_by_gender}


def building_view(building: Building) -> dict[str, Any]:
    return {"building_id": building.building_id, "campus_id": building.campus_id, "name": building.name,
            "floors": int(building.floors), "settings": {name: getattr(building, name) for name in SETTINGS}}


def room_view(room: Room, beds: list[Bed], people: dict[str, Resident],
              presence: dict[str, Presence]) -> dict[str, Any]:
    views = [bed_view(bed, people, presence) for bed in sorted(beds, key=lambda b: int(b.bed_no))]
    occupied = sum(1 for v in views if not v["empty"])
    return {"room_no": room.room_no, "floor": int(room.floor), "gender": room.gender,
            "capacity": int(room.capacity), "occupied": occupied, "free": len(views) - occupied, "beds": views}


def bed_view(bed: Bed, people: dict[str, Resident], presence: dict[str, Presence]) -> dict[str, Any]:
    if not bed.resident_id:
        return {"bed_no": int(bed.bed_no), "empty": True, "resident": None, "presence": None}
    person = people.get(bed.resident_id)  # the index may lag a check-in by a moment: the id is still shown
    seen = presence.get(bed.resident_id)
    return {"bed_no": int(bed.bed_no), "empty": False,
            "resident": {"resident_id": bed.resident_id, "name": person.name if person else None,
                         "class_name": person.class_name if person else None},
            "presence": presence_view(seen)}


def presence_view(seen: Presence | None) -> dict[str, Any] | None:
    if seen is None:
        return None  # never swiped since moving in
    return {"state": seen.state, "last_ts": seen.last_ts, "reader_id": seen.reader_id,
            "building_id": seen.building_id}


def resident_view(found: Resident, principal: Principal, seen: Presence | None = None) -> dict[str, Any]:
    """The record the seeds list (姓名、性别、出生年月、院系、年级、专业、班级、职务、家庭所在地、家长联系电话)
    and where they live. Everyone who may see the resident sees all of it (a parent's phone is their own);
    the campus card number, which opens the gates, only the student, dorm managers and admins."""
    view = {"resident_id": found.resident_id, "name": found.name, "gender": found.gender,
            "birth_month": found.birth_month, "category": found.category, "campus_id": found.campus_id,
            "department": found.department, "grade": found.grade, "major": found.major,
            "class_name": found.class_name, "position": found.position, "hometown": found.hometown,
            "parent_phone": found.parent_phone, "building_id": found.building_id, "room_no": found.room_no,
            "bed_no": int(found.bed_no) if found.bed_no is not None else None, "presence": presence_view(seen)}
    if principal.is_person(found.resident_id) or principal.has_role(Role.DORM_MANAGER, Role.ADMIN):
        view["card_id"] = found.card_id
    return view


def event_view(event: BedEvent) -> dict[str, Any]:
    return {"action": event.action, "at": event.at, "by": event.by, "building_id": event.building_id,
            "room_no": event.room_no, "bed_no": int(event.bed_no), "to_building_id": event.to_building_id,
            "to_room_no": event.to_room_no,
            "to_bed_no": int(event.to_bed_no) if event.to_bed_no is not None else None, "reason": event.reason}


def where(found: Resident) -> str:
    return f"{found.building_id}/{found.room_no}/{found.bed_no}"


def fingerprint(person_id: str, wanted: list[str], rooms: list[tuple[str, str]]) -> str:
    """Who asked and what: the same request id must come with the same of both."""
    return hashlib.sha256(json.dumps([person_id, wanted, rooms]).encode()).hexdigest()


def died(previous: AssignmentRun, digest: str, stale_before: str) -> bool:
    """A run of this very request still "running" since before the lease: its Lambda died, run it again."""
    return previous.state == "running" and previous.fingerprint == digest and previous.started_at < stale_before


def replay(previous: AssignmentRun | None, digest: str) -> dict[str, Any]:
    if previous is None or previous.fingerprint != digest:
        raise Conflict("this request_id was used for another assignment: choose a new request_id",
                       code="request_id_reused", field="request_id")
    if previous.state != "done":
        raise Conflict("this assignment is still running: ask again in a moment", code="in_progress",
                       field="request_id")
    return previous.result_body()


def planned_rooms(planned: Iterable[RoomRef]) -> list[tuple[str, str]]:
    """The planned rooms as (building, room), each listed once."""
    rooms: list[tuple[str, str]] = []
    for index, item in enumerate(planned):
        room = (item.building_id, item.room_no)
        if room in rooms:
            raise ValidationError(f"room {room[0]}/{room[1]} is listed twice", field=f"rooms[{index}]")
        rooms.append(room)
    return rooms
