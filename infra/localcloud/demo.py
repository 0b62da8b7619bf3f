"""Houqin's demo data and demo logins (local use only, never deployed).

Deterministic (a fixed random seed): the same ids, names and beds on every start. Numbers
follow the seeds (REQUIREMENTS.md): two campuses 松北 and 江南; 6,450 residents received in
one intake — 本科 5,412 (松北 3,626 / 江南 1,786), 专升本 581, 研究生/博士 398, 成教 22,
教工 37; 1,700 staff in 11 independently accounted service departments; repair teams by
trade on each campus; one gate reader per dorm entrance.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from localcloud import demo_leave, demo_opinions, demo_payroll, demo_swipes, demo_tickets

SEED = 20261123
CAMPUSES = {"SB": "松北", "JN": "江南"}
CHINESE_NUMBERS = "一二三四五六七八九十"
FLOORS, ROOMS_PER_FLOOR, BEDS_PER_ROOM = 6, 20, 4
BUILDINGS_PER_CAMPUS = {"SB": 9, "JN": 6}
SECOND_ENTRANCE = {1, 5, 9}  # large buildings with a side gate (B) as well as the main gate (A)

# (category, campus, count): the intake of seed 003.
INTAKE = [
    ("本科", "SB", 3626), ("本科", "JN", 1786), ("专升本", "JN", 581),
    ("研究生", "SB", 398), ("成教", "JN", 22), ("教工", "SB", 37),
]
SCHOOLS = {
    "机械工程学院": ["机械设计", "车辆工程"], "电气工程学院": ["电气工程", "自动化"],
    "计算机学院": ["计算机科学", "软件工程"], "土木工程学院": ["土木工程", "建筑环境"],
    "经济管理学院": ["会计学", "工商管理"], "外国语学院": ["英语", "日语"],
    "理学院": ["应用数学", "应用物理"], "材料学院": ["材料科学", "高分子材料"],
}
GRADES = ["2023", "2024", "2025", "2026"]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红"
    "娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭宁龙林欣悦怡婷雪琳晨阳博文"
)
PROVINCES = ["黑龙江", "吉林", "辽宁", "河北", "山东", "河南", "江苏", "浙江", "安徽", "四川", "湖南", "湖北"]

# (department id, name, head count): 11 service units, 1,700 staff in all.
DEPARTMENTS = [
    ("WY", "物业管理中心", 300), ("YS", "饮食服务中心", 420), ("GY", "学生公寓管理中心", 260),
    ("NY", "能源服务中心", 120), ("SM", "商贸服务中心", 90), ("BG", "宾馆服务中心", 110),
    ("YL", "医疗保健中心", 80), ("JT", "交通运输中心", 70), ("YLH", "园林绿化中心", 100),
    ("HY", "会议服务中心", 50), ("FC", "房产管理中心", 100),
]
POSTS = {
    "WY": ["维修工", "值班调度员", "物业管理员"], "YS": ["厨师", "面点师", "配餐员", "采购员"],
    "GY": ["公寓管理员", "宿管员", "保洁员"], "NY": ["锅炉工", "电工", "抄表员"], "SM": ["营业员", "库管员"],
    "BG": ["前台接待", "客房服务员"], "YL": ["医生", "护士", "药剂师"], "JT": ["驾驶员", "调度员"],
    "YLH": ["园艺工", "绿化养护员"], "HY": ["会务员", "音响师"], "FC": ["房管员", "资产管理员"],
}
# Back-office posts (二线): a daily work log their manager grades A/B/C/D.
SUPPORT_POSTS = {"值班调度员", "物业管理员", "采购员", "库管员", "抄表员", "调度员", "会务员", "房管员", "资产管理员",
                 "药剂师"}
# Certificates a post requires (the rest require none).
CERTIFICATES = {"电工": "电工证", "锅炉工": "司炉证", "驾驶员": "驾驶证A2", "医生": "执业医师证", "护士": "护士执业证",
                "厨师": "厨师证", "维修工": "电工证"}
EDUCATION = ["初中", "高中", "大专", "本科", "硕士"]
TEAM_SIZE = 25  # staff per manager (主管) within a department
# (code, trade) — a repair team per trade on each campus.
TRADES = [("WATER", "水"), ("ELEC", "电"), ("CARP", "木工"), ("MASON", "泥瓦"), ("HVAC", "暖通"),
          ("DOOR", "门窗锁具")]
WORKERS_PER_TEAM = 8


@dataclass(frozen=True)
class DemoUser:
    role: str
    person_id: str
    name: str
    note: str
    child_ids: tuple[str, ...] = ()


@dataclass
class DemoData:
    campuses: list[dict[str, Any]] = field(default_factory=list)
    buildings: list[dict[str, Any]] = field(default_factory=list)
    rooms: list[dict[str, Any]] = field(default_factory=list)
    beds: list[dict[str, Any]] = field(default_factory=list)
    residents: list[dict[str, Any]] = field(default_factory=list)
    readers: list[dict[str, Any]] = field(default_factory=list)
    departments: list[dict[str, Any]] = field(default_factory=list)
    staff: list[dict[str, Any]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    users: list[DemoUser] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in
                ("campuses", "buildings", "rooms", "beds", "residents", "readers", "departments", "posts", "staff",
                 "teams")}


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def generate() -> DemoData:
    rng = random.Random(SEED)
    data = DemoData()
    free_beds: dict[tuple[str, str], list[tuple[str, str, int]]] = defaultdict(list)  # (campus, gender) -> beds
    for campus_id, campus_name in CAMPUSES.items():
        data.campuses.append({"campus_id": campus_id, "name": campus_name})
        for number in range(1, BUILDINGS_PER_CAMPUS[campus_id] + 1):
            building_id = f"{campus_id}{number:02d}"
            data.buildings.append({"building_id": building_id, "campus_id": campus_id, "floors": FLOORS,
                                   "name": f"{campus_name}{CHINESE_NUMBERS[number - 1]}公寓"})
            for entrance in ("A", "B") if number in SECOND_ENTRANCE else ("A",):
                data.readers.append({"reader_id": f"{building_id}-{entrance}", "building_id": building_id,
                                     "entrance": entrance})
            for floor in range(1, FLOORS + 1):
                gender = "M" if floor <= FLOORS // 2 else "F"  # lower floors men, upper floors women
                for index in range(1, ROOMS_PER_FLOOR + 1):
                    room_no = f"{floor}{index:02d}"
                    data.rooms.append({"building_id": building_id, "room_no": room_no, "floor": floor,
                                       "gender": gender, "capacity": BEDS_PER_ROOM})
                    for bed in range(1, BEDS_PER_ROOM + 1):
                        free_beds[(campus_id, gender)].append((building_id, room_no, bed))

    residents = list(_residents(rng))
    # Place a class together: sort by class, then fill each campus's beds of that gender in order.
    residents.sort(key=lambda r: (r["campus_id"], r["category"], r["department"], r["class_name"], r["gender"]))
    placed: dict[tuple[str, str, int], str] = {}
    for resident in residents:
        building_id, room_no, bed = free_beds[(resident["campus_id"], resident["gender"])].pop(0)
        resident.update(building_id=building_id, room_no=room_no, bed_no=bed)
        placed[(building_id, room_no, bed)] = resident["resident_id"]
    residents.sort(key=lambda r: r["resident_id"])
    data.residents = residents
    data.beds = [{"building_id": room["building_id"], "room_no": room["room_no"], "bed_no": bed,
                  "resident_id": placed.get((room["building_id"], room["room_no"], bed))}
                 for room in data.rooms for bed in range(1, BEDS_PER_ROOM + 1)]
    _staff(rng, data)
    data.users = _users(data)
    return data


def _residents(rng: random.Random) -> Iterator[dict[str, Any]]:
    number = 0
    for category, campus_id, count in INTAKE:
        for _ in range(count):
            number += 1
            school = rng.choice(list(SCHOOLS))
            grade = rng.choice(GRADES)
            major = rng.choice(SCHOOLS[school])
            yield {
                "resident_id": f"S{number:05d}",
                "card_id": f"C{10_000_000 + number * 7:08d}",
                "name": _name(rng),
                "gender": "M" if number % 2 else "F",
                "birth_month": f"{int(grade) - rng.randint(17, 19)}-{rng.randint(1, 12):02d}",
                "category": category,
                "campus_id": campus_id,
                "department": "后勤集团" if category == "教工" else school,
                "grade": grade,
                "major": major,
                "class_name": f"{major}{grade[2:]}{rng.randint(1, 4):02d}",
                "position": "班长" if rng.random() < 0.03 else None,
                "hometown": rng.choice(PROVINCES),
                "parent_phone": _phone(rng),
            }


def _staff(rng: random.Random, data: DemoData) -> None:
    """Departments with their posts (按岗定薪) and staff: each team of TEAM_SIZE has its manager (the first)."""
    number = 0
    posts = {}
    hr = random.Random(20261123)  # its own draws, so adding archive fields left the other demo data unchanged
    for department_id, name, head_count in DEPARTMENTS:
        shift = {"shift_start": "06:00", "shift_end": "14:00"} if department_id == "YS" else {}  # canteens
        data.departments.append({"department_id": department_id, "name": name, **shift})
        for index, post in enumerate(POSTS[department_id], start=1):
            posts[(department_id, post)] = post_id = f"{department_id}-P{index}"
            requirements = {"education": "大专" if post in SUPPORT_POSTS else "初中",
                            "min_years": hr.choice((0, 1, 3)),
                            "certificates": [CERTIFICATES[post]] if post in CERTIFICATES else []}
            data.posts.append({"post_id": post_id, "department_id": department_id, "name": post,
                               "duties": f"{name}{post}岗位职责", "requirements": requirements,
                               "salary_fen": hr.randrange(3200, 7001, 100) * 100})
        manager = None
        for n in range(head_count):
            number += 1
            staff_id = f"E{number:04d}"
            if n % TEAM_SIZE == 0:
                manager = staff_id
            member = {"staff_id": staff_id, "department_id": department_id, "name": _name(rng),
                      "gender": rng.choice("MF"), "post": rng.choice(POSTS[department_id]),
                      "contract": "contract" if rng.random() < 0.3 else "regular", "phone": _phone(rng),
                      "team_id": None, "manager_id": None if manager == staff_id else manager}
            post = member["post"]
            salary = next(p["salary_fen"] for p in data.posts if p["post_id"] == posts[(department_id, post)])
            data.staff.append({
                **member, "post_id": posts[(department_id, post)], "support_staff": post in SUPPORT_POSTS,
                "bank_account": "6222" + "".join(hr.choices("0123456789", k=15)),
                "social_insurance_base_fen": salary + hr.randrange(0, 2001, 100) * 100,
                "special_deduction_fen": hr.choice((0, 0, 100_000, 200_000, 300_000)),
                "education": hr.choice(EDUCATION), "years_of_service": hr.randrange(0, 31),
                "certificates": [CERTIFICATES[post]] if post in CERTIFICATES and hr.random() < 0.9 else [],
            })
    repair_staff = iter(s for s in data.staff if s["department_id"] == "WY")
    for campus_id, campus_name in CAMPUSES.items():
        for code, trade in TRADES:
            team_id = f"{campus_id}-{code}"
            data.teams.append({"team_id": team_id, "name": f"{campus_name}{trade}维修点", "trade": trade,
                               "campus_id": campus_id, "phone": _phone(rng)})
            for _ in range(WORKERS_PER_TEAM):
                worker = next(repair_staff)
                worker.update(team_id=team_id, post="维修工", post_id=posts[("WY", "维修工")], support_staff=False,
                              certificates=[CERTIFICATES["维修工"]])


def _users(data: DemoData) -> list[DemoUser]:
    def staff_of(department: str, post: str | None = None) -> Iterator[dict[str, Any]]:
        return (s for s in data.staff if s["department_id"] == department and (post is None or s["post"] == post)
                and not s["team_id"])

    students = data.residents[:2]
    workers = [next(s for s in data.staff if s["team_id"] == team) for team in ("SB-WATER", "SB-ELEC")]
    dispatchers = list(staff_of("WY", "值班调度员"))[:2]
    managers = list(staff_of("GY", "公寓管理员"))[:2]
    finance, leader, admin = list(staff_of("FC"))[:3]
    users = [DemoUser("student", s["resident_id"], s["name"], f"{s['building_id']} {s['room_no']}") for s in students]
    users += [DemoUser("parent", f"P{s['resident_id']}", f"{s['name']}的家长", f"parent of {s['resident_id']}",
                       (s["resident_id"],)) for s in students]
    users += [DemoUser("worker", w["staff_id"], w["name"], w["team_id"]) for w in workers]
    users += [DemoUser("dispatcher", d["staff_id"], d["name"], "总值班台") for d in dispatchers]
    users += [DemoUser("dorm_manager", m["staff_id"], m["name"], "学生公寓管理中心") for m in managers]
    users += [DemoUser("counsellor", f"T{n:04d}", name, school) for n, (name, school) in
              enumerate([("辅导员甲", "计算机学院"), ("辅导员乙", "机械工程学院")], start=1)]
    def team_of(manager: dict[str, Any]) -> list[dict[str, Any]]:
        return [s for s in data.staff if s["manager_id"] == manager["staff_id"] and s["support_staff"]]

    # Two managers of WY teams with support staff (two users of the role), the first one's two support staff.
    team_manager, second_manager = [s for s in data.staff if s["department_id"] == "WY" and s["manager_id"] is None
                                    and not s["team_id"] and len(team_of(s)) >= 2][:2]
    team = team_of(team_manager)[:2]
    users += [DemoUser("manager", m["staff_id"], m["name"], "物业管理中心 主管")
              for m in (team_manager, second_manager)]
    users += [DemoUser("staff", s["staff_id"], s["name"], s["post"]) for s in team]
    # Two quality monitors (质量监督员) a leader assigns complaints to: staff of the finance office.
    users += [DemoUser("staff", m["staff_id"], m["name"], "质量监督员") for m in list(staff_of("FC"))[3:5]]
    users += [DemoUser("finance", finance["staff_id"], finance["name"], "财务"),
              DemoUser("leader", leader["staff_id"], leader["name"], "集团领导"),
              DemoUser("admin", admin["staff_id"], admin["name"], "系统管理员")]
    return users


def resident_item(resident: dict[str, Any]) -> Any:
    """A generated resident as a placed ``houqin.store.dorms.Resident`` (imports the store; see load)."""
    from houqin.store.dorms import Resident

    placement = ("building_id", "room_no", "bed_no")
    fields = {k: v for k, v in resident.items() if k not in ("resident_id", "card_id", *placement)}
    item = Resident.make(resident["resident_id"], resident["card_id"], **fields)
    item.place(*(resident[k] for k in placement))
    return item


def load(data: DemoData, now: datetime, threads: int = 2) -> dict[str, int]:
    """Write the demo data with batch writes (PynamoDB), two chunks at a time.

    Measured against the moto server: 1 thread 6.5 s, 2 threads 5.9 s, 8 threads 6.3 s for the
    whole set (moto is bound by one interpreter lock); batching itself is the big win (bench/).

    Imports the store here: its models read the table names from the environment, which the
    local cloud sets from the template before calling this.
    """
    from houqin.store import dorms, staff
    from houqin.store.base import save_all

    readers = defaultdict(list)
    for reader in data.readers:
        readers[reader["building_id"]].append(reader["reader_id"])
    rooms = [dorms.Room.make(**r) for r in data.rooms]
    beds = [dorms.Bed.make(**b) for b in data.beds]
    # The buildings' bed counts (GET /buildings) from these rooms and beds: what dorms.recount would find after
    # writing them, without its Query per building (some 6 s on moto for the demo's 15).
    counts = dorms.counts_by_building(rooms, beds)
    groups: list[tuple[type, Iterable[Any]]] = [
        (dorms.Campus, (dorms.Campus.make(**c) for c in data.campuses)),
        (dorms.Building, (dorms.Building.make(**b, counts=counts.get(b["building_id"]),
                                              readers=readers[b["building_id"]]) for b in data.buildings)),
        (dorms.Room, rooms),
        (dorms.Bed, beds),
        (dorms.Reader, (dorms.Reader.make(**r) for r in data.readers)),
        (dorms.Resident, (resident_item(r) for r in data.residents)),
        (dorms.Card, (resident_item(r).card() for r in data.residents)),
        (staff.Department, (staff.Department.make(**d) for d in data.departments)),
        (staff.Post, (staff.Post.make(**p) for p in data.posts)),
        (staff.StaffMember, (staff.StaffMember.make(**s) for s in data.staff)),
        (staff.RepairTeam, (staff.RepairTeam.make(**t) for t in data.teams)),
    ]
    chunks: list[tuple[type, list[Any]]] = []
    for model, items in groups:
        batch: list[Any] = []
        for item in items:
            batch.append(item)
            if len(batch) == 500:
                chunks.append((model, batch))
                batch = []
        if batch:
            chunks.append((model, batch))

    def write(chunk: tuple[type, list[Any]]) -> tuple[str, int]:
        model, items = chunk
        return model.__name__, save_all(model, items)

    written: Counter[str] = Counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for name, count in pool.map(write, chunks):
            written[name] += count
    written.update(demo_tickets.load(data, now))
    written.update(demo_swipes.load(data, now))
    written["leave requests"] = demo_leave.load(now)
    written["opinions"] = demo_opinions.load(data, now)
    written.update(demo_payroll.load(data, now))
    return dict(written)
