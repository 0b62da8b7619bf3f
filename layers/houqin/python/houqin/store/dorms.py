"""The dorms table: campuses, buildings, rooms, beds, residents and gate readers.

Access patterns (Queries and GetItems only):
- campuses ............................ pk = "CAMPUS"
- buildings of a campus ............... GSI1 gsi1pk = "CAMPUS#<campus>" (with their bed counts: GET /buildings)
- building ............................ pk = "BLDG#<building>", sk = "META"
- rooms and beds of a building (map) .. pk = "BLDG#<building>", sk begins_with "ROOM#"
- resident ............................ pk = "RES#<resident>", sk = "PROFILE"
- residents of a building by bed ...... GSI1 gsi1pk = "BLDG#<building>", gsi1sk begins_with "RES#"
- whose campus card, living where ..... pk = "CARD#<card>", sk = "CARD" (resident and home building: written in
                                        the bed transactions that change where they live; the swipes
                                        resolve a batch's cards with one BatchGetItem)
- readers of a building ............... GSI1 gsi1pk = "BLDG#<building>", gsi1sk begins_with "READER#"
- reader .............................. pk = "READER#<reader>", sk = "META"
- presence of a building's residents .. pk = "BLDG#<home building>", sk begins_with "PRES#" (the map and the
                                        night roll: one Query)
- buildings a dorm manager runs ....... pk = "MANAGER#<staff>", sk begins_with "BLDG#"
- managers of a building .............. GSI1 gsi1pk = "BLDG#<building>", gsi1sk begins_with "MANAGER#"
- a counsellor's students (scope) ..... pk = "COUNSELLOR#<person>", sk = "SCOPE"
- a department's counsellors .......... GSI1 gsi1pk = "DEPT#<department>", gsi1sk begins_with "COUNSELLOR#"
- a resident's bed history ............ pk = "RES#<resident>", sk begins_with "BEDLOG#" (time order)
- a building's check-ins/outs/moves ... GSI1 gsi1pk = "BEDLOG#<building>", gsi1sk = "<at>#<resident>"
- an automatic assignment's result .... pk = "ASSIGNMENT#<request id>", sk = "RESULT" (idempotency)
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import BinaryAttribute, BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from houqin.domain.beds import BedCounts, tally
from houqin.store.base import (
    Gsi1,
    condition_failed,
    condition_held,
    conditional_writes,
    find,
    key,
    mixed_query,
    table_base,
    versioned_transaction,
)
from houqin.store.paging import Page, query_page

DormsTable = table_base("DormsTable", "dorms")


class Campus(DormsTable):
    campus_id = UnicodeAttribute()
    name = UnicodeAttribute()

    @classmethod
    def make(cls, campus_id: str, name: str) -> Campus:
        return cls(pk="CAMPUS", sk=key("CAMPUS", campus_id), campus_id=campus_id, name=name)


class Building(DormsTable):
    building_id = UnicodeAttribute()
    campus_id = UnicodeAttribute()
    name = UnicodeAttribute()
    floors = NumberAttribute()
    # Its bed counts (houqin.domain.beds.BedCounts, one attribute a field), kept by the bed transactions (_count) so
    # the list of buildings reads no room or bed; recount() sets them from the rooms and beds.
    occupied = NumberAttribute(default=0)  # beds taken: also the night roll's expected count
    rooms = NumberAttribute(default=0)
    beds = NumberAttribute(default=0)
    free_m = NumberAttribute(default=0)  # empty beds in men's rooms
    free_f = NumberAttribute(default=0)  # empty beds in women's rooms
    curfew = UnicodeAttribute(default="23:00")  # local time of the night roll
    morning_roll = UnicodeAttribute(default="06:00")
    # Gate hours: an entry after closes or an exit before opens is a late return / early out (早出晚归).
    opens = UnicodeAttribute(default="06:00")
    closes = UnicodeAttribute(default="23:00")
    notify_parent = BooleanAttribute(default=False)  # the alarm ladder may call a parent (the building's policy)
    # Its gate readers, written with their Reader items: the night roll needs every reader's watermark (one
    # that never reported counts as behind) and reads them from here, with the building, not by a Query.
    readers = ListAttribute(of=UnicodeAttribute, default=list)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_campus = Gsi1()

    @classmethod
    def make(cls, building_id: str, campus_id: str, name: str, floors: int, counts: BedCounts | None = None,
             readers: Iterable[str] = ()) -> Building:
        return cls(pk=key("BLDG", building_id), sk="META", building_id=building_id, campus_id=campus_id,
                   name=name, floors=floors, readers=sorted(readers), gsi1pk=key("CAMPUS", campus_id),
                   gsi1sk=key("BLDG", building_id), **dict((counts or BedCounts()).items()))

    def counts(self) -> BedCounts:
        return BedCounts(**{name: int(getattr(self, name) or 0) for name, _ in BedCounts().items()})


class Room(DormsTable):
    building_id = UnicodeAttribute()
    room_no = UnicodeAttribute()
    floor = NumberAttribute()
    gender = UnicodeAttribute()  # "M" or "F": a room never mixes genders
    capacity = NumberAttribute()
    category = UnicodeAttribute(null=True)  # whom the room is for (本科, 研究生 ...; houqin import), if said

    @classmethod
    def make(cls, building_id: str, room_no: str, floor: int, gender: str, capacity: int,
             category: str | None = None) -> Room:
        return cls(pk=key("BLDG", building_id), sk=key("ROOM", room_no), building_id=building_id,
                   room_no=room_no, floor=floor, gender=gender, capacity=capacity, category=category)


class Bed(DormsTable):
    building_id = UnicodeAttribute()
    room_no = UnicodeAttribute()
    bed_no = NumberAttribute()
    resident_id = UnicodeAttribute(null=True)  # empty bed when absent

    @classmethod
    def make(cls, building_id: str, room_no: str, bed_no: int, resident_id: str | None) -> Bed:
        return cls(pk=key("BLDG", building_id), sk=key("ROOM", room_no, "BED", bed_no),
                   building_id=building_id, room_no=room_no, bed_no=bed_no, resident_id=resident_id)


class Resident(DormsTable):
    resident_id = UnicodeAttribute()
    name = UnicodeAttribute()
    gender = UnicodeAttribute()
    birth_month = UnicodeAttribute()  # YYYY-MM (出生年月)
    category = UnicodeAttribute()  # 本科 / 专升本 / 研究生 / 成教 / 教工
    campus_id = UnicodeAttribute()
    department = UnicodeAttribute()
    grade = UnicodeAttribute()
    major = UnicodeAttribute()
    class_name = UnicodeAttribute()
    position = UnicodeAttribute(null=True)  # 职务, e.g. class monitor
    hometown = UnicodeAttribute()
    parent_phone = UnicodeAttribute()
    card_id = UnicodeAttribute()
    building_id = UnicodeAttribute(null=True)
    room_no = UnicodeAttribute(null=True)
    bed_no = NumberAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_building = Gsi1()

    def place(self, building_id: str, room_no: str, bed_no: int) -> None:
        self.building_id, self.room_no, self.bed_no = building_id, room_no, bed_no
        self.gsi1pk = key("BLDG", building_id)
        self.gsi1sk = key("RES", room_no, bed_no)

    @classmethod
    def make(cls, resident_id: str, card_id: str, **fields: object) -> Resident:
        return cls(pk=key("RES", resident_id), sk="PROFILE", resident_id=resident_id, card_id=card_id, **fields)

    def card(self, building_id: str | None = None) -> Card:
        """The card item saying whose card this is and where they live (``building_id``: after a move)."""
        return Card.make(self.card_id, self.resident_id, building_id or self.building_id)


class Card(DormsTable):
    """Whose campus card this is and their home building (None: no bed): all a swipe needs of the resident."""

    card_id = UnicodeAttribute()
    resident_id = UnicodeAttribute()
    building_id = UnicodeAttribute(null=True)

    @staticmethod
    def keys(card_id: str) -> tuple[str, str]:
        return key("CARD", card_id), "CARD"

    @classmethod
    def make(cls, card_id: str, resident_id: str, building_id: str | None) -> Card:
        return cls(*cls.keys(card_id), card_id=card_id, resident_id=resident_id, building_id=building_id)


class Reader(DormsTable):
    reader_id = UnicodeAttribute()
    building_id = UnicodeAttribute()
    entrance = UnicodeAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_building = Gsi1()

    @classmethod
    def make(cls, reader_id: str, building_id: str, entrance: str) -> Reader:
        return cls(pk=key("READER", reader_id), sk="META", reader_id=reader_id, building_id=building_id,
                   entrance=entrance, gsi1pk=key("BLDG", building_id), gsi1sk=key("READER", reader_id))


class Presence(DormsTable):
    """A resident's newest swipe: in or out, when, where. Changed only by a newer swipe (set_presence for a
    resident's first, move_presence in batches after that).

    Kept small (~0.2 KB, 1 WCU a change) and in no index: every swipe of a day writes it, while who the
    resident is (name, department, room) is read where it is shown, from the resident's items. The night roll
    and the map read a building's presence items in one Query of its partition.
    """

    resident_id = UnicodeAttribute()
    state = UnicodeAttribute()  # "in" / "out"
    last_ts = UnicodeAttribute()
    reader_id = UnicodeAttribute()
    building_id = UnicodeAttribute()  # the gate's building (usually the home building)

    @staticmethod
    def keys(home_building_id: str, resident_id: str) -> tuple[str, str]:
        return key("BLDG", home_building_id), key("PRES", resident_id)

    @classmethod
    def make(cls, home_building_id: str, resident_id: str, state: str, last_ts: str, reader_id: str,
             building_id: str) -> Presence:
        return cls(*cls.keys(home_building_id, resident_id), resident_id=resident_id, state=state, last_ts=last_ts,
                   reader_id=reader_id, building_id=building_id)


PROFILE = ("name", "department", "grade", "room_no")  # who a resident is, as an alarm names them


def profile_of(resident: Resident) -> dict[str, str | None]:
    """The resident's fields an alarm names them by."""
    return {name: getattr(resident, name) for name in PROFILE}


