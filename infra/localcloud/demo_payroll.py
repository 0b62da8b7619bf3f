"""A demo month to run payroll on (工薪): last calendar month of the staff of two departments.

物业管理中心 (WY, 300 staff: repair workers paid piece rates, the demo manager and staff) and
会议服务中心 (HY, 50: a run of it takes under a minute on the local cloud) have a full month; the
other departments have their archive, income and rules but no punches, so ``make run`` starts in
seconds (all 1,700 staff's months are ~90,000 items: bench/payroll.py generates those).

- clock punches from one fingerprint terminal per department (``FP-<department>``, sequence numbers in
  time order): on each workday of the department's shift most clock in a little early and out a little
  late; about 4 in 100 days are late, 2 early leaves and 1 absence, from a seeded random, so the same
  people are late on every start;
- a work log for every workday of each support staff member (二线员工), completed and graded by their
  manager (A 40%, B 40%, C 15%, D 5%);
- each department's income for the month and its pay rules (version 1, in force since January);
- the terminals FP-WY and FP-HY registered to their departments;
- this month so far for the two demo managers' teams (the pages' month): their punches up to now, and their
  support staff's work logs up to yesterday, graded but for the last two workdays (the manager's waiting
  list), with today's plan written; and two punches FP-HY had refused this morning (a WY member's, an old one),
  posted through the attendance service so they carry its reasons.

Only the dates follow the calendar. ``load`` writes it through the attendance and payroll stores. A terminal's
sequence numbers restart each month above ``SEQ_PER_MONTH`` times the month's number, so months never share one.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from houqin.clock import CAMPUS_TZ, at_local, local_day

SEED = 20261123
SEQ_PER_MONTH = 100_000  # a terminal's punches a month, at most (WY: 300 staff x 23 days x 2 = 13,800)
DEPARTMENTS = ("WY", "HY")  # the departments with a month of punches and work logs
LATE, EARLY, ABSENT = 0.04, 0.02, 0.01
GRADE_WEIGHTS = {"A": 40, "B": 40, "C": 15, "D": 5}
PLANS = ["巡查公共区域设施", "整理维修工单台账", "核对库存与领料", "安排次日值班", "抄录水电表读数", "接待来访与咨询",
         "整理会议材料", "盘点固定资产"]


@dataclass(frozen=True)
class DemoPunch:
    staff_id: str
    device_id: str
    seq: int
    at: datetime  # UTC
    department_id: str  # the member's: the punch is kept under it (houqin.store.attendance)


@dataclass(frozen=True)
class DemoLog:
    staff_id: str
    department_id: str
    day: date
    plan: str
    completion: str
    completed_at: datetime
    grade: str
    graded_by: str
    graded_at: datetime


def month_before(now: datetime) -> str:
    """The last complete local month before ``now``: the month finance runs at the start of this one."""
    first = local_day(now, CAMPUS_TZ).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def workdays(month: str) -> list[date]:
    year, number = (int(part) for part in month.split("-"))
    day = date(year, number, 1)
    days = []
    while day.month == number:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _at(day: date, base: time, minutes: int) -> datetime:
    return at_local(day, base) + timedelta(minutes=minutes, seconds=random.Random(minutes).randrange(60))


def punches(data: Any, month: str, seed: int = SEED, departments: tuple[str, ...] = DEPARTMENTS,
            until: datetime | None = None, people: frozenset[str] | None = None) -> Iterator[DemoPunch]:
    """Every punch of the month (made before ``until``; of ``people`` only), department by department, in time
    order per terminal."""
    rng = random.Random(seed)
    shifts = {d["department_id"]: (_clock(d.get("shift_start", "08:00")), _clock(d.get("shift_end", "17:00")))
              for d in data.departments}
    for department in data.departments:
        department_id = department["department_id"]
        if department_id not in departments:
            continue
        start, end = shifts[department_id]
        staff = [s["staff_id"] for s in data.staff if s["department_id"] == department_id
                 and (people is None or s["staff_id"] in people)]
        device, seq = f"FP-{department_id}", _first_seq(month)
        for day in workdays(month):
            today: list[tuple[datetime, str]] = []
            for staff_id in staff:
                roll = rng.random()
                if roll < ABSENT:
                    continue
                late = roll < ABSENT + LATE
                early = ABSENT + LATE <= roll < ABSENT + LATE + EARLY
                clock_in = rng.randrange(8, 40) if late else -rng.randrange(1, 16)
                clock_out = -rng.randrange(20, 90) if early else rng.randrange(0, 40)
                today += [(_at(day, start, clock_in), staff_id), (_at(day, end, clock_out), staff_id)]
            for at, staff_id in sorted(today):
                if until is not None and at >= until:
                    continue
                seq += 1
                yield DemoPunch(staff_id, device, seq, at, department_id)


def _first_seq(month: str) -> int:
    year, number = (int(part) for part in month.split("-"))
    return (year * 12 + number) * SEQ_PER_MONTH


def worklogs(data: Any, month: str, seed: int = SEED, departments: tuple[str, ...] = DEPARTMENTS,
             before: date | None = None, people: frozenset[str] | None = None) -> Iterator[DemoLog]:
    """Each support staff member's work log of every workday (before ``before``; of ``people`` only),
    completed at 17:30 and graded at 18:00."""
    rng = random.Random(seed + 1)
    grades, weights = list(GRADE_WEIGHTS), list(GRADE_WEIGHTS.values())
    for member in data.staff:
        if not member.get("support_staff") or not member.get("manager_id"):
            continue
        if member["department_id"] not in departments or (people is not None and member["staff_id"] not in people):
            continue
        for day in workdays(month):
            if before is not None and day >= before:
                continue
            plan = rng.choice(PLANS)
            yield DemoLog(member["staff_id"], member["department_id"], day, plan, f"已完成：{plan}",
                          at_local(day, time(17, 30)), rng.choices(grades, weights)[0], member["manager_id"],
                          at_local(day, time(18, 0)))


def income(data: Any, seed: int = SEED) -> dict[str, int]:
    """Each department's income for the month in fen (30 to 300 ten-thousand yuan)."""
    rng = random.Random(seed + 2)
    return {d["department_id"]: rng.randrange(30, 301) * 10_000 * 100 for d in data.departments}


