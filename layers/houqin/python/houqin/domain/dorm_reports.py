"""The dorm reports (公寓报表): gate swipes, residents and building hours in, report rows out.

Pure rules: plain records in, lists of row dicts out (keys are the report's column keys). No AWS,
no clock; the time zone is an argument. Times are UTC in the records and shown in local time.

Rules, exactly:

- **Gate hours** (早出晚归). A building's gate is closed from ``closes`` (inclusive) until ``opens``
  (exclusive), local time; defaults 23:00 and 06:00. An entry while closed is a late return (晚归),
  an exit while closed an early out (早出). Each swipe is judged by the hours of the gate's building.
- **Nights not returned** (夜不归宿). For each local night ``d`` of the range, a resident placed in a
  building is out for the night when their state at that building's ``morning_roll`` on ``d + 1``
  (default 06:00) is "out". Their state at a moment is the direction of their last swipe before it
  at their own building's gates (an entry at another building is not being home), carried across
  days. With no such swipe in the look-back window read before the range, the state comes from
  the resident's Presence if its ``last_ts`` is before that window (their newest swipe is older than
  everything read, so it still holds); otherwise (no history, or a newest swipe elsewhere) the
  resident is assumed in. A resident who slips out before the roll (an early out at 05:30) is
  out at the roll and therefore counted: the roll is what the rule looks at, as in the paper roll.
- **Violations** (各院系违禁情况评比表): per department of the residents in scope, nights not
  returned + late returns + early outs; the rate is per 100 residents, and departments are ranked
  by rate, worst first (ties share a rank; then by total, then by name for a stable order).
- **Visitors** (外来客人): a card no resident holds, or a resident swiping at a building that is
  not their own (or who has no bed yet).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from houqin.clock import at_local, local, local_day

IN, OUT = "in", "out"
LATE_RETURN, EARLY_OUT = "late_return", "early_out"
UNKNOWN_CARD, OTHER_BUILDING = "unknown_card", "other_building"
LABELS = {IN: "进 in", OUT: "出 out", LATE_RETURN: "晚归 late return", EARLY_OUT: "早出 early out",
          UNKNOWN_CARD: "未知卡 unknown card", OTHER_BUILDING: "外楼住户 other building", "swipe": "刷卡 swipe",
          "presence": "最后状态 presence", "assumed": "默认在 assumed in"}
Row = dict[str, Any]


# ---------------------------------------------------------------- records
@dataclass(frozen=True)
class SwipeRecord:
    ts: datetime  # UTC
    reader_id: str
    building_id: str  # the gate's building
    direction: str  # "in" / "out"
    card_id: str
    resident_id: str | None  # None: a card no resident holds


@dataclass(frozen=True)
class Person:
    resident_id: str
    name: str
    department: str
    grade: str
    class_name: str
    building_id: str | None  # home building; None: no bed yet
    room_no: str | None
    bed_no: int | None


@dataclass(frozen=True)
class Hours:
    building_id: str
    name: str
    opens: time = time(6, 0)
    closes: time = time(23, 0)
    morning_roll: time = time(6, 0)

    def closed_at(self, clock_time: time) -> bool:
        if self.closes > self.opens:  # the usual case: closed over midnight
            return clock_time >= self.closes or clock_time < self.opens
        return self.closes <= clock_time < self.opens


@dataclass(frozen=True)
class CheckOut:
    resident_id: str
    at: datetime  # UTC
    building_id: str
    room_no: str
    bed_no: int
    by: str
    reason: str | None


def clock_time(text: str | None, default: time) -> time:
    """A stored "HH:MM" (None or empty: the default)."""
    return time.fromisoformat(text) if text else default


def shown(moment: datetime | None, tz: ZoneInfo) -> str:
    """Local wall-clock time as people read it: "2026-11-23 22:05:00"."""
    return local(moment, tz).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _person_cells(person: Person | None, resident_id: str | None = None) -> Row:
    if person is None:
        return {"resident_id": resident_id, "name": None, "department": None, "class_name": None, "room": None}
    return {"resident_id": person.resident_id, "name": person.name, "department": person.department,
            "class_name": person.class_name, "room": room(person)}


def room(person: Person) -> str | None:
    return f"{person.building_id}-{person.room_no}" if person.building_id and person.room_no else None


def in_days(swipes: Iterable[SwipeRecord], start: date, end: date, tz: ZoneInfo) -> list[SwipeRecord]:
    return sorted((s for s in swipes if start <= local_day(s.ts, tz) <= end), key=lambda s: s.ts)


# ---------------------------------------------------------------- 公寓出入记录
def entries(swipes: Iterable[SwipeRecord], people: Mapping[str, Person], tz: ZoneInfo) -> list[Row]:
    rows = []
    for s in sorted(swipes, key=lambda s: (s.ts, s.reader_id)):
        person = people.get(s.resident_id) if s.resident_id else None
        rows.append({"time": shown(s.ts, tz), "building_id": s.building_id, "reader_id": s.reader_id,
                     "direction": LABELS[s.direction], "card_id": s.card_id,
                     **_person_cells(person, s.resident_id), "unknown_card": s.resident_id is None})
    return rows


# ---------------------------------------------------------------- 早出晚归
def early_late_kind(swipe: SwipeRecord, hours: Hours | None, tz: ZoneInfo) -> str | None:
    if hours is None or not hours.closed_at(local(swipe.ts, tz).time()):
        return None
    return LATE_RETURN if swipe.direction == IN else EARLY_OUT


def early_late(swipes: Iterable[SwipeRecord], residents: Mapping[str, Person], hours: Mapping[str, Hours],
               tz: ZoneInfo) -> list[Row]:
    """Residents' swipes while their gate was closed (unknown cards are in the visitors report)."""
    rows = []
    for s in sorted(swipes, key=lambda s: s.ts):
        person = residents.get(s.resident_id or "")
        kind = early_late_kind(s, hours.get(s.building_id), tz) if person else None
        if kind and person:
            gate = hours[s.building_id]
            rows.append({"day": local_day(s.ts, tz).isoformat(), "time": shown(s.ts, tz), "kind": kind,
                         "kind_label": LABELS[kind], "building_id": s.building_id, "reader_id": s.reader_id,
                         **_person_cells(person), "gate_hours": f"{gate.opens:%H:%M}-{gate.closes:%H:%M}"})
    return rows