class ManagerBuilding(DormsTable):
    """A dorm manager (公寓管理员) runs this building."""

    staff_id = UnicodeAttribute()
    building_id = UnicodeAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_building = Gsi1()

    @classmethod
    def make(cls, staff_id: str, building_id: str) -> ManagerBuilding:
        return cls(pk=key("MANAGER", staff_id), sk=key("BLDG", building_id), staff_id=staff_id,
                   building_id=building_id, gsi1pk=key("BLDG", building_id), gsi1sk=key("MANAGER", staff_id))


class CounsellorScope(DormsTable):
    """The students a counsellor (辅导员) looks after: a department, optionally only some grades."""

    person_id = UnicodeAttribute()
    department = UnicodeAttribute()
    grades = ListAttribute(of=UnicodeAttribute, default=list)  # empty: every grade
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_department = Gsi1()

    @classmethod
    def make(cls, person_id: str, department: str, grades: list[str] | None = None) -> CounsellorScope:
        return cls(pk=key("COUNSELLOR", person_id), sk="SCOPE", person_id=person_id, department=department,
                   grades=list(grades or []), gsi1pk=key("DEPT", department), gsi1sk=key("COUNSELLOR", person_id))

    def covers(self, resident: Resident) -> bool:
        return resident.department == self.department and (not self.grades or resident.grade in self.grades)


