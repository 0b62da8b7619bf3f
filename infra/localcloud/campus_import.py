"""Loading a real campus from one workbook (``houqin import``): a parser per sheet into typed rows, a validator
returning every error, a writer using the stores.

The workbook: one sheet per kind of record; row 1 a short English note, row 2 the Chinese headers, data from row 3
(``write_template`` writes an empty one). Nothing is written unless every row passes, first on its own (types,
required columns), then across sheets (a room's building exists, a bed or a card given once ...), then against
what is stored (a resident already in another bed, a card of someone else). Re-running a file updates the same
keys: residents already in their bed stay there; fields the workbook has no column for are kept.

The store modules read table names from the environment (``<NAME>_TABLE``): the caller sets it before ``write``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

GENDERS = {"男": "M", "女": "F", "M": "M", "F": "F"}
CONTRACTS = {"正式": "regular", "合同": "contract", "外聘": "contract", "regular": "regular", "contract": "contract"}
ROLES = {"worker", "dispatcher", "dorm_manager", "counsellor", "finance", "leader", "admin", "staff", "manager"}


@dataclass(frozen=True)
class Column:
    header: str  # the Chinese header, as errors name it
    name: str  # the row's field
    kind: str = "text"  # text | int | gender | contract | money (yuan, 2 decimals -> fen) | list (comma-separated)
    required: bool = True


@dataclass(frozen=True)
class Sheet:
    title: str
    note: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the fields that identify a row (given twice: an error)


C = Column
SHEETS = (
    Sheet("校区", "Campuses: an id (e.g. SB) and a name.", (C("校区编号", "campus_id"), C("名称", "name")),
          ("campus_id",)),
    Sheet("公寓楼", "Dorm buildings: id, its campus id (sheet 校区), name, number of floors.",
          (C("楼号", "building_id"), C("校区编号", "campus_id"), C("名称", "name"), C("层数", "floors", "int")),
          ("building_id",)),
    Sheet("房间", "Rooms: building id, room number, floor, beds (numbered 1..n), gender 男/女, category (optional).",
          (C("楼号", "building_id"), C("房间号", "room_no"), C("楼层", "floor", "int"), C("床位数", "beds", "int"),
           C("性别", "gender", "gender"), C("类别", "category", required=False)), ("building_id", "room_no")),
    Sheet("学生住宿", "Residents: student id, card id, where they sleep (building, room, bed; empty: no bed yet), "
          "parent account ids (comma-separated, optional).",
          (C("学号", "resident_id"), C("姓名", "name"), C("性别", "gender", "gender"), C("类别", "category"),
           C("校区编号", "campus_id"), C("院系", "department"), C("专业", "major"), C("年级", "grade"),
           C("班级", "class_name"), C("出生年月", "birth_month"), C("籍贯", "hometown"),
           C("家长电话", "parent_phone"), C("职务", "position", required=False), C("卡号", "card_id"),
           C("楼号", "building_id", required=False), C("房间号", "room_no", required=False),
           C("床号", "bed_no", "int", required=False), C("家长账号", "parent_ids", "list", required=False)),
          ("resident_id",)),
    Sheet("读卡器", "Gate readers: reader id, building id, entrance (A, B ...).",
          (C("读卡器编号", "reader_id"), C("楼号", "building_id"), C("入口", "entrance")), ("reader_id",)),
    Sheet("部门", "Service departments: id, name, working hours HH:MM (optional; 08:00-17:00 if empty).",
          (C("部门编号", "department_id"), C("名称", "name"), C("上班时间", "shift_start", required=False),
           C("下班时间", "shift_end", required=False)), ("department_id",)),
    Sheet("员工", "Staff: id, name, gender, department id, post, contract 正式/合同, phone, bank account, their "
          "manager's id and repair team id (optional), sign-in roles (comma-separated, e.g. worker,staff).",
          (C("工号", "staff_id"), C("姓名", "name"), C("性别", "gender", "gender"), C("部门编号", "department_id"),
           C("岗位", "post"), C("用工形式", "contract", "contract"), C("电话", "phone"),
           C("银行账号", "bank_account", required=False), C("主管工号", "manager_id", required=False),
           C("维修点编号", "team_id", required=False), C("角色", "roles", "list", required=False)),
          ("staff_id",)),
    Sheet("维修点", "Repair teams: id, name, trade (水/电/木工/...), campus id, phone, manager's staff id (optional).",
          (C("维修点编号", "team_id"), C("名称", "name"), C("工种", "trade"), C("校区编号", "campus_id"),
           C("电话", "phone"), C("负责人工号", "manager_id", required=False)), ("team_id",)),
    Sheet("年初至今", "Opening year-to-date income tax by the previous system, per staff member and year, in yuan: "
          "income, insurance (专项扣除), additional deductions, other deductions, tax withheld, months paid.",
          (C("工号", "staff_id"), C("年度", "year", "int"), C("累计收入", "income_fen", "money"),
           C("累计专项扣除", "insurance_fen", "money"), C("累计专项附加扣除", "additional_fen", "money"),
           C("累计其他扣除", "other_fen", "money", required=False), C("累计已扣税额", "tax_withheld_fen", "money"),
           C("已发月数", "months_paid", "int")), ("staff_id", "year")),
)
BY_TITLE = {sheet.title: sheet for sheet in SHEETS}


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int  # the worksheet's row number (data starts on row 3); 0: the sheet itself
    column: str  # the Chinese header ("" for the whole row)
    message: str

    def __str__(self) -> str:
        where = f"{self.sheet} 第{self.row}行" if self.row else self.sheet
        return f"{where} {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


@dataclass
class Row:
    sheet: str
    number: int
    values: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.values.get(name)


@dataclass
class Workbook:
    rows: dict[str, list[Row]] = field(default_factory=lambda: {sheet.title: [] for sheet in SHEETS})

    def __getitem__(self, title: str) -> list[Row]:
        return self.rows[title]


# ---------------------------------------------------------------- the template
def write_template(path: Path) -> None:
    from openpyxl import Workbook as XlsxWorkbook
    from openpyxl.styles import Font

    book = XlsxWorkbook()
    book.remove(book.active)
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.title)
        ws.append([sheet.note])
        ws.append([c.header + ("" if c.required else "(可选)") for c in sheet.columns])
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for index, _ in enumerate(sheet.columns):
            ws.column_dimensions[chr(ord("A") + index)].width = 14
    book.save(path)


# ---------------------------------------------------------------- parsing (types, required columns)
def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = value.strftime("%Y-%m")  # 出生年月 typed as a date by Excel
    return str(value).strip()


def _convert(column: Column, value: Any) -> Any:
    text = _text(value)
    if column.kind == "int":
        if isinstance(value, bool) or not text.lstrip("-").isdigit():
            raise ValueError(f"{text!r} is not a whole number")
        return int(text)
    if column.kind == "gender":
        if text not in GENDERS:
            raise ValueError(f"{text!r} is not 男 or 女")
        return GENDERS[text]
    if column.kind == "contract":
        if text not in CONTRACTS:
            raise ValueError(f"{text!r} is not 正式 or 合同")
        return CONTRACTS[text]
    if column.kind == "money":
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{text!r} is not an amount in yuan") from None
        if amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise ValueError(f"{text!r} is not an amount in yuan (at least 0, at most 2 decimals)")
        return int(amount * 100)
    if column.kind == "list":
        return [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]
    return text


def parse(path: Path) -> tuple[Workbook, list[Problem]]:
    """Every sheet's rows, typed; the problems of single cells (a missing sheet or header, a required cell empty,
    a cell of the wrong type)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    parsed, problems = Workbook(), []
    for sheet in SHEETS:
        if sheet.title not in book.sheetnames:
            problems.append(Problem(sheet.title, 0, "", "sheet missing (houqin import --template writes them all)"))
            continue
        rows = book[sheet.title].iter_rows(values_only=True)
        next(rows, None)  # the note
        headers = [_text(h).removesuffix("(可选)") if h is not None else "" for h in next(rows, ()) or ()]
        where = {}
        for column in sheet.columns:
            if column.header in headers:
                where[column.name] = headers.index(column.header)
            elif column.required:
                problems.append(Problem(sheet.title, 2, column.header, "column missing"))
        for number, cells in enumerate(rows, start=3):
            if all(c is None or _text(c) == "" for c in cells):
                continue
            values: dict[str, Any] = {}
            for column in sheet.columns:
                index = where.get(column.name)
                cell = cells[index] if index is not None and index < len(cells) else None
                if cell is None or _text(cell) == "":
                    values[column.name] = [] if column.kind == "list" else None
                    if column.required and index is not None:
                        problems.append(Problem(sheet.title, number, column.header, "required"))
                    continue
                try:
                    values[column.name] = _convert(column, cell)
                except ValueError as exc:
                    problems.append(Problem(sheet.title, number, column.header, str(exc)))
            parsed[sheet.title].append(Row(sheet.title, number, values))
    return parsed, problems