# ---------------------------------------------------------------- 夜不归宿
def prior_state(presence_state: str | None, presence_ts: datetime | None, window_start: datetime) -> str:
    """A resident's state before the first swipe read: their Presence if it is older than the window, else in."""
    if presence_state in (IN, OUT) and presence_ts is not None and presence_ts < window_start:
        return presence_state
    return IN


def nights_out(swipes: Iterable[SwipeRecord], residents: Mapping[str, Person], hours: Mapping[str, Hours],
               nights: Sequence[date], tz: ZoneInfo, prior: Mapping[str, str]) -> list[Row]:
    """One row per resident per night they were out at the next morning's roll (rule in the module docstring).

    ``swipes`` must hold every swipe at the residents' own gates from the start of the look-back
    window to the last roll; ``prior`` the state before that window (see ``prior_state``).
    """
    home_swipes: dict[str, list[SwipeRecord]] = defaultdict(list)
    for s in swipes:
        person = residents.get(s.resident_id or "")
        if person and s.building_id == person.building_id:
            home_swipes[person.resident_id].append(s)
    rows = []
    for night in nights:
        for person in sorted(residents.values(), key=lambda p: (p.building_id or "", p.room_no or "",
                                                               p.bed_no or 0, p.resident_id)):
            gate = hours.get(person.building_id or "")
            if gate is None:
                continue
            roll = at_local(night + timedelta(days=1), gate.morning_roll, tz)
            last = last_before(home_swipes.get(person.resident_id, ()), roll)
            state = last.direction if last else prior.get(person.resident_id, IN)
            if state == OUT:
                basis = "swipe" if last else "presence"
                rows.append({"night": night.isoformat(), "building_id": person.building_id, **_person_cells(person),
                             "roll_time": shown(roll, tz), "last_exit": shown(last.ts, tz) if last else None,
                             "basis": LABELS[basis]})
    return rows


def last_before(swipes: Iterable[SwipeRecord], moment: datetime) -> SwipeRecord | None:
    earlier = [s for s in swipes if s.ts < moment]
    return max(earlier, key=lambda s: s.ts) if earlier else None


# ---------------------------------------------------------------- 个人出入统计
def individuals(swipes: Iterable[SwipeRecord], residents: Mapping[str, Person], night_rows: Iterable[Row],
                early_late_rows: Iterable[Row], tz: ZoneInfo) -> list[Row]:
    """Per resident in scope (with no swipe too): entries, exits, first/last swipe and the violation counts."""
    mine: dict[str, list[SwipeRecord]] = defaultdict(list)
    for s in swipes:
        if s.resident_id in residents:
            mine[s.resident_id].append(s)
    nights = Counter(row["resident_id"] for row in night_rows)
    kinds = Counter((row["resident_id"], row["kind"]) for row in early_late_rows)
    rows = []
    for person in sorted(residents.values(), key=lambda p: (p.building_id or "", p.room_no or "", p.bed_no or 0,
                                                            p.resident_id)):
        own = sorted(mine.get(person.resident_id, ()), key=lambda s: s.ts)
        rows.append({**_person_cells(person), "entries": sum(s.direction == IN for s in own),
                     "exits": sum(s.direction == OUT for s in own),
                     "first_swipe": shown(own[0].ts, tz) if own else None,
                     "last_swipe": shown(own[-1].ts, tz) if own else None,
                     "nights_out": nights[person.resident_id],
                     "late_returns": kinds[(person.resident_id, LATE_RETURN)],
                     "early_outs": kinds[(person.resident_id, EARLY_OUT)]})
    return rows