class BedEvent(DormsTable):
    """One line of a resident's bed history: check_in, room_change or check_out (退房)."""

    resident_id = UnicodeAttribute()
    action = UnicodeAttribute()
    at = UnicodeAttribute()
    by = UnicodeAttribute()
    building_id = UnicodeAttribute()  # the building this line belongs to (the old one for a check-out)
    room_no = UnicodeAttribute()
    bed_no = NumberAttribute()
    to_building_id = UnicodeAttribute(null=True)  # a room change: where to
    to_room_no = UnicodeAttribute(null=True)
    to_bed_no = NumberAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_building = Gsi1()

    @classmethod
    def make(cls, resident_id: str, action: str, at: str, by: str, building_id: str, room_no: str, bed_no: int,
             **fields: object) -> BedEvent:
        return cls(pk=key("RES", resident_id), sk=key("BEDLOG", at), resident_id=resident_id, action=action, at=at,
                   by=by, building_id=building_id, room_no=room_no, bed_no=bed_no,
                   gsi1pk=key("BEDLOG", building_id), gsi1sk=key(at, resident_id), **fields)


# ---------------------------------------------------------------- single items (the services' lookups)
def building(building_id: str) -> Building | None:
    return find(Building, key("BLDG", building_id), "META")


def resident(resident_id: str, consistent: bool = False) -> Resident | None:
    return find(Resident, key("RES", resident_id), "PROFILE", consistent_read=consistent)