def rules(department_id: str) -> Any:
    """Version 1 of a department's pay rules, in force since January (Harbin-like base floor and cap)."""
    from houqin.domain.payroll.contributions import ContributionRules
    from houqin.domain.payroll.rules import PayRules

    return PayRules(department_id=department_id, effective_from="2026-01", version=1,
                    contributions=ContributionRules(base_floor_fen=400_000, base_cap_fen=2_000_000),
                    performance_base_fen=150_000, piece_rates_fen={"minor": 2_000, "major": 5_000},
                    bonus_pool_share=Decimal("0.05"), late_deduction_fen=5_000, early_leave_deduction_fen=5_000)


def punch_items(data: Any, month: str, departments: tuple[str, ...] = DEPARTMENTS, **only: Any) -> Iterator[Any]:
    """The month's punches as the attendance function stores them (houqin.store.attendance.PunchItem)."""
    from houqin.domain.attendance import Punch
    from houqin.store import attendance

    for p in punches(data, month, departments=departments, **only):
        yield attendance.PunchItem.make(Punch(p.staff_id, p.device_id, p.seq, p.at), p.department_id, p.at)


def log_items(data: Any, month: str, departments: tuple[str, ...] = DEPARTMENTS,
              ungraded: frozenset[date] = frozenset(), **only: Any) -> Iterator[Any]:
    """The month's work logs as the attendance function stores them (WorkLogItem), graded but on ``ungraded``."""
    from houqin.clock import to_iso
    from houqin.store import attendance

    for log in worklogs(data, month, departments=departments, **only):
        item = attendance.WorkLogItem.new(log.department_id, log.staff_id, log.day)
        item.plan, item.planned_at = log.plan, to_iso(at_local(log.day, time(8, 30)))
        item.completion, item.completed_at = log.completion, to_iso(log.completed_at)
        if log.day not in ungraded:
            item.set_grade(log.grade, log.graded_by, log.graded_at)
        item.version = 1
        yield item