# ---------------------------------------------------------------- validation across sheets
def _header(sheet: str, name: str) -> str:
    return next(c.header for c in BY_TITLE[sheet].columns if c.name == name)


def validate(book: Workbook) -> list[Problem]:
    """Problems between rows and sheets: keys given twice, references to nothing, beds and cards given twice."""
    problems: list[Problem] = []

    def problem(row: Row, name: str, message: str) -> None:
        problems.append(Problem(row.sheet, row.number, _header(row.sheet, name) if name else "", message))

    for sheet in SHEETS:
        first: dict[tuple[Any, ...], int] = {}
        for row in book[sheet.title]:
            key = tuple(row[k] for k in sheet.key)
            if None in key:
                continue
            if key in first:
                problem(row, sheet.key[-1], f"{'/'.join(map(str, key))} given twice (first on row {first[key]})")
            else:
                first[key] = row.number

    def ids(title: str, name: str) -> set[Any]:
        return {row[name] for row in book[title]}

    def refers(title: str, name: str, target: str, target_name: str, optional: bool = False) -> None:
        known = ids(target, target_name)
        for row in book[title]:
            value = row[name]
            if value is None and optional:
                continue
            if value is not None and value not in known:
                problem(row, name, f"no {value} in sheet {target}")

    refers("公寓楼", "campus_id", "校区", "campus_id")
    refers("房间", "building_id", "公寓楼", "building_id")
    refers("学生住宿", "campus_id", "校区", "campus_id")
    refers("读卡器", "building_id", "公寓楼", "building_id")
    refers("员工", "department_id", "部门", "department_id")
    refers("员工", "manager_id", "员工", "staff_id", optional=True)
    refers("员工", "team_id", "维修点", "team_id", optional=True)
    refers("维修点", "campus_id", "校区", "campus_id")
    refers("维修点", "manager_id", "员工", "staff_id", optional=True)
    refers("年初至今", "staff_id", "员工", "staff_id")

    rooms = {(r["building_id"], r["room_no"]): r for r in book["房间"]}
    buildings = {b["building_id"]: b for b in book["公寓楼"]}
    for room in book["房间"]:
        if room["beds"] is not None and not 1 <= room["beds"] <= 12:
            problem(room, "beds", "1 to 12 beds")
        building = buildings.get(room["building_id"])
        if building and room["floor"] is not None and building["floors"] is not None \
                and not 1 <= room["floor"] <= building["floors"]:
            problem(room, "floor", f"the building has floors 1 to {building['floors']}")
    beds: dict[tuple[Any, ...], int] = {}
    cards: dict[str, int] = {}
    for resident in book["学生住宿"]:
        place = (resident["building_id"], resident["room_no"], resident["bed_no"])
        if any(part is not None for part in place):
            room = rooms.get(place[:2])
            if None in place:
                problem(resident, "building_id", "a bed needs its building, room and bed number (or none of them)")
            elif room is None:
                problem(resident, "room_no", f"no room {place[0]} {place[1]} in sheet 房间")
            elif room["beds"] is not None and not 1 <= place[2] <= room["beds"]:
                problem(resident, "bed_no", f"room {place[0]} {place[1]} has beds 1 to {room['beds']}")
            elif buildings.get(place[0]) and resident["campus_id"] \
                    and buildings[place[0]]["campus_id"] != resident["campus_id"]:
                problem(resident, "building_id", f"{place[0]} is on campus {buildings[place[0]]['campus_id']}")
            elif room["gender"] and resident["gender"] and room["gender"] != resident["gender"]:
                problem(resident, "gender", f"room {place[0]} {place[1]} is a {_gender(room['gender'])} room")
            elif place in beds:
                problem(resident, "bed_no", f"bed {' '.join(map(str, place))} given twice (first on row "
                                            f"{beds[place]})")
            else:
                beds[place] = resident.number
        card = resident["card_id"]
        if card is not None:
            if card in cards:
                problem(resident, "card_id", f"card {card} given to two residents (first on row {cards[card]})")
            else:
                cards[card] = resident.number
        if resident["birth_month"] and not _is_month(resident["birth_month"]):
            problem(resident, "birth_month", f"{resident['birth_month']!r} is not YYYY-MM")
    for member in book["员工"]:
        for role in member["roles"] or ():
            if role not in ROLES:
                problem(member, "roles", f"{role!r} is not one of {', '.join(sorted(ROLES))}")
    for department in book["部门"]:
        for name in ("shift_start", "shift_end"):
            if department[name] and not _is_time(department[name]):
                problem(department, name, f"{department[name]!r} is not HH:MM")
    for opening in book["年初至今"]:
        if opening["months_paid"] is not None and not 0 <= opening["months_paid"] <= 11:
            problem(opening, "months_paid", "0 to 11 (months paid by the previous system this year)")
    return problems