def cards(card_ids: Iterable[str]) -> dict[str, Card]:
    """Campus cards by id, with their holder and home building (BatchGetItem, eventually consistent: 0.5 RCU a
    card); a card no resident holds is absent."""
    keys = [Card.keys(card_id) for card_id in set(card_ids)]
    return {card.card_id: card for card in Card.batch_get(keys)} if keys else {}


def reader(reader_id: str) -> Reader | None:
    return find(Reader, key("READER", reader_id), "META")


def readers_by_id(reader_ids: Iterable[str]) -> dict[str, Reader]:
    """Readers by id (BatchGetItem); unknown ids are absent."""
    keys = [(key("READER", r), "META") for r in set(reader_ids)]
    return {r.reader_id: r for r in Reader.batch_get(keys)} if keys else {}


def managed_by(staff_id: str) -> frozenset[str]:
    """The buildings a dorm manager runs."""
    return frozenset(m.building_id for m in ManagerBuilding.query(key("MANAGER", staff_id),
                                                                   ManagerBuilding.sk.startswith("BLDG#")))


def counsellor_scope(person_id: str) -> CounsellorScope | None:
    return find(CounsellorScope, key("COUNSELLOR", person_id), "SCOPE")


def bed_events_since(resident_id: str, since: str) -> Iterator[BedEvent]:
    """A resident's check-ins, moves and check-outs at or after ``since`` (an ISO day or time), oldest first."""
    # Bounded above: the resident's partition also holds PROFILE ("P" sorts after "BEDLOG#..."), not an event.
    return BedEvent.query(key("RES", resident_id), BedEvent.sk.between(key("BEDLOG", since), key("BEDLOG", "~")))


# ---------------------------------------------------------------- presence
def set_presence(home_building_id: str, resident_id: str, state: str, ts: str, reader_id: str,
                 building_id: str) -> bool:
    """Record a swipe on the resident's presence if it is newer than the stored one; False for a late swipe.

    One conditional UpdateItem (1 WCU): ``attribute_not_exists(last_ts) OR last_ts < :ts``, so a late or
    replayed swipe can never roll the state back, whatever order the messages arrive in.
    """
    pk, sk = Presence.keys(home_building_id, resident_id)
    return condition_held(lambda: Presence(pk, sk).update(
        actions=[Presence.resident_id.set(resident_id), Presence.state.set(state), Presence.last_ts.set(ts),
                 Presence.reader_id.set(reader_id), Presence.building_id.set(building_id)],
        condition=Presence.last_ts.does_not_exist() | (Presence.last_ts < ts)))


# Only a stored presence that holds an older swipe moves; a missing one (checked out meanwhile) is not made again.
_MOVE = ('UPDATE "{table}" SET "state"=? SET "last_ts"=? SET "reader_id"=? SET "building_id"=? '
         'WHERE "pk"=? AND "sk"=? AND "last_ts"<?')


@dataclass(frozen=True)
class PresenceMove:
    """A swipe that should become a resident's presence (home building, resident: the item's key)."""

    home_building_id: str
    resident_id: str
    state: str
    ts: str
    reader_id: str
    building_id: str


def move_presence(moves: Sequence[PresenceMove]) -> list[bool | None]:
    """Move stored presences to newer swipes: one conditional PartiQL UPDATE each (1 WCU), 25 a
    BatchExecuteStatement instead of a call each. Per move: True moved, False refused (a newer swipe is stored,
    or the presence is gone: a check-out), None failed (to retry). A resident with no presence yet: set_presence.
    """
    statement = _MOVE.format(table=Presence.Meta.table_name)
    return conditional_writes(Presence, [
        (statement, [{"S": value} for value in (m.state, m.ts, m.reader_id, m.building_id,
                                                 *Presence.keys(m.home_building_id, m.resident_id), m.ts)])
        for m in moves])


