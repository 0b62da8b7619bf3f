"""The dorms table: campuses, buildings, rooms, beds, residents and gate readers.

Access patterns (Queries and GetItems only):
- campuses ............................ pk = "CAMPUS"
- buildings of a campus ............... GSI1 gsi1pk = "CAMPUS#<campus>"
- building ............................ pk = "BLDG#<building>", sk = "META"
- rooms and beds of a building (map) .. pk = "BLDG#<building>", sk begins_with "ROOM#"
- resident ............................ pk = "RES#<resident>", sk = "PROFILE"
- residents of a building by bed ...... GSI1 gsi1pk = "BLDG#<building>", gsi1sk begins_with "RES#"
- resident by campus card ............. GSI2 gsi2pk = "CARD#<card>"
- readers of a building ............... GSI1 gsi1pk = "BLDG#<building>", gsi1sk begins_with "READER#"
- reader .............................. pk = "READER#<reader>", sk = "META"
- presence of a building's residents .. pk = "BLDG#<home building>", sk begins_with "PRES#" (the map: one Query)
- buildings a dorm manager runs ....... pk = "MANAGER#<staff>", sk begins_with "BLDG#"
- managers of a building .............. GSI1 gsi1pk = "BLDG#<building>", gsi1sk begins_with "MANAGER#"
- a counsellor's students (scope) ..... pk = "COUNSELLOR#<person>", sk = "SCOPE"
- a resident's bed history ............ pk = "RES#<resident>", sk begins_with "BEDLOG#" (time order)
- a building's check-ins/outs/moves ... GSI1 gsi1pk = "BEDLOG#<building>", gsi1sk = "<at>#<resident>"
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError

from houqin.store.base import Gsi1, Gsi2, find, key, table_base

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
    curfew = UnicodeAttribute(default="23:00")  # local time of the night roll
    morning_roll = UnicodeAttribute(default="06:00")
    # Gate hours: an entry after closes or an exit before opens is a late return / early out (早出晚归).
    opens = UnicodeAttribute(default="06:00")
    closes = UnicodeAttribute(default="23:00")
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_campus = Gsi1()

    @classmethod
    def make(cls, building_id: str, campus_id: str, name: str, floors: int) -> Building:
        return cls(pk=key("BLDG", building_id), sk="META", building_id=building_id, campus_id=campus_id,
                   name=name, floors=floors, gsi1pk=key("CAMPUS", campus_id), gsi1sk=key("BLDG", building_id))


class Room(DormsTable):
    building_id = UnicodeAttribute()
    room_no = UnicodeAttribute()
    floor = NumberAttribute()
    gender = UnicodeAttribute()  # "M" or "F": a room never mixes genders
    capacity = NumberAttribute()

    @classmethod
    def make(cls, building_id: str, room_no: str, floor: int, gender: str, capacity: int) -> Room:
        return cls(pk=key("BLDG", building_id), sk=key("ROOM", room_no), building_id=building_id,
                   room_no=room_no, floor=floor, gender=gender, capacity=capacity)


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
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    by_building = Gsi1()
    by_card = Gsi2()

    def place(self, building_id: str, room_no: str, bed_no: int) -> None:
        self.building_id, self.room_no, self.bed_no = building_id, room_no, bed_no
        self.gsi1pk = key("BLDG", building_id)
        self.gsi1sk = key("RES", room_no, bed_no)

    @classmethod
    def make(cls, resident_id: str, card_id: str, **fields: object) -> Resident:
        return cls(pk=key("RES", resident_id), sk="PROFILE", resident_id=resident_id, card_id=card_id,
                   gsi2pk=key("CARD", card_id), gsi2sk="RES", **fields)


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
    """A resident's newest swipe: in or out, when, where. Changed only by a newer swipe (see set_presence)."""

    resident_id = UnicodeAttribute()
    state = UnicodeAttribute()  # "in" / "out"
    last_ts = UnicodeAttribute()
    reader_id = UnicodeAttribute()
    building_id = UnicodeAttribute()  # the gate's building (usually the home building)

    @staticmethod
    def keys(home_building_id: str, resident_id: str) -> tuple[str, str]:
        return key("BLDG", home_building_id), key("PRES", resident_id)


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

    @classmethod
    def make(cls, person_id: str, department: str, grades: list[str] | None = None) -> CounsellorScope:
        return cls(pk=key("COUNSELLOR", person_id), sk="SCOPE", person_id=person_id, department=department,
                   grades=list(grades or []))

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


# ---------------------------------------------------------------- presence
def set_presence(home_building_id: str, resident_id: str, state: str, ts: str, reader_id: str,
                 building_id: str) -> bool:
    """Record a swipe on the resident's presence if it is newer than the stored one; False for a late swipe.

    One conditional UpdateItem (1 WCU): ``attribute_not_exists(last_ts) OR last_ts < :ts``, so a late
    or replayed swipe can never roll the state back, whatever order the messages arrive in.
    """
    pk, sk = Presence.keys(home_building_id, resident_id)
    try:
        Presence(pk, sk).update(
            actions=[Presence.resident_id.set(resident_id), Presence.state.set(state), Presence.last_ts.set(ts),
                     Presence.reader_id.set(reader_id), Presence.building_id.set(building_id)],
            condition=Presence.last_ts.does_not_exist() | (Presence.last_ts < ts))
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def presence(home_building_id: str, resident_id: str, consistent: bool = False) -> Presence | None:
    return find(Presence, *Presence.keys(home_building_id, resident_id), consistent_read=consistent)


def building_presence(building_id: str) -> dict[str, Presence]:
    """Every resident's presence in a building, by resident id (one Query)."""
    return {p.resident_id: p for p in Presence.query(key("BLDG", building_id), Presence.sk.startswith("PRES#"))}