def _gender(code: str) -> str:
    return "男" if code == "M" else "女"


def _is_month(text: str) -> bool:
    return _reads_as(text, "%Y-%m", "2026-11")


def _is_time(text: str) -> bool:
    return _reads_as(text, "%H:%M", "23:00")


def _reads_as(text: str, form: str, example: str) -> bool:
    """``text`` in ``form`` and as long as ``example`` (strptime alone would take "2026-1" or "7:5")."""
    try:
        datetime.strptime(text, form)
    except ValueError:
        return False
    return len(text) == len(example)


# ---------------------------------------------------------------- against what is stored
def check_stored(book: Workbook) -> list[Problem]:
    """Problems only the stored data shows: a resident already in another bed (a move goes through the dorm pages),
    a bed taken by someone else, a card already someone else's. Reads, writes nothing."""
    from houqin.store import dorms

    problems: list[Problem] = []
    rows = book["学生住宿"]
    stored = dorms.residents(r["resident_id"] for r in rows)
    stored_cards = dorms.cards(r["card_id"] for r in rows)
    wanted = {(r["building_id"], r["room_no"], r["bed_no"]): r for r in rows if r["bed_no"] is not None}
    beds = dorms.beds(wanted)
    for row in rows:
        header = _header(row.sheet, "bed_no")
        found = stored.get(row["resident_id"])
        place = (row["building_id"], row["room_no"], row["bed_no"])
        if found is not None and found.building_id is not None and place != _placement(found):
            problems.append(Problem(row.sheet, row.number, header, f"already in {' '.join(map(str, _placement(found)))}"
                                    ": move or check out through the dorm pages first"))
        bed = beds.get(place)
        if bed is not None and bed.resident_id not in (None, row["resident_id"]):
            problems.append(Problem(row.sheet, row.number, header, f"bed taken by {bed.resident_id}"))
        card = stored_cards.get(row["card_id"])
        if card is not None and card.resident_id != row["resident_id"]:
            problems.append(Problem(row.sheet, row.number, _header(row.sheet, "card_id"),
                                    f"card {row['card_id']} is {card.resident_id}'s"))
    return problems