def presence(home_building_id: str, resident_id: str, consistent: bool = False) -> Presence | None:
    return find(Presence, *Presence.keys(home_building_id, resident_id), consistent_read=consistent)


def presence_of(residents: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Presence]:
    """The presence of some (home building, resident)s that have one (BatchGetItem, eventually consistent: a
    presence only moves forward, so a stale read is older, never newer, than the truth)."""
    keys = list({Presence.keys(home, resident_id) for home, resident_id in residents})
    return {(p.pk.removeprefix("BLDG#"), p.resident_id): p for p in Presence.batch_get(keys)} if keys else {}


def building_presence(building_id: str) -> dict[str, Presence]:
    """Every resident's presence in a building, by resident id (one Query)."""
    return {p.resident_id: p for p in Presence.query(key("BLDG", building_id), Presence.sk.startswith("PRES#"))}


# ---------------------------------------------------------------- the building partition (one Query: the map)
@dataclass
class BuildingPartition:
    """What the building's own partition holds: its META, rooms, beds and its residents' presence."""

    building: Building | None = None
    rooms: list[Room] = field(default_factory=list)
    beds: list[Bed] = field(default_factory=list)
    presence: dict[str, Presence] = field(default_factory=dict)

    def counts(self) -> BedCounts:
        """The building's counts from its rooms and beds (a partition read with them)."""
        return tally(((r.room_no, r.gender) for r in self.rooms), ((b.room_no, bool(b.resident_id)) for b in self.beds))


def _partition_model(sort_key: str) -> type[DormsTable] | None:
    """The model of an item of a building partition, told apart by its sort key."""
    if sort_key == "META":
        return Building
    if sort_key.startswith("PRES#"):
        return Presence
    if sort_key.startswith("ROOM#"):
        return Bed if "#BED#" in sort_key else Room
    return None  # an item type this module does not know (another feature's): not ours to show


def building_partition(building_id: str, rooms_only: bool = False, consistent: bool = False) -> BuildingPartition:
    """One Query of pk "BLDG#<building>" (paged by DynamoDB): everything, or only rooms and beds."""
    condition = Room.sk.startswith("ROOM#") if rooms_only else None
    items = mixed_query(Room, key("BLDG", building_id), _partition_model, condition, consistent_read=consistent)
    partition = BuildingPartition()
    for item in items:
        if isinstance(item, Building):
            partition.building = item
        elif isinstance(item, Bed):
            partition.beds.append(item)
        elif isinstance(item, Room):
            partition.rooms.append(item)
        elif isinstance(item, Presence):
            partition.presence[item.resident_id] = item
    return partition


def room_with_beds(building_id: str, room_no: str) -> tuple[Room | None, list[Bed]]:
    """A room and its beds, read consistently (a write decides on them)."""
    room = find(Room, key("BLDG", building_id), key("ROOM", room_no), consistent_read=True)
    if room is None:
        return None, []
    beds = Bed.query(key("BLDG", building_id), Bed.sk.startswith(key("ROOM", room_no, "BED", "")),
                     consistent_read=True)
    return room, sorted(beds, key=lambda b: int(b.bed_no))


def residents_of_building(building_id: str) -> list[Resident]:
    """The residents placed in a building, by room and bed (GSI1: eventually consistent)."""
    return list(Resident.by_building.query(key("BLDG", building_id), Resident.gsi1sk.startswith("RES#")))


def counsellors_of(department: str, grade: str | None = None) -> list[str]:
    """The counsellors looking after a department's students (of this grade, when they keep to some)."""
    scopes = CounsellorScope.by_department.query(key("DEPT", department),
                                                 CounsellorScope.gsi1sk.startswith("COUNSELLOR#"))
    return sorted(s.person_id for s in scopes if not s.grades or grade in s.grades)


def readers_of_building(building_id: str) -> list[Reader]:
    return list(Reader.by_building.query(key("BLDG", building_id), Reader.gsi1sk.startswith("READER#")))


def buildings_of_campus(campus_id: str) -> list[Building]:
    return list(Building.by_campus.query(key("CAMPUS", campus_id), Building.gsi1sk.startswith("BLDG#")))


