"""A small dorm world with known answers, for the dorms, gates and reports tests (inside the ``aws`` fixture).

Campus SB, buildings SB01 (rooms 101, 102 men; 201 women; 2 beds each) and SB02 (room 101, men).
Readers SB01-A, SB01-B, SB02-A. Managers M1 runs SB01, M2 runs SB02. Counsellor T1 looks after
计算机学院, T2 after 机械工程学院 grade 2025 only. Parent P1 is S1's parent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import count

from houqin.clock import to_iso
from houqin.domain.swipes import Direction, Swipe
from houqin.store import dorms, swipes
from tests.integration.apigw import User

RESIDENTS = [
    # id, card, name, gender, department, grade, class, (building, room, bed) or None
    ("S1", "C0000001", "王伟", "M", "计算机学院", "2025", "软件工程2501", ("SB01", "101", 1)),
    ("S2", "C0000002", "李强", "M", "计算机学院", "2025", "软件工程2501", ("SB01", "101", 2)),
    ("S3", "C0000003", "张磊", "M", "机械工程学院", "2025", "车辆工程2502", ("SB01", "102", 1)),
    ("S4", "C0000004", "刘芳", "F", "机械工程学院", "2024", "车辆工程2401", ("SB01", "201", 1)),
    ("S5", "C0000005", "陈杰", "M", "机械工程学院", "2025", "车辆工程2502", ("SB02", "101", 1)),
    ("S6", "C0000006", "杨洋", "M", "计算机学院", "2026", "软件工程2601", None),  # not placed yet
]

MANAGER_1, MANAGER_2 = User("M1", "dorm_manager"), User("M2", "dorm_manager")
COUNSELLOR_1, COUNSELLOR_2 = User("T1", "counsellor"), User("T2", "counsellor")
STUDENT_1, STUDENT_2 = User("S1", "student"), User("S2", "student")
PARENT_1, PARENT_2 = User("P1", "parent", ("S1",)), User("P2", "parent", ("S2",))
LEADER, ADMIN, DISPATCHER = User("L1", "leader"), User("A1", "admin"), User("D1", "dispatcher")


def build() -> None:
    items: list = [dorms.Campus.make("SB", "松北")]
    placed = {r[7]: r[0] for r in RESIDENTS if r[7]}
    items += [dorms.Building.make("SB01", "SB", "松北一公寓", 6, readers=["SB01-A", "SB01-B"]),
              dorms.Building.make("SB02", "SB", "松北二公寓", 6, readers=["SB02-A"])]
    rooms = [("SB01", "101", 1, "M"), ("SB01", "102", 1, "M"), ("SB01", "201", 2, "F"), ("SB02", "101", 1, "M")]
    for building_id, room_no, floor, gender in rooms:
        items.append(dorms.Room.make(building_id, room_no, floor, gender, 2))
        for bed in (1, 2):
            items.append(dorms.Bed.make(building_id, room_no, bed, placed.get((building_id, room_no, bed))))
    for resident_id, card, name, gender, department, grade, class_name, place in RESIDENTS:
        resident = dorms.Resident.make(resident_id, card, name=name, gender=gender, birth_month="2006-05",
                                       category="本科", campus_id="SB", department=department, grade=grade,
                                       major=class_name[:-4], class_name=class_name, hometown="黑龙江",
                                       parent_phone="13800000000")
        if place:
            resident.place(*place)
        items += [resident, resident.card()]
    items += [dorms.Reader.make("SB01-A", "SB01", "A"), dorms.Reader.make("SB01-B", "SB01", "B"),
              dorms.Reader.make("SB02-A", "SB02", "A")]
    items += [dorms.ManagerBuilding.make("M1", "SB01"), dorms.ManagerBuilding.make("M2", "SB02")]
    items += [dorms.CounsellorScope.make("T1", "计算机学院"),
              dorms.CounsellorScope.make("T2", "机械工程学院", ["2025"])]
    for item in items:
        item.save()
    dorms.recount_buildings()  # rooms and beds were written directly: the buildings' counts from them


@dataclass
class Gate:
    """Writes swipes the way the swipes function stores them (the swipe, then presence if it is newer)."""

    seqs: dict[str, count] = field(default_factory=dict)

    def swipe(self, who: str, direction: str, at: datetime, reader_id: str = "SB01-A") -> None:
        """``who`` is a resident id from RESIDENTS or, for a visitor, any card id."""
        resident = next((r for r in RESIDENTS if r[0] == who), None)
        card = resident[1] if resident else who
        seq = next(self.seqs.setdefault(reader_id, count(1)))
        building_id = reader_id.split("-")[0]
        swipe = Swipe(reader_id, seq, card, Direction(direction), at)
        swipes.put_all([swipes.SwipeItem.make(swipe, building_id, resident and resident[0], at)])
        if resident and resident[7]:
            dorms.set_presence(resident[7][0], resident[0], direction, to_iso(at), reader_id, building_id)


# ---------------------------------------------------------------- newcomers (for the tests that call add_newcomers)
NEWCOMERS = [
    # id, card, name, gender, department, grade, class: none placed
    ("S7", "C0000007", "赵鹏", "M", "计算机学院", "2026", "软件工程2601"),
    ("S8", "C0000008", "孙浩", "M", "计算机学院", "2026", "软件工程2601"),
    ("S9", "C0000009", "周斌", "M", "计算机学院", "2026", "软件工程2602"),
    ("S10", "C0000010", "吴昊", "M", "计算机学院", "2026", "软件工程2602"),
    ("S11", "C0000011", "郑凯", "M", "计算机学院", "2026", "软件工程2602"),
    ("S12", "C0000012", "王静", "F", "计算机学院", "2026", "软件工程2601"),
    ("S13", "C0000013", "李娜", "F", "计算机学院", "2026", "软件工程2601"),
]
# Empty rooms of 4 beds on SB01's third floor (men) and fourth floor (women).
NEW_ROOMS = [("SB01", "301", 3, "M"), ("SB01", "302", 3, "M"), ("SB01", "401", 4, "F")]


def add_newcomers() -> None:
    """Unplaced first-years S7..S13 and SB01's empty rooms 301, 302 (men) and 401 (women), 4 beds each."""
    items: list = []
    for building_id, room_no, floor, gender in NEW_ROOMS:
        items.append(dorms.Room.make(building_id, room_no, floor, gender, 4))
        items += [dorms.Bed.make(building_id, room_no, bed, None) for bed in range(1, 5)]
    for resident_id, card, name, gender, department, grade, class_name in NEWCOMERS:
        newcomer = dorms.Resident.make(resident_id, card, name=name, gender=gender, birth_month="2007-09",
                                       category="本科", campus_id="SB", department=department, grade=grade,
                                       major=class_name[:-4], class_name=class_name, hometown="吉林",
                                       parent_phone="13900000000")
        items += [newcomer, newcomer.card()]
    for item in items:
        item.save()
    dorms.recount("SB01")