def _placement(resident: Any) -> tuple[str, str, int] | None:
    if resident.building_id is None:
        return None
    return resident.building_id, resident.room_no, int(resident.bed_no)


# ---------------------------------------------------------------- writing (through the stores)
def _keep(new: Any, old: Any | None, names: Iterable[str]) -> Any:
    """``new`` with the attributes the workbook does not give copied from the stored ``old``."""
    for name in names:
        if old is not None and getattr(old, name, None) is not None:
            setattr(new, name, getattr(old, name))
    return new


def _given(row: Row, *names: str) -> dict[str, Any]:
    return {name: row[name] for name in names if row[name] is not None}


def write(book: Workbook, by: str, now: datetime) -> dict[str, int]:
    """Write a validated workbook; how many of each were written. Residents are placed by the store's bed
    transaction (``dorms.place_chunk``: bed, resident, card and history together); buildings are recounted last."""
    from houqin.clock import to_iso
    from houqin.store import dorms, payroll, staff
    from houqin.store.base import save_all

    written: dict[str, int] = {}
    buildings = {b["building_id"]: b for b in book["公寓楼"]}
    stored_buildings = {b: dorms.building(b) for b in buildings}
    readers: dict[str, set[str]] = defaultdict(set)
    for building_id, found in stored_buildings.items():
        readers[building_id].update(found.readers if found else ())
    for reader in book["读卡器"]:
        readers[reader["building_id"]].add(reader["reader_id"])
    settings = ("curfew", "morning_roll", "opens", "closes", "notify_parent")
    written["campuses"] = save_all(dorms.Campus, (dorms.Campus.make(r["campus_id"], r["name"]) for r in book["校区"]))
    written["buildings"] = save_all(dorms.Building, (
        _keep(dorms.Building.make(b["building_id"], b["campus_id"], b["name"], b["floors"],
                                  readers=readers[b["building_id"]]), stored_buildings[b["building_id"]], settings)
        for b in buildings.values()))
    written["rooms"] = save_all(dorms.Room, (
        dorms.Room.make(r["building_id"], r["room_no"], r["floor"], r["gender"], r["beds"], r["category"])
        for r in book["房间"]))
    refs = [(r["building_id"], r["room_no"], n) for r in book["房间"] for n in range(1, r["beds"] + 1)]
    existing_beds = dorms.beds(refs)
    written["new beds"] = save_all(dorms.Bed, (dorms.Bed.make(*ref, None) for ref in refs if ref not in existing_beds))
    written["readers"] = save_all(dorms.Reader, (
        dorms.Reader.make(r["reader_id"], r["building_id"], r["entrance"]) for r in book["读卡器"]))

    rows = book["学生住宿"]
    stored = dorms.residents(r["resident_id"] for r in rows)
    profile = ("name", "gender", "category", "campus_id", "department", "grade", "major", "class_name",
               "birth_month", "hometown", "parent_phone", "position")
    residents, to_place = [], []
    for row in rows:
        item = dorms.Resident.make(row["resident_id"], row["card_id"], **_given(row, *profile))
        found = stored.get(row["resident_id"])
        if found is not None and found.building_id is not None:
            item.place(*_placement(found))  # already in this bed (check_stored): stays
        elif row["bed_no"] is not None:
            to_place.append((item, row["building_id"], row["room_no"], row["bed_no"]))
        residents.append(item)
    written["residents"] = save_all(dorms.Resident, residents)
    # Cards of residents who keep their bed or have none; the placed get theirs in the bed transaction.
    placing = {item.resident_id for item, *_ in to_place}
    written["cards"] = save_all(dorms.Card, (r.card() for r in residents if r.resident_id not in placing))
    at = to_iso(now)
    placed = 0
    for start in range(0, len(to_place), 20):  # 4 items a resident: within a transaction's 100
        chunk = to_place[start:start + 20]
        events = [dorms.BedEvent.make(r.resident_id, "check_in", at, by, b, room, bed) for r, b, room, bed in chunk]
        if not dorms.place_chunk(chunk, events, {}):
            raise RuntimeError("a bed or resident changed while importing: run the import again")
        placed += len(chunk)
    written["placed"] = placed
    for building_id in buildings:
        dorms.recount(building_id)

    departments = {d.department_id: d for d in staff.departments()}
    written["departments"] = save_all(staff.Department, (
        _keep(staff.Department.make(d["department_id"], d["name"], **_given(d, "shift_start", "shift_end")),
              departments.get(d["department_id"]), ("independent_accounts", "grace_minutes"))
        for d in book["部门"]))
    members = book["员工"]
    team_of = {t["manager_id"]: t["team_id"] for t in book["维修点"] if t["manager_id"]}
    old_members = staff.members(m["staff_id"] for m in members)
    kept = ("post_id", "support_staff", "social_insurance_base_fen", "special_deduction_fen", "education",
            "years_of_service", "certificates", "departments_left")
    items = []
    for m in members:
        old = old_members.get(m["staff_id"])
        fields = _given(m, "name", "gender", "post", "contract", "phone", "bank_account")
        team = m["team_id"] or team_of.get(m["staff_id"])
        item = _keep(staff.StaffMember.make(m["staff_id"], old.department_id if old else m["department_id"],
                                            team_id=team, manager_id=m["manager_id"], **fields), old, kept)
        item.move_to(m["department_id"], now.date())  # a department change keeps the one left (store docstring)
        items.append(item)
    written["staff"] = save_all(staff.StaffMember, items)
    written["repair teams"] = save_all(staff.RepairTeam, (
        staff.RepairTeam.make(t["team_id"], t["name"], t["trade"], t["campus_id"], t["phone"])
        for t in book["维修点"]))
    written["opening year-to-date"] = save_all(payroll.OpeningYearToDate, (
        payroll.OpeningYearToDate.make(o["staff_id"], o["year"], months_paid=o["months_paid"],
                                       **{k: o[k] or 0 for k in ("income_fen", "insurance_fen", "additional_fen",
                                                                 "other_fen", "tax_withheld_fen")})
        for o in book["年初至今"]))
    return written