def all_buildings() -> Iterator[Building]:
    """Every building of every campus (the scheduled checks walk them all)."""
    for campus in campuses():
        yield from buildings_of_campus(campus.campus_id)


def campuses() -> list[Campus]:
    return list(Campus.query("CAMPUS"))


def campus(campus_id: str) -> Campus | None:
    return find(Campus, "CAMPUS", key("CAMPUS", campus_id))


def room(building_id: str, room_no: str) -> Room | None:
    return find(Room, key("BLDG", building_id), key("ROOM", room_no))


def managers_of(building_id: str) -> list[str]:
    """The dorm managers who run a building, by id."""
    found = ManagerBuilding.by_building.query(key("BLDG", building_id), ManagerBuilding.gsi1sk.startswith("MANAGER#"))
    return sorted(m.staff_id for m in found)


def parent_phone(resident_id: str) -> str | None:
    found = resident(resident_id)
    return found.parent_phone if found else None


def notifies_parent(building_id: str | None) -> bool:
    """Whether the building's policy lets an alarm about one of its residents reach their parent."""
    found = building(building_id) if building_id else None
    return bool(found and found.notify_parent)


def bed_events_between(building_id: str, low: str, high: str) -> list[BedEvent]:
    """A building's check-ins, moves and check-outs with ``low <= at <= high`` (GSI1, time order)."""
    return list(BedEvent.by_building.query(key("BEDLOG", building_id), BedEvent.gsi1sk.between(low, high)))


def residents(resident_ids: Iterable[str]) -> dict[str, Resident]:
    """Residents by id, read consistently in batches of 100 (BatchGetItem); unknown ids are absent."""
    keys = [(key("RES", r), "PROFILE") for r in set(resident_ids)]
    return {r.resident_id: r for r in Resident.batch_get(keys, consistent_read=True)} if keys else {}


def bed_history(resident_id: str, *, limit: int, cursor: str | None) -> Page:
    """A resident's check-ins, room changes and check-outs, newest first."""
    return query_page(BedEvent.query, "pk", key("RES", resident_id), limit=limit, cursor=cursor,
                      range_key_condition=BedEvent.sk.startswith("BEDLOG#"), scan_index_forward=False)


def save_settings(building_id: str, times: dict[str, Any]) -> Building:
    building = Building(key("BLDG", building_id), "META")
    building.update(actions=[getattr(Building, name).set(value) for name, value in times.items()],
                    condition=Building.pk.exists())
    return building


# ---------------------------------------------------------------- placing residents (one transaction per change)
def placement_actions(building_id: str, room_no: str, bed_no: int) -> list[Action]:
    """The update that places a resident, with the index keys Resident.place sets (one source of truth)."""
    probe = Resident()
    probe.place(building_id, room_no, bed_no)
    return [getattr(Resident, name).set(getattr(probe, name)) for name in PLACEMENT]


def clearing_actions() -> list[Action]:
    """The update that takes a resident out of their bed: placement and index keys removed."""
    return [getattr(Resident, name).remove() for name in PLACEMENT]


PLACEMENT = ("building_id", "room_no", "bed_no", "gsi1pk", "gsi1sk")


def _bed(building_id: str, room_no: str, bed_no: int) -> Bed:
    return Bed(key("BLDG", building_id), key("ROOM", room_no, "BED", bed_no))


def _resident(resident_id: str) -> Resident:
    return Resident(key("RES", resident_id), "PROFILE")


def _placed_at(building_id: str, room_no: str, bed_no: int) -> Condition:
    return (Resident.building_id == building_id) & (Resident.room_no == room_no) & (Resident.bed_no == bed_no)


def _take_bed(transaction: TransactWrite, resident_id: str, building_id: str, room_no: str, bed_no: int) -> None:
    transaction.update(_bed(building_id, room_no, bed_no), actions=[Bed.resident_id.set(resident_id)],
                       condition=Bed.pk.exists() & Bed.resident_id.does_not_exist())


def _free_bed(transaction: TransactWrite, resident_id: str, building_id: str, room_no: str, bed_no: int) -> None:
    transaction.update(_bed(building_id, room_no, bed_no), actions=[Bed.resident_id.remove()],
                       condition=Bed.resident_id == resident_id)