# ---------------------------------------------------------------- 外来客人/未知卡
def visitor_kind(swipe: SwipeRecord, people: Mapping[str, Person]) -> str | None:
    if swipe.resident_id is None:
        return UNKNOWN_CARD
    person = people.get(swipe.resident_id)
    if person is None or person.building_id != swipe.building_id:
        return OTHER_BUILDING
    return None


def visitors(swipes: Iterable[SwipeRecord], people: Mapping[str, Person], tz: ZoneInfo) -> list[Row]:
    rows = []
    for s in sorted(swipes, key=lambda s: (s.ts, s.reader_id)):
        kind = visitor_kind(s, people)
        if kind:
            person = people.get(s.resident_id) if s.resident_id else None
            rows.append({"time": shown(s.ts, tz), "building_id": s.building_id, "reader_id": s.reader_id,
                         "direction": LABELS[s.direction], "card_id": s.card_id, "kind": kind,
                         "kind_label": LABELS[kind], **_person_cells(person, s.resident_id),
                         "home_building_id": person.building_id if person else None})
    return rows


# ---------------------------------------------------------------- 退房
def check_outs(events: Iterable[CheckOut], people: Mapping[str, Person], tz: ZoneInfo) -> list[Row]:
    rows = []
    for event in sorted(events, key=lambda e: (e.at, e.resident_id)):
        person = people.get(event.resident_id)
        rows.append({"time": shown(event.at, tz), "building_id": event.building_id,
                     "room": f"{event.building_id}-{event.room_no}", "bed_no": event.bed_no,
                     "resident_id": event.resident_id, "name": person.name if person else None,
                     "department": person.department if person else None,
                     "class_name": person.class_name if person else None, "by": event.by, "reason": event.reason})
    return rows


# ---------------------------------------------------------------- 各院系违禁情况评比表
def violations(residents: Iterable[Person], night_rows: Iterable[Row], early_late_rows: Iterable[Row]) -> list[Row]:
    department_of = {p.resident_id: p.department for p in residents}
    size = Counter(department_of.values())
    nights = Counter(department_of[r["resident_id"]] for r in night_rows if r["resident_id"] in department_of)
    late = Counter(department_of[r["resident_id"]] for r in early_late_rows
                   if r["kind"] == LATE_RETURN and r["resident_id"] in department_of)
    early = Counter(department_of[r["resident_id"]] for r in early_late_rows
                    if r["kind"] == EARLY_OUT and r["resident_id"] in department_of)
    rows = []
    for department, residents_count in size.items():
        total = nights[department] + late[department] + early[department]
        rows.append({"department": department, "residents": residents_count, "nights_out": nights[department],
                     "late_returns": late[department], "early_outs": early[department], "total": total,
                     "per_100": round(100 * total / residents_count, 2)})
    rows.sort(key=lambda r: (-r["per_100"], -r["total"], r["department"]))
    for index, row in enumerate(rows):
        same_as_previous = index and row["per_100"] == rows[index - 1]["per_100"]
        row["rank"] = rows[index - 1]["rank"] if same_as_previous else index + 1
    return rows


# ---------------------------------------------------------------- 门岗值班统计
def gate_duty(swipes: Iterable[SwipeRecord], readers: Iterable[tuple[str, str]], report_days: Sequence[date],
              tz: ZoneInfo) -> list[Row]:
    """Per reader (``(reader_id, building_id)``; a reader with no swipe still gets its zero line) per day."""
    by_slot: dict[tuple[str, str, date], list[SwipeRecord]] = defaultdict(list)
    for s in swipes:
        by_slot[(s.building_id, s.reader_id, local_day(s.ts, tz))].append(s)
    gates = set(readers) | {(reader_id, building_id) for building_id, reader_id, _ in by_slot}
    rows = []
    for day in report_days:
        for reader_id, building_id in sorted(gates, key=lambda g: (g[1], g[0])):
            slot = by_slot.get((building_id, reader_id, day), [])
            hours = Counter(local(s.ts, tz).hour for s in slot)
            busiest = min(hours, key=lambda h: (-hours[h], h)) if hours else None
            rows.append({"day": day.isoformat(), "building_id": building_id, "reader_id": reader_id,
                         "entries": sum(s.direction == IN for s in slot),
                         "exits": sum(s.direction == OUT for s in slot),
                         "unknown_cards": sum(s.resident_id is None for s in slot), "swipes": len(slot),
                         "busiest_hour": f"{busiest:02d}:00-{(busiest + 1) % 24:02d}:00" if busiest is not None
                         else None,
                         "busiest_hour_swipes": hours[busiest] if busiest is not None else 0})
    return rows