# ---------------------------------------------------------------- sign-in users (Cognito)
@dataclass(frozen=True)
class User:
    username: str
    groups: tuple[str, ...]
    person_id: str
    child_ids: tuple[str, ...] = ()

    def attributes(self) -> list[dict[str, str]]:
        attributes = [{"Name": "custom:person_id", "Value": self.person_id}]
        if self.child_ids:
            attributes.append({"Name": "custom:child_ids", "Value": ",".join(self.child_ids)})
        return attributes


def users(book: Workbook) -> list[User]:
    """Students (group student), parents (group parent, their children in custom:child_ids) and staff with
    roles (the 角色 column): one user a person, the person id as the user name."""
    found = [User(r["resident_id"], ("student",), r["resident_id"]) for r in book["学生住宿"]]
    children: dict[str, list[str]] = defaultdict(list)
    for resident in book["学生住宿"]:
        for parent in resident["parent_ids"] or ():
            children[parent].append(resident["resident_id"])
    found += [User(parent, ("parent",), parent, tuple(ids)) for parent, ids in sorted(children.items())]
    found += [User(m["staff_id"], tuple(m["roles"]), m["staff_id"]) for m in book["员工"] if m["roles"]]
    return found


def create_users(cognito: Any, pool_id: str, wanted: Iterable[User]) -> dict[str, int]:
    """AdminCreateUser (no invitation e-mail: the campus hands out first passwords) or, for a user who exists,
    AdminUpdateUserAttributes; AdminAddUserToGroup for each group (adding twice is harmless): re-runs are safe."""
    counts = {"created": 0, "updated": 0}
    for user in wanted:
        try:
            cognito.admin_create_user(UserPoolId=pool_id, Username=user.username, UserAttributes=user.attributes(),
                                      MessageAction="SUPPRESS")
            counts["created"] += 1
        except cognito.exceptions.UsernameExistsException:
            cognito.admin_update_user_attributes(UserPoolId=pool_id, Username=user.username,
                                                 UserAttributes=user.attributes())
            counts["updated"] += 1
        for group in user.groups:
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=user.username, GroupName=group)
    return counts


# ---------------------------------------------------------------- the whole import
def check(path: Path) -> tuple[Workbook, list[Problem]]:
    """Parse and validate (cells, then across sheets): the workbook and every problem."""
    book, problems = parse(path)
    if any(p.row in (0, 2) for p in problems):  # a sheet or column missing: nothing more to say
        return book, problems
    return book, problems + validate(book)


def run(path: Path, now: datetime, by: str = "import",
        report: Callable[[str], None] = print) -> tuple[dict[str, int] | None, list[Problem]]:
    """Check everything, then write all of it, or nothing if anything is wrong (the problems, sheet by sheet)."""
    book, problems = check(path)
    if not problems:
        problems = check_stored(book)
    if problems:
        for problem in sorted(problems, key=lambda p: ([s.title for s in SHEETS].index(p.sheet), p.row)):
            report(str(problem))
        report(f"{len(problems)} problem(s): nothing written")
        return None, problems
    return write(book, by, now), []


def rows_of(book: Workbook) -> Iterator[tuple[str, int]]:
    return ((sheet.title, len(book[sheet.title])) for sheet in SHEETS)

