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
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from houqin.store.base import Gsi1, Gsi2, key, table_base

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