# ---------------------------------------------------------------- what each report shows
@dataclass(frozen=True)
class ReportSpec:
    title: str
    columns: tuple[tuple[str, str, str], ...]  # key, 中文, English
    about_gates: bool = False  # about gates rather than students: not for counsellors
    needs_history: bool = False  # reads the look-back window and the morning after the range


PERSON = (("resident_id", "学号", "Resident ID"), ("name", "姓名", "Name"), ("department", "院系", "Department"),
          ("class_name", "班级", "Class"), ("room", "房间", "Room"))
SWIPE = (("time", "时间", "Time"), ("building_id", "楼宇", "Building"), ("reader_id", "读卡器", "Reader"),
         ("direction", "方向", "Direction"), ("card_id", "卡号", "Card"))

REPORTS: dict[str, ReportSpec] = {
    "entries": ReportSpec("公寓出入记录 Entries and exits",
                          SWIPE + PERSON + (("unknown_card", "未知卡", "Unknown card"),)),
    "individuals": ReportSpec("个人出入统计 Individual entry-exit statistics", PERSON + (
        ("entries", "进", "Entries"), ("exits", "出", "Exits"), ("first_swipe", "首次刷卡", "First swipe"),
        ("last_swipe", "末次刷卡", "Last swipe"), ("nights_out", "夜不归宿", "Nights out"),
        ("late_returns", "晚归", "Late returns"), ("early_outs", "早出", "Early outs")), needs_history=True),
    "nights-out": ReportSpec("夜不归宿 Nights not returned", (
        ("night", "日期(晚)", "Night"), ("building_id", "楼宇", "Building")) + PERSON + (
        ("roll_time", "查寝时间", "Roll time"), ("last_exit", "最后出门", "Last exit"), ("basis", "依据", "Basis")),
        needs_history=True),
    "early-late": ReportSpec("早出晚归 Early out and late return", (
        ("day", "日期", "Day"), ("time", "时间", "Time"), ("kind_label", "类别", "Kind"), ("kind", "代码", "Kind code"),
        ("building_id", "楼宇", "Building"), ("reader_id", "读卡器", "Reader")) + PERSON + (
        ("gate_hours", "开门时间", "Gate hours"),)),
    "visitors": ReportSpec("外来客人与未知卡 Visitors and unknown cards", SWIPE + (
        ("kind_label", "类别", "Kind"), ("kind", "代码", "Kind code")) + PERSON + (
        ("home_building_id", "所住楼宇", "Home building"),), about_gates=True),
    "check-outs": ReportSpec("退房 Check-outs", (
        ("time", "时间", "Time"), ("building_id", "楼宇", "Building"), ("room", "房间", "Room"),
        ("bed_no", "床位", "Bed"), ("resident_id", "学号", "Resident ID"), ("name", "姓名", "Name"),
        ("department", "院系", "Department"), ("class_name", "班级", "Class"), ("by", "经办人", "By"),
        ("reason", "原因", "Reason"))),
    "violations": ReportSpec("各院系违禁情况评比表 Violations by department", (
        ("rank", "名次", "Rank"), ("department", "院系", "Department"), ("residents", "住宿人数", "Residents"),
        ("nights_out", "夜不归宿", "Nights out"), ("late_returns", "晚归", "Late returns"),
        ("early_outs", "早出", "Early outs"), ("total", "合计", "Total"),
        ("per_100", "每百人", "Per 100 residents")), needs_history=True),
    "gate-duty": ReportSpec("门岗值班统计 Gate duty statistics", (
        ("day", "日期", "Day"), ("building_id", "楼宇", "Building"), ("reader_id", "读卡器", "Reader"),
        ("entries", "进", "Entries"), ("exits", "出", "Exits"), ("unknown_cards", "未知卡", "Unknown cards"),
        ("swipes", "刷卡合计", "Swipes"), ("busiest_hour", "最忙时段", "Busiest hour"),
        ("busiest_hour_swipes", "最忙时段刷卡", "Busiest hour swipes")), about_gates=True),
}