def _count(transaction: TransactWrite, counts: Mapping[str, BedCounts]) -> None:
    """Keep each building's counts in step with its beds: ``counts`` is how they change, by building
    (houqin.domain.beds.bed_changes); one update per building per transaction. ADD starts a missing count at 0."""
    for building_id, change in counts.items():
        actions = [getattr(Building, name).add(value) for name, value in change.items() if value]
        if actions:
            transaction.update(Building(key("BLDG", building_id), "META"), actions=actions,
                               condition=Building.pk.exists())


def recount(building_id: str) -> BedCounts:
    """Count a building's rooms and beds (one consistent Query of them) and store its counts: for loaders that write
    rooms and beds directly, and to set the counts of buildings stored before them (docs/dorms.md). A bed change
    between the Query and the write would be lost: run it while no one checks residents in or out."""
    counts = building_partition(building_id, rooms_only=True, consistent=True).counts()
    Building(key("BLDG", building_id), "META").update(
        actions=[getattr(Building, name).set(value) for name, value in counts.items()], condition=Building.pk.exists())
    return counts


def recount_buildings() -> dict[str, BedCounts]:
    """``recount`` every building of every campus; their counts by building."""
    return {b.building_id: recount(b.building_id) for b in all_buildings()}


def counts_by_building(rooms: Iterable[Room], beds: Iterable[Bed]) -> dict[str, BedCounts]:
    """The counts ``recount`` would find, from rooms and beds a loader is about to write (no read)."""
    partitions: dict[str, BuildingPartition] = {}
    for item in (*rooms, *beds):
        partition = partitions.setdefault(item.building_id, BuildingPartition())
        (partition.beds if isinstance(item, Bed) else partition.rooms).append(item)
    return {building_id: partition.counts() for building_id, partition in partitions.items()}


def _log(transaction: TransactWrite, event: BedEvent) -> None:
    transaction.save(event, condition=BedEvent.sk.does_not_exist())


def bed_transaction(conflict: str) -> AbstractContextManager[TransactWrite]:
    """A TransactWrite whose failed condition (a bed or resident changed meanwhile) is a 409 saying ``conflict``."""
    return versioned_transaction(Bed, conflict, code="changed_meanwhile")  # a model, not the base: see mixed_query


CHANGED = "the bed or the resident changed meanwhile (someone else was faster): reload and try again"


def check_in(resident: Resident, building_id: str, room_no: str, bed_no: int, event: BedEvent,
             counts: Mapping[str, BedCounts]) -> None:
    """Bed taken, resident placed, their card's home set, the building counted (``counts``), history written: all
    or nothing, only if the bed is still empty."""
    with bed_transaction(CHANGED) as transaction:
        _take_bed(transaction, resident.resident_id, building_id, room_no, bed_no)
        transaction.update(_resident(resident.resident_id), actions=placement_actions(building_id, room_no, bed_no),
                           condition=Resident.pk.exists() & Resident.building_id.does_not_exist())
        transaction.save(resident.card(building_id))
        _count(transaction, counts)
        _log(transaction, event)


def check_out(resident: Resident, event: BedEvent, counts: Mapping[str, BedCounts]) -> None:
    """Bed freed, placement and presence removed, history written, only if the resident is still in that bed."""
    building_id, room_no, bed_no = resident.building_id, resident.room_no, int(resident.bed_no)
    with bed_transaction(CHANGED) as transaction:
        _free_bed(transaction, resident.resident_id, building_id, room_no, bed_no)
        transaction.update(_resident(resident.resident_id), actions=clearing_actions(),
                           condition=_placed_at(building_id, room_no, bed_no))
        transaction.save(Card.make(resident.card_id, resident.resident_id, None))
        # The home building's map no longer shows them: their last swipe stays in the swipes table.
        transaction.delete(Presence(*Presence.keys(building_id, resident.resident_id)))
        _count(transaction, counts)
        _log(transaction, event)