def this_month(data: Any, now: datetime) -> dict[str, int]:
    """The demo managers' teams' month so far: punches up to ``now``, logs up to yesterday (the last two
    workdays ungraded) and today's plan."""
    from houqin.clock import to_iso
    from houqin.store import attendance
    from houqin.store.base import save_all

    today = local_day(now, CAMPUS_TZ)
    month = f"{today:%Y-%m}"
    managers = {u.person_id for u in data.users if u.role == "manager"}
    people = frozenset(s["staff_id"] for s in data.staff if s["manager_id"] in managers)
    before_today = [day for day in workdays(month) if day < today]
    planned_at = at_local(today, time(8, 30))
    plans = []
    for member in data.staff:
        if member["staff_id"] in people and member["support_staff"] and today.weekday() < 5 and now >= planned_at:
            item = attendance.WorkLogItem.new(member["department_id"], member["staff_id"], today)
            item.plan, item.planned_at, item.version = PLANS[today.day % len(PLANS)], to_iso(planned_at), 1
            plans.append(item)
    return {"punches this month": save_all(attendance.PunchItem, punch_items(data, month, until=now, people=people)),
            "work logs this month": save_all(attendance.WorkLogItem, [
                *log_items(data, month, before=today, people=people, ungraded=frozenset(before_today[-2:])),
                *plans])}


def terminals(data: Any, now: datetime, by: str) -> int:
    """FP-WY and FP-HY, each registered to its department."""
    from houqin.clock import to_iso
    from houqin.store import attendance

    for department_id in DEPARTMENTS:
        item = attendance.TerminalItem.new(f"FP-{department_id}")
        item.name = f"{next(d['name'] for d in data.departments if d['department_id'] == department_id)} 指纹机"
        item.departments, item.registered_by, item.registered_at = [department_id], by, to_iso(now)
        attendance.save_terminal(item)
    return len(DEPARTMENTS)


def refused_this_morning(data: Any, now: datetime) -> int:
    """Two punches FP-HY sends this morning that the attendance service refuses (and keeps, with the reasons)."""
    from houqin.auth import Principal, Role
    from houqin.clock import FixedClock, to_iso
    from houqin.contract import parse
    from houqin.services.attendance import Attendance, PunchBatch

    wy_member = next(s["staff_id"] for s in data.staff if s["department_id"] == "WY")
    hy_member = next(s["staff_id"] for s in data.staff if s["department_id"] == "HY")
    morning = min(now, at_local(local_day(now, CAMPUS_TZ), time(8, 0)))
    body = {"punches": [{"staff_id": wy_member, "seq": 1, "at": to_iso(morning - timedelta(minutes=5))},
                        {"staff_id": hy_member, "seq": 2, "at": to_iso(morning - timedelta(days=9))}]}
    device = Principal(subject="FP-HY", person_id="FP-HY", roles=frozenset({Role.DEVICE}))
    answer = Attendance(clock=FixedClock(morning)).record_punches(device, parse(PunchBatch, body))
    return len(answer["rejected"])


def load(data: Any, now: datetime, by: str = "demo") -> dict[str, int]:
    """Write last month's punches, work logs, income and every department's rules, the terminals, this month
    so far for the demo teams; answers the counts."""
    from houqin.clock import to_iso
    from houqin.store import attendance, payroll
    from houqin.store.base import save_all

    month, at = month_before(now), to_iso(now)

    written = {"punches": save_all(attendance.PunchItem, punch_items(data, month)),
               "work logs": save_all(attendance.WorkLogItem, log_items(data, month)),
               "terminals": terminals(data, now, by), **this_month(data, now),
               "refused punches": refused_this_morning(data, now)}
    for department_id, fen in income(data).items():
        payroll.save_income(month, department_id, fen, "demo", by, at, None)
        payroll.add_rules(rules(department_id), by, at)
    written["incomes"] = written["rules"] = len(data.departments)
    return written