def move(resident: Resident, to: tuple[str, str, int], event: BedEvent, current: Presence | None,
         counts: Mapping[str, BedCounts]) -> None:
    """Room change: old bed freed, new bed taken, placement moved, presence moved to the new home building."""
    building_id, room_no, bed_no = resident.building_id, resident.room_no, int(resident.bed_no)
    with bed_transaction(CHANGED) as transaction:
        _free_bed(transaction, resident.resident_id, building_id, room_no, bed_no)
        _take_bed(transaction, resident.resident_id, *to)
        transaction.update(_resident(resident.resident_id), actions=placement_actions(*to),
                           condition=_placed_at(building_id, room_no, bed_no))
        if to[0] != building_id:
            transaction.save(resident.card(to[0]))
        if current is not None and to[0] != building_id:
            # Only the swipe we read moves: a newer one meanwhile makes this a 409 instead of being lost.
            transaction.delete(current, condition=Presence.last_ts == current.last_ts)
            transaction.save(Presence.make(to[0], resident.resident_id, current.state, current.last_ts,
                                           current.reader_id, current.building_id))
        _count(transaction, counts)
        _log(transaction, event)


def place_chunk(placements: Sequence[tuple[Resident, str, str, int]], events: Sequence[BedEvent],
                counts: Mapping[str, BedCounts]) -> bool:
    """Place several residents (resident, building, room, bed) in one transaction; False if any bed or
    resident changed meanwhile (then nothing of the chunk is written). 4 items a resident (bed, resident, card,
    history) and one a building counted: at most 100 in all."""
    try:
        with TransactWrite(connection=Bed._get_connection().connection) as transaction:  # noqa: SLF001
            for (resident, building_id, room_no, bed_no), event in zip(placements, events, strict=True):
                _take_bed(transaction, resident.resident_id, building_id, room_no, bed_no)
                transaction.update(_resident(resident.resident_id),
                                   actions=placement_actions(building_id, room_no, bed_no),
                                   condition=Resident.pk.exists() & Resident.building_id.does_not_exist())
                transaction.save(resident.card(building_id))
                _log(transaction, event)
            _count(transaction, counts)
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def beds(refs: Iterable[tuple[str, str, int]]) -> dict[tuple[str, str, int], Bed]:
    """Beds by (building, room, bed), read consistently in batches."""
    keys = [(key("BLDG", b), key("ROOM", r, "BED", n)) for b, r, n in set(refs)]
    found = Bed.batch_get(keys, consistent_read=True) if keys else []
    return {(b.building_id, b.room_no, int(b.bed_no)): b for b in found}


# ---------------------------------------------------------------- automatic assignment runs (idempotency)
class AssignmentRun(DormsTable):
    """One POST /bed-assignments by its client-chosen request id: the same id answers the stored result."""

    request_id = UnicodeAttribute()
    fingerprint = UnicodeAttribute()  # hash of who asked and the body: the same id with another body is refused
    by = UnicodeAttribute()
    state = UnicodeAttribute()  # "running" / "done"
    started_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    result = BinaryAttribute(null=True, legacy_encoding=False)  # zlib-compressed JSON (2,000 students fit)

    @staticmethod
    def keys(request_id: str) -> tuple[str, str]:
        return key("ASSIGNMENT", request_id), "RESULT"

    def result_body(self) -> dict[str, Any]:
        return json.loads(zlib.decompress(self.result)) if self.result else {}


def assignment_run(request_id: str) -> AssignmentRun | None:
    return find(AssignmentRun, *AssignmentRun.keys(request_id), consistent_read=True)


def claim_assignment(request_id: str, fingerprint: str, by: str, at: str, stale_before: str) -> bool:
    """Start a run: only if there is none, or the same request is still "running" since before
    ``stale_before`` (its Lambda died); False when another request holds the id."""
    run = AssignmentRun(*AssignmentRun.keys(request_id), request_id=request_id, fingerprint=fingerprint, by=by,
                        state="running", started_at=at)
    stale = ((AssignmentRun.state == "running") & (AssignmentRun.fingerprint == fingerprint)
             & (AssignmentRun.started_at < stale_before))
    return condition_held(lambda: run.save(condition=AssignmentRun.pk.does_not_exist() | stale))


def finish_assignment(request_id: str, result: dict[str, Any], at: str) -> None:
    blob = zlib.compress(json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode())
    AssignmentRun(*AssignmentRun.keys(request_id)).update(
        actions=[AssignmentRun.state.set("done"), AssignmentRun.finished_at.set(at), AssignmentRun.result.set(blob)])
