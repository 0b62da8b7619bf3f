"""Attendance (考勤) and support staff's daily work logs (日志考核): fingerprint terminals post punches,
staff read their month, their manager corrects days and grades logs (functions/attendance/app.py is the
HTTP glue; houqin.domain.attendance and houqin.domain.worklogs hold the rules, houqin.store.attendance
the items).

Who does what:
- a terminal (role ``device``; its person id is the device id) posts punches;
- a staff member's attendance and work logs are seen by the staff member themselves (any role), their
  manager (role ``manager`` and named as the member's ``manager_id``), finance, leaders and admins.
  Anyone else gets a 404, as if the staff member did not exist (as for leave requests); one who may
  see them but not do what they ask gets a 403;
- only the manager corrects a day and grades a log. Finance, leaders and admins see but do not correct
  or grade: the manager is the one who knows what happened that day (the audit names them);
- only the staff member writes their own log, and only if they are support staff (二线员工).

Decisions:
- a day is read against the working hours of the member's department as they are now; a member whose
  department has no record is a 409 (their hours are unknown), never silently 08:00-17:00;
- staff leave is not modelled yet, so no day is read as ``on_leave`` from punches: a manager corrects
  such a day to ``on_leave`` (with the reason);
- the current day is included in a month's reading and marked ``in_progress`` (the shift may not be over);
- a correction keeps every earlier correction of the day (``history``); re-sending the correction in
  force (same status, reason and manager) changes nothing;
- a plan may be written from up to 7 days ahead until the completion is recorded or the day's deadline
  passes; the completion is recorded on the day (not ahead) before WORKLOG_DEADLINE local time of that
  day and may be amended until then; a graded log is read-only (409);
- the manager grades once the completion is recorded, or once the deadline passed without one (the
  day had no completion: the manager judges that too, typically D). Regrading is allowed; every grade
  given is kept in ``grade_history``;
- the monthly score is the mean of the month's grades, scored by the department's pay rules in force that
  month (houqin.domain.payroll.rules.grade_scores_in; A=100, B=85, C=70, D=50 before it has any); ``needs_talk`` reads
  the month asked for and the two before it (a month without any grade breaks the run).

Where a person's month is kept: under the department they belonged to when each punch, correction and log was
first written (houqin/store/attendance.py); ``member_departments`` names the departments that may hold a month
(their current one, and one they left since shortly before the month began: a plan is written up to
PLAN_AHEAD_DAYS ahead), and every reader here reads those. A new correction or log goes to the current one.

The use cases are methods of ``Attendance``, whose ports (houqin.ports) are the attendance repository, the
staff archive, the pay rules and month locks it reads, and a clock; what payroll reads of a month
(``shift_of``, ``month_records``, ``month_grades``, ``DepartmentMonth``) stays module functions with their
own ``reads`` port.
"""

from __future__ import annotations

import calendar
import dataclasses
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol, cast

from houqin.auth import Principal
from houqin.clock import MONTH, Clock, at_local, days, local_day, parse_iso, to_iso
from houqin.contract import Paging, items, text
from houqin.contract import day as day_field  # ``day`` names a day throughout this module
from houqin.domain.actors import Role
from houqin.domain.attendance import (
    MAX_REASON,
    Correction,
    DayRecord,
    DayStatus,
    Punch,
    Shift,
    apply_correction,
    daily_attendance,
    dedupe_key,
    departments_holding,
    month_summary,
)
from houqin.domain.payroll.lines import validate_month
from houqin.domain.payroll.rules import PayRules, grade_scores_in
from houqin.domain.worklogs import GRADES, monthly_score, needs_talk
from houqin.errors import Conflict, Forbidden, NotFound, ValidationError
from houqin.settings import settings
from houqin.store import attendance as store
from houqin.store import payroll as payroll_store
from houqin.store import staff as staff_store
from houqin.store.attendance import CorrectionItem, PunchItem, RejectedPunchItem, TerminalItem, WorkLogItem
from houqin.store.paging import Page
from houqin.store.payroll import LockItem
from houqin.store.staff import Department, StaffMember
from houqin.system_clock import SystemClock

log = logging.getLogger(__name__)

ID = r"[A-Za-z0-9_-]{1,40}"
DATE = r"\d{4}-\d{2}-\d{2}"
PUNCH_FIELDS = ("staff_id", "seq", "at")
MAX_TERMINAL_DEPARTMENTS = 20
MAX_COMMENT = 500
MAX_PUNCHES = 500
CLOCK_SKEW = timedelta(minutes=5)  # a terminal's clock may run this far ahead
MAX_TEXT = 2000
PLAN_AHEAD_DAYS = 7
TALK_MONTHS = 3
SEE_ALL = (Role.FINANCE, Role.LEADER, Role.ADMIN)
STATUSES = tuple(s.value for s in DayStatus)
# Threads per container for the punches of a batch and a team's members (boto3 clients are thread-safe);
# kept across invocations.
_threads = ThreadPoolExecutor(max_workers=8, thread_name_prefix="attendance")


# ---------------------------------------------------------------- inputs (declared once: parsed and documented)
@dataclass(frozen=True)
class PunchBatch:
    """A fingerprint terminal's punches. Each is read here, not at the edge: one bad punch is refused (by its
    index) while the others of the batch are stored."""

    punches: list[Any] = items(f"1 to {MAX_PUNCHES} punches, each {{staff_id, seq, at}} (at: ISO time with its offset)",
                               min_items=1, max_items=MAX_PUNCHES)


@dataclass(frozen=True)
class TerminalBinding:
    """A terminal registered (or bound anew) to the departments whose staff punch on it."""

    name: str = text("where the terminal hangs", max_length=100, example="物业楼 1 楼")
    departments: list[str] = items(f"1 to {MAX_TERMINAL_DEPARTMENTS} department ids", min_items=1,
                                   max_items=MAX_TERMINAL_DEPARTMENTS, max_length=40)


@dataclass(frozen=True)
class RejectedQuery(Paging):
    on: date | None = day_field("the local day the terminal sent them (default: today)", wire="date", default=None)
    device: str | None = text("one terminal's only", max_length=40, pattern=ID, default=None)


@dataclass(frozen=True)
class MonthQuery:
    month: str | None = text("YYYY-MM, not after the current month (default: the current month)", max_length=7,
                             pattern=MONTH, default=None, example="2026-11")


@dataclass(frozen=True)
class StaffDay:
    """A staff member's day (the path of a correction or a work log)."""

    staff_id: str = text("the staff member")
    day: date = day_field("the day, YYYY-MM-DD")


@dataclass(frozen=True)
class DayCorrection:
    """The manager's reading of a day: its punches and measured status stay as evidence."""

    status: str = text("the day's status", choices=STATUSES)
    reason: str = text("why (the audit keeps it)", max_length=MAX_REASON)


@dataclass(frozen=True)
class LogEntry:
    """The day's plan and (on the day, before WORKLOG_DEADLINE) its completion: either or both."""

    plan: str | None = text("what the day is for", max_length=MAX_TEXT, default=None)
    completion: str | None = text("what was done", max_length=MAX_TEXT, default=None)


@dataclass(frozen=True)
class Grading:
    grade: str = text("A (best) to D", choices=GRADES)
    comment: str | None = text("the manager's word on it", max_length=MAX_COMMENT, default=None)


# ---------------------------------------------------------------- ports
class PersonMonthReads(Protocol):
    """A person's month as the attendance function stored it, in the departments that may hold it: punches,
    corrections, work logs (houqin.store.attendance): what ``month_records`` and ``month_grades`` read."""

    def punches_of_month(self, departments: Sequence[str], staff_id: str, month: str) -> list[Punch]: ...
    def corrections_of_month(self, departments: Sequence[str], staff_id: str,
                             month: str) -> dict[date, CorrectionItem]: ...
    def grades_of_month(self, departments: Sequence[str], staff_id: str, month: str) -> list[str]: ...


class AttendanceReads(PersonMonthReads, Protocol):
    """What is read of attendance, for payroll too: a person's month, and a department's month whole."""

    def work_logs(self, departments: Sequence[str], staff_id: str, month: str) -> list[WorkLogItem]: ...
    def department_punches(self, department_id: str, month: str) -> dict[str, list[Punch]]: ...
    def department_corrections(self, department_id: str, month: str) -> dict[str, dict[date, CorrectionItem]]: ...
    def department_grades(self, department_id: str, month: str) -> dict[str, list[str]]: ...


class AttendanceRepository(AttendanceReads, Protocol):
    """What the attendance use cases need of storage (houqin.store.attendance in production)."""

    def put_punch(self, item: PunchItem) -> bool: ...
    def stored_punch(self, device_id: str, seq: int) -> PunchItem | None: ...
    def punches_of_day(self, departments: Sequence[str], staff_id: str, day: date) -> list[Punch]: ...
    def correction(self, departments: Sequence[str], staff_id: str, day: date) -> CorrectionItem | None: ...
    def save_correction(self, item: CorrectionItem) -> CorrectionItem: ...
    def work_log(self, departments: Sequence[str], staff_id: str, day: date) -> WorkLogItem | None: ...
    def save_work_log(self, item: WorkLogItem) -> WorkLogItem: ...
    def terminal(self, device_id: str, consistent: bool = False) -> TerminalItem | None: ...
    def terminals(self) -> list[TerminalItem]: ...
    def save_terminal(self, item: TerminalItem) -> TerminalItem: ...
    def keep_rejected(self, items: list[RejectedPunchItem]) -> int: ...
    def rejected(self, day: date, device_id: str | None, *, limit: int, cursor: str | None) -> Page: ...


class StaffArchive(Protocol):
    """Departments (their working hours), staff members and a manager's team (houqin.store.staff)."""

    def departments(self) -> list[Department]: ...
    def department(self, department_id: str) -> Department | None: ...
    def member(self, staff_id: str) -> StaffMember | None: ...
    def members(self, staff_ids: Iterable[str]) -> dict[str, StaffMember]: ...
    def team(self, manager_id: str) -> list[StaffMember]: ...


class PayRuleReads(Protocol):
    """A department's pay rules (how grades score) and the months payroll has locked (houqin.store.payroll)."""

    def rule_versions(self, department_id: str) -> list[PayRules]: ...
    def locks_of_month(self, month: str) -> dict[str, LockItem]: ...


# ---------------------------------------------------------------- the contract payroll reads
def shift_of(department: Department) -> Shift:
    """The department's working hours as a Shift; unreadable stored hours are a 409 naming the department."""
    try:
        return Shift(start=time.fromisoformat(department.shift_start), end=time.fromisoformat(department.shift_end),
                     grace_minutes=int(department.grace_minutes))
    except (ValueError, TypeError, ValidationError) as exc:
        message = exc.message if isinstance(exc, ValidationError) else str(exc)
        raise Conflict(f"department {department.department_id} has working hours that cannot be read "
                       f"({message}): fix the department first", code="department_hours") from None


def member_departments(member: StaffMember, month: str) -> tuple[str, ...]:
    """The departments whose partitions may hold the member's punches, corrections and logs of ``month``: the
    current one, and any they left after the earliest day an item of the month can be written (a plan,
    PLAN_AHEAD_DAYS before the month's first day)."""
    first, _ = month_bounds(month)
    return departments_holding(member.department_id, member.left(), first - timedelta(days=PLAN_AHEAD_DAYS))


def month_records(member: StaffMember, month: str, shift: Shift, until: date | None = None,
                  now: datetime | None = None, *, reads: Any = store) -> list[DayRecord]:
    """One record per day of the month up to ``until`` (default: the month's last day), corrections applied;
    with ``now``, a day whose shift is not over yet is read as under way. ``reads``: where punches and
    corrections are read (houqin.store.attendance, or a PersonMonthReads such as payroll's DepartmentMonth)."""
    return [record for record, _ in _month(member, month, shift, until, now, reads)]


def month_grades(member: StaffMember, month: str, *, reads: Any = store) -> list[str]:
    """The month's grades, in day order (ungraded days are left out)."""
    return reads.grades_of_month(member_departments(member, month), member.staff_id, month)


def _month(member: StaffMember, month: str, shift: Shift, until: date | None,
           now: datetime | None = None, reads: Any = store) -> list[tuple[DayRecord, CorrectionItem | None]]:
    first, last = month_bounds(month)
    if until is not None:
        last = min(last, until)
    if last < first:
        return []
    tz = settings().tz
    departments = member_departments(member, month)
    by_day: dict[date, list[Punch]] = defaultdict(list)
    for punch in reads.punches_of_month(departments, member.staff_id, month):
        by_day[local_day(punch.at, tz)].append(punch)
    fixes = reads.corrections_of_month(departments, member.staff_id, month)
    out = []
    for day in days(first, last):
        record = daily_attendance(day, shift, by_day.get(day, ()), on_leave=False, tz=tz, now=now)
        fix = fixes.get(day)
        if fix is not None:
            record = apply_correction(record, Correction(DayStatus(fix.status), fix.reason, fix.by))
        out.append((record, fix))
    return out


class DepartmentMonth:
    """A department's month read whole, for payroll: its punches, its corrections and (``grades``) its logs'
    grades, one Query each (every page), then each person's month answered from memory through the same
    per-person reads as the store's (PersonMonthReads), so ``month_records`` and ``month_grades`` read it as they
    read the store. A person whose month another department may hold too (they moved) has that part read from
    ``reads``, per person; another month is read from ``reads`` whole."""

    def __init__(self, reads: AttendanceReads, department_id: str, month: str, grades: bool = True) -> None:
        self.reads, self.department_id, self.month = reads, department_id, month
        self.punches = reads.department_punches(department_id, month)
        self.fixes = reads.department_corrections(department_id, month)
        self.grades = reads.department_grades(department_id, month) if grades else None

    def _here(self, departments: Sequence[str], month: str) -> tuple[bool, list[str]]:
        """Whether this department's month is asked for, and the other departments asked for."""
        if month != self.month:
            return False, list(departments)
        return self.department_id in departments, [d for d in departments if d != self.department_id]

    def punches_of_month(self, departments: Sequence[str], staff_id: str, month: str) -> list[Punch]:
        here, others = self._here(departments, month)
        found = list(self.punches.get(staff_id, ())) if here else []
        if not others:
            return found
        return sorted(found + self.reads.punches_of_month(others, staff_id, month), key=lambda p: p.at)

    def corrections_of_month(self, departments: Sequence[str], staff_id: str,
                             month: str) -> dict[date, CorrectionItem]:
        here, others = self._here(departments, month)
        found = dict(self.fixes.get(staff_id, {})) if here else {}
        return {**self.reads.corrections_of_month(others, staff_id, month), **found} if others else found

    def grades_of_month(self, departments: Sequence[str], staff_id: str, month: str) -> list[str]:
        here, others = self._here(departments, month)
        if here and not others and self.grades is not None:
            return list(self.grades.get(staff_id, ()))
        # moved (both departments' grades together, in day order), another month, or no grades read here
        return self.reads.grades_of_month(departments, staff_id, month)


# ---------------------------------------------------------------- months and days
def month_bounds(month: str) -> tuple[date, date]:
    """The first and last day of ``YYYY-MM``; another shape is a 400 naming ``month``."""
    if not isinstance(month, str) or not re.fullmatch(MONTH, month):
        raise ValidationError("month must be YYYY-MM", field="month")
    year, number = int(month[:4]), int(month[5:])
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def months_before(month: str, count: int) -> list[str]:
    """``count`` months ending with ``month``, oldest first."""
    year, number = int(month[:4]), int(month[5:])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{number:02d}")
        year, number = (year - 1, 12) if number == 1 else (year, number - 1)
    return out[::-1]


def requested_month(raw: str | None, now: datetime) -> str:
    """The ``month`` query parameter (default: the current local month); a later month is a 400."""
    current = f"{now.astimezone(settings().tz):%Y-%m}"
    if raw is None:
        return current
    validate_month(raw, current)
    return raw


def require_past_or_today(day: date, today: date) -> None:
    if day > today:
        raise ValidationError(f"{day.isoformat()} is in the future", field="day")


# ---------------------------------------------------------------- who
def is_manager_of(principal: Principal, member: StaffMember) -> bool:
    return principal.has_role(Role.MANAGER) and bool(member.manager_id) and principal.is_person(member.manager_id)


def can_see(principal: Principal, member: StaffMember) -> bool:
    return principal.is_person(member.staff_id) or is_manager_of(principal, member) or principal.has_role(*SEE_ALL)


def may_see_team(principal: Principal, manager_id: str) -> bool:
    """The manager themselves, finance, leaders and admins see a team."""
    own = principal.has_role(Role.MANAGER) and principal.is_person(manager_id)
    return bool(re.fullmatch(ID, manager_id or "")) and (own or principal.has_role(*SEE_ALL))


# ---------------------------------------------------------------- punches from terminals
class Outcome(Enum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Rejection:
    index: int
    field: str
    reason: str
    code: str = "invalid"

    def view(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class _PunchPolicy:
    """What a registered terminal may post: punches of its departments' staff, not older than the setting,
    never into a month payroll has approved (locked) for the member's department."""

    def __init__(self, terminal: TerminalItem, members: Mapping[str, StaffMember], now: datetime,
                 max_age: timedelta, locks_of_month: Callable[[str], Mapping[str, Any]]) -> None:
        self.terminal, self.members, self.now, self.max_age = terminal, members, now, max_age
        self.locks_of_month = locks_of_month
        self._locks: dict[str, Mapping[str, Any]] = {}

    def refusal(self, index: int, punch: Punch) -> Rejection | None:
        member = self.members.get(punch.staff_id)
        if member is None:
            return Rejection(index, "staff_id", f"no staff member {punch.staff_id!r}", "unknown_staff")
        at_text = to_iso(punch.at)
        if punch.at < self.now - self.max_age:
            return Rejection(index, "at", f"{at_text} is more than {self.max_age.days} days old: a terminal posts "
                                          "punches within that time; the manager corrects an older day by hand",
                             "too_old")
        if member.department_id not in self.terminal.departments:
            return Rejection(index, "staff_id", f"{punch.staff_id} belongs to {member.department_id}: terminal "
                                                f"{self.terminal.device_id} serves "
                                                f"{', '.join(self.terminal.departments)}", "wrong_department")
        month = f"{punch.at.astimezone(settings().tz):%Y-%m}"
        if month not in self._locks:
            self._locks[month] = self.locks_of_month(month)
        if member.department_id in self._locks[month]:
            return Rejection(index, "at", f"{month} is approved (locked) for {member.department_id}: its pay is "
                                          "settled, no punch can change it", "month_locked")
        return None


class Attendance:
    """The attendance and work-log use cases. Ports (houqin.ports): the attendance repository, the staff
    archive, the pay rules and month locks (``payroll``) and a clock, each defaulting to production's when
    left out (nothing is connected until it is used). The settings (WORKLOG_DEADLINE, PUNCH_MAX_AGE_DAYS)
    are read on each call."""

    def __init__(self, *, attendance: AttendanceRepository | None = None, staff: StaffArchive | None = None,
                 payroll: PayRuleReads | None = None, clock: Clock | None = None) -> None:
        self.attendance: AttendanceRepository = (attendance if attendance is not None
                                                 else cast(AttendanceRepository, store))
        self.staff: StaffArchive = staff if staff is not None else cast(StaffArchive, staff_store)
        self.payroll: PayRuleReads = payroll if payroll is not None else cast(PayRuleReads, payroll_store)
        self.clock: Clock = clock if clock is not None else SystemClock()

    # ---------------------------------------------------------------- who
    def visible_member(self, principal: Principal, staff_id: str) -> StaffMember:
        """The staff member, if the caller may see their attendance and logs; else 404."""
        member = self.staff.member(staff_id) if re.fullmatch(ID, staff_id or "") else None
        if member is None or not can_see(principal, member):
            raise NotFound(f"no staff member {staff_id}")
        return member

    def managed_member(self, principal: Principal, staff_id: str, doing: str) -> StaffMember:
        """The staff member, if the caller is their manager: 404 if they may not see them, else 403."""
        member = self.visible_member(principal, staff_id)
        if not is_manager_of(principal, member):
            raise Forbidden(f"only the manager of {staff_id} {doing}")
        return member

    def member_shift(self, member: StaffMember) -> Shift:
        department = self.staff.department(member.department_id)
        if department is None:
            raise Conflict(f"department {member.department_id} of {member.staff_id} has no record: its working "
                           "hours are unknown", code="no_department")
        return shift_of(department)

    def departments_by_id(self) -> dict[str, Department]:
        return {d.department_id: d for d in self.staff.departments()}

    def team(self, principal: Principal, manager_id: str) -> list[StaffMember]:
        """The manager's team, for the manager themselves, finance, leaders and admins; anyone else gets a 404."""
        if not may_see_team(principal, manager_id):
            raise NotFound(f"no team of {manager_id}")
        return self.staff.team(manager_id)

    # ---------------------------------------------------------------- punches from terminals
    def record_punches(self, principal: Principal, batch: PunchBatch) -> dict[str, Any]:
        """Store a registered terminal's punches, each on its own: {"stored", "duplicates", "rejected": [{index,
        field, reason, code}]}. A punch whose device seq is stored already is a duplicate when it is the same
        punch (a retry) and rejected (code ``conflict``) when it is another one; nothing is ever overwritten. A
        punch is refused for staff outside the terminal's departments, older than PUNCH_MAX_AGE_DAYS or in a
        month approved (locked) by payroll for the member's department; every refused punch is kept with its
        reason (GET /attendance/rejected)."""
        principal.require_role(Role.DEVICE)
        device_id = principal.person_id
        if not re.fullmatch(ID, device_id):
            raise Forbidden("this terminal's id cannot name punches (letters, digits, _ and -, up to 40)")
        raw = batch.punches
        terminal = self.attendance.terminal(device_id)
        if terminal is None:  # refused whole: the terminal keeps its punches and sends them again once registered
            raise Forbidden(f"terminal {device_id} is not registered: an administrator registers it to its "
                            f"departments (PUT /attendance/terminals/{device_id}), then send these punches again",
                            code="terminal_not_registered")
        now = self.clock.now()

        rejected: list[Rejection] = []
        valid: list[tuple[int, Punch]] = []
        for index, data in enumerate(raw):
            punch = _punch(index, data, device_id, now)
            if isinstance(punch, Rejection):
                rejected.append(punch)
            else:
                valid.append((index, punch))

        members = self.staff.members({p.staff_id for _, p in valid})
        policy = _PunchPolicy(terminal, members, now, settings().punch_max_age, self.payroll.locks_of_month)
        firsts: dict[str, tuple[int, PunchItem]] = {}  # dedupe key -> the first punch of the batch with it
        repeats: list[tuple[int, str, PunchItem]] = []  # the same device seq again later in the batch
        duplicates = 0
        for index, punch in valid:
            refusal = policy.refusal(index, punch)
            member = members.get(punch.staff_id)  # kept under the member's department (none: refused, not kept)
            item, seen = PunchItem.make(punch, member.department_id if member else "", now), dedupe_key(punch)
            if refusal is not None:
                if refusal.code != "unknown_staff" and self._stored_already(item):  # a retry of a punch stored before
                    duplicates += 1
                else:
                    rejected.append(refusal)
            elif seen in firsts:
                repeats.append((index, seen, item))
            else:
                firsts[seen] = (index, item)

        # Each punch is its own conditional put, independent of the others: send them side by side.
        results = _threads.map(lambda entry: self._store_punch(entry[1]), list(firsts.values()))
        outcomes = dict(zip(firsts, results, strict=True))  # dedupe key -> (outcome, the punch stored under it)
        for seen, (index, item) in firsts.items():
            outcome, kept = outcomes[seen]
            duplicates += outcome is Outcome.DUPLICATE
            if outcome is Outcome.CONFLICT:
                rejected.append(_conflict(index, item, kept))
        for index, seen, item in repeats:  # judged against what is stored, like any repeat
            _, kept = outcomes[seen]
            if kept.same_punch(item):
                duplicates += 1
            else:
                rejected.append(_conflict(index, item, kept))
        stored = sum(1 for outcome, _ in outcomes.values() if outcome is Outcome.STORED)
        rejected.sort(key=lambda r: r.index)
        if rejected:
            log.warning("device %s: %d of %d punches rejected, first: %s", device_id, len(rejected), len(raw),
                        rejected[0].reason)
            self._keep(device_id, raw, rejected, now)
        return {"stored": stored, "duplicates": duplicates, "rejected": [r.view() for r in rejected]}

    def _stored_already(self, item: PunchItem) -> bool:
        earlier = self.attendance.stored_punch(item.device_id, int(item.seq))
        return earlier is not None and earlier.same_punch(item)

    def _store_punch(self, item: PunchItem) -> tuple[Outcome, PunchItem]:
        """Store the punch; a refused put is a duplicate (the same punch) or a conflict (another one)."""
        if self.attendance.put_punch(item):
            return Outcome.STORED, item
        earlier = self.attendance.stored_punch(item.device_id, int(item.seq))
        if earlier is None:  # a refused put means the item exists; punches are never deleted
            raise RuntimeError(f"punch {item.device_id}#{item.seq} refused but not found")
        return (Outcome.DUPLICATE if earlier.same_punch(item) else Outcome.CONFLICT), earlier

    def _keep(self, device_id: str, raw: list[Any], rejected: list[Rejection], now: datetime) -> None:
        """Keep every refused punch for the administrator; a retry of the same refused punch replaces its item."""
        items = {}
        for refusal in rejected:
            item = _rejected_item(device_id, now, raw[refusal.index], refusal)
            items[(item.pk, item.sk)] = item  # one item per key in a batch write
        self.attendance.keep_rejected(list(items.values()))

    # ---------------------------------------------------------------- terminals (administrators)
    def terminals(self, principal: Principal) -> dict[str, Any]:
        principal.require_role(Role.ADMIN)
        names = {d.department_id: d.name for d in self.staff.departments()}
        return {"items": [terminal_view(item, names) for item in self.attendance.terminals()]}

    def register_terminal(self, principal: Principal, device_id: str, binding: TerminalBinding) -> dict[str, Any]:
        """Register a terminal to the departments whose staff punch on it, or bind it anew (re-sending the same
        binding changes nothing)."""
        principal.require_role(Role.ADMIN)
        if not re.fullmatch(ID, device_id or ""):
            raise ValidationError("device_id: letters, digits, _ and -, up to 40", field="device_id")
        name, wanted = binding.name, binding.departments
        known = self.departments_by_id()
        unknown = sorted(set(wanted) - set(known))
        if unknown:
            raise ValidationError(f"no department {unknown[0]!r}", field="departments")
        departments = sorted(set(wanted))
        item = self.attendance.terminal(device_id, consistent=True) or TerminalItem.new(device_id)
        if (item.version is None or item.name != name or list(item.departments) != departments):
            item.name, item.departments = name, departments
            item.registered_by, item.registered_at = principal.person_id, to_iso(self.clock.now())
            self.attendance.save_terminal(item)
            log.info("terminal %s bound to %s by %s", device_id, departments, principal.person_id)
        return terminal_view(item, {d: known[d].name for d in known})

    def rejected_punches(self, principal: Principal, query: RejectedQuery) -> dict[str, Any]:
        """A day's refused punches (the local day the terminal sent them, default today), one device's or all."""
        principal.require_role(Role.ADMIN)
        day = query.on or local_day(self.clock.now(), settings().tz)
        page = self.attendance.rejected(day, query.device, limit=query.limit, cursor=query.cursor)
        return page.body(rejected_view)

    # ---------------------------------------------------------------- attendance
    def staff_month(self, principal: Principal, staff_id: str, month: str | None) -> dict[str, Any]:
        """A month of a staff member's attendance, day by day up to today, and its summary."""
        now = self.clock.now()
        member = self.visible_member(principal, staff_id)
        month = requested_month(month, now)
        shift = self.member_shift(member)
        today = local_day(now, settings().tz)
        month_read = _month(member, month, shift, today, now, self.attendance)
        return {"staff_id": staff_id, "name": member.name, "department_id": member.department_id, "month": month,
                "shift": shift_view(shift), "days": [day_view(record, fix, today) for record, fix in month_read],
                "summary": dataclasses.asdict(month_summary(record for record, _ in month_read))}

    def correct(self, principal: Principal, staff_id: str, day: date, given: DayCorrection) -> dict[str, Any]:
        """The manager sets a day's status with a reason; the day keeps its punches and measured status, and
        every correction made to it stays in its history."""
        now = self.clock.now()
        member = self.managed_member(principal, staff_id, "corrects their attendance")
        today = local_day(now, settings().tz)
        require_past_or_today(day, today)
        status = given.status
        correction = Correction(DayStatus(status), given.reason, by=principal.person_id)
        shift = self.member_shift(member)
        departments = member_departments(member, f"{day:%Y-%m}")
        measured = daily_attendance(day, shift, self.attendance.punches_of_day(departments, staff_id, day),
                                    on_leave=False, tz=settings().tz, now=now)
        item = (self.attendance.correction(departments, staff_id, day)
                or CorrectionItem.new(member.department_id, staff_id, day))
        in_force = item.version is not None and (item.status, item.reason, item.by) == (status, correction.reason,
                                                                                          correction.by)
        if not in_force:  # the same correction sent again (a retry) changes nothing
            item.record(status, correction.reason, correction.by, now, measured.status.value)
            self.attendance.save_correction(item)
        return {"staff_id": staff_id, **day_view(apply_correction(measured, correction), item, today)}

    # ---------------------------------------------------------------- work logs
    def write_log(self, principal: Principal, staff_id: str, day: date, entry: LogEntry) -> dict[str, Any]:
        """The staff member writes the day's plan and, before the deadline, its completion."""
        now, deadline, tz = self.clock.now(), settings().worklog_deadline, settings().tz
        member = self.visible_member(principal, staff_id)
        if not principal.is_person(staff_id):
            raise Forbidden(f"only {staff_id} writes their own work log")
        _require_support_staff(member)
        today = local_day(now, tz)
        plan, completion = entry.plan, entry.completion
        if plan is None and completion is None:
            raise ValidationError("give the plan, the completion or both", field="plan")
        due = at_local(day, deadline, tz)
        item = self._work_log(member, day)
        if item.grade:
            raise Conflict(f"the work log of {day.isoformat()} is graded: it can no longer change", code="graded")
        if plan is not None:
            if day > today + timedelta(days=PLAN_AHEAD_DAYS):
                raise ValidationError(f"a plan is written at most {PLAN_AHEAD_DAYS} days ahead", field="day")
            if item.completion is not None:
                raise Conflict(f"the completion of {day.isoformat()} is recorded: the plan can no longer change",
                               code="completed", field="plan")
            if now >= due:
                raise Conflict(f"{day.isoformat()} is over (its log was due by {_due_text(day, deadline)}): "
                               "the plan can no longer change", code="deadline_passed", field="plan")
        if completion is not None:
            if day > today:
                raise ValidationError("the completion of a day is recorded on that day, not ahead", field="day")
            if now >= due:
                raise Conflict(f"the completion was due by {_due_text(day, deadline)}: it can no longer be recorded",
                               code="deadline_passed", field="completion")
        changed = False
        if plan is not None and plan != item.plan:
            item.plan, item.planned_at, changed = plan, to_iso(now), True
        if completion is not None and completion != item.completion:
            item.completion, item.completed_at, changed = completion, to_iso(now), True
        if changed:  # the same text sent again (a retry) writes nothing
            self.attendance.save_work_log(item)
        return {"staff_id": staff_id, **log_view(item, deadline, self.grade_scores(member, item))}

    def grade(self, principal: Principal, staff_id: str, day: date, grading: Grading) -> dict[str, Any]:
        """The manager grades a day A/B/C/D (with an optional comment) once its completion is recorded, or once
        its deadline passed without one; a regrade replaces the grade and keeps the earlier ones in
        ``grade_history``."""
        now, deadline, tz = self.clock.now(), settings().worklog_deadline, settings().tz
        member = self.managed_member(principal, staff_id, "grades their work log")
        _require_support_staff(member)
        require_past_or_today(day, local_day(now, tz))
        given, comment = grading.grade, grading.comment
        item = self._work_log(member, day)
        if item.completion is None and now < at_local(day, deadline, tz):
            raise Conflict(f"{staff_id} has not recorded the completion of {day.isoformat()} yet: grade it once "
                           f"they have, or after {_due_text(day, deadline)}", code="not_completed")
        if (item.grade, item.graded_by, item.grade_comment) != (given, principal.person_id, comment):
            item.set_grade(given, principal.person_id, now, comment)  # the same grade again changes nothing
            self.attendance.save_work_log(item)
        return {"staff_id": staff_id, **log_view(item, deadline, self.grade_scores(member, item))}

    def _work_log(self, member: StaffMember, day: date) -> WorkLogItem:
        """The day's log where it is kept, or a new one under the member's department."""
        found = self.attendance.work_log(member_departments(member, f"{day:%Y-%m}"), member.staff_id, day)
        return found or WorkLogItem.new(member.department_id, member.staff_id, day)

    def work_logs(self, principal: Principal, staff_id: str, month: str | None) -> dict[str, Any]:
        """A month of logs, its score and whether the last three months' scores call for a talk."""
        now, deadline, tz = self.clock.now(), settings().worklog_deadline, settings().tz
        member = self.visible_member(principal, staff_id)
        month = requested_month(month, now)
        logs = self.attendance.work_logs(member_departments(member, month), staff_id, month)
        grades = {month: [item.grade for item in logs if item.grade]}
        for earlier in months_before(month, TALK_MONTHS)[:-1]:
            grades[earlier] = month_grades(member, earlier, reads=self.attendance)
        versions = self.payroll.rule_versions(member.department_id)
        scores = {m: monthly_score(g, grade_scores_in(m, versions)) for m, g in sorted(grades.items())}
        score = scores[month]
        today = local_day(now, tz)
        return {"staff_id": staff_id, "name": member.name, "support_staff": bool(member.support_staff),
                "month": month, "today": today.isoformat(), "today_due_at": to_iso(at_local(today, deadline, tz)),
                "logs": [log_view(item, deadline, grade_scores_in(month, versions)) for item in logs],
                "graded_days": len(grades[month]), "score": _decimal(score),
                "recent_scores": [{"month": m, "score": _decimal(s)} for m, s in scores.items()],
                "needs_talk": needs_talk(list(scores.values()), months=TALK_MONTHS)}

    def grade_scores(self, member: StaffMember, item: WorkLogItem) -> Mapping[str, Any]:
        """The scores a log's grade is shown with; none needed (and no read of the rules) while it is ungraded."""
        return grade_scores_in(item.day[:7], self.payroll.rule_versions(member.department_id)) if item.grade else {}

    # ---------------------------------------------------------------- a manager's team
    def team_month(self, principal: Principal, manager_id: str, month: str | None) -> dict[str, Any]:
        """The team's month at a glance: each member's attendance summary and, for support staff, the month's
        work-log score (each member read on its own thread: a team is a few dozen people)."""
        now = self.clock.now()
        members = self.team(principal, manager_id)
        month = requested_month(month, now)
        today = local_day(now, settings().tz)
        departments = self.departments_by_id()
        versions = {d: self.payroll.rule_versions(d) for d in {m.department_id for m in members if m.support_staff}}

        def row(member: StaffMember) -> dict[str, Any]:
            department = departments.get(member.department_id)
            summary = None
            if department is not None:
                records = month_records(member, month, shift_of(department), today, now, reads=self.attendance)
                summary = dataclasses.asdict(month_summary(records))
            grades = month_grades(member, month, reads=self.attendance) if member.support_staff else []
            score = (monthly_score(grades, grade_scores_in(month, versions[member.department_id])) if grades
                     else None)
            return {"staff_id": member.staff_id, "name": member.name, "department_id": member.department_id,
                    "post": member.post, "support_staff": bool(member.support_staff), "summary": summary,
                    "score": _decimal(score), "graded_days": len(grades)}

        return {"manager_id": manager_id, "month": month, "members": list(_threads.map(row, members))}

    def waiting_logs(self, principal: Principal, manager_id: str, paging: Paging) -> dict[str, Any]:
        """The team's work logs waiting for a grade, oldest first, from the first day of last month to today:
        a completion recorded and not graded, or a workday whose deadline passed without a completion
        (``overdue``: the manager grades that too). Paged by day and staff id."""
        now, deadline, tz = self.clock.now(), settings().worklog_deadline, settings().tz
        members = [m for m in self.team(principal, manager_id) if m.support_staff]
        limit, after = paging.limit, _waiting_cursor(paging.cursor)
        today = local_day(now, tz)
        months = months_before(f"{today:%Y-%m}", 2)
        first = month_bounds(months[0])[0]
        departments = self.departments_by_id()
        versions = {d: self.payroll.rule_versions(d) for d in {m.department_id for m in members}}

        def waiting_of(member: StaffMember) -> list[dict[str, Any]]:
            logs = {item.day: item for month in months
                    for item in self.attendance.work_logs(member_departments(member, month), member.staff_id, month)}
            department = departments.get(member.department_id)
            workday = shift_of(department).is_workday if department is not None else (lambda _: False)
            out = []
            for day in days(first, today):
                item = logs.get(day.isoformat())
                completed = item is not None and item.completion is not None
                if (item is not None and item.grade) or not (completed or (workday(day)
                                                                           and now >= at_local(day, deadline, tz))):
                    continue
                out.append({"staff_id": member.staff_id, "name": member.name, "day": day.isoformat(),
                            "plan": item.plan if item else None, "completion": item.completion if item else None,
                            "completed_at": item.completed_at if item else None,
                            "due_at": to_iso(at_local(day, deadline, tz)), "overdue": not completed,
                            "version": int(item.version or 0) if item else 0,
                            "grade_scores": {grade: _number(score) for grade, score in  # what A-D are worth
                                             grade_scores_in(f"{day:%Y-%m}", versions[member.department_id]).items()}})
            return out

        found = sorted((entry for entries in _threads.map(waiting_of, members) for entry in entries),
                       key=lambda e: (e["day"], e["staff_id"]))
        if after is not None:
            found = [e for e in found if (e["day"], e["staff_id"]) > after]
        page = found[:limit]
        more = len(found) > limit
        return {"items": page, "cursor": f"{page[-1]['day']}.{page[-1]['staff_id']}" if more else None}


# ---------------------------------------------------------------- pure helpers
def _punch(index: int, data: Any, device_id: str, now: datetime) -> Punch | Rejection:
    """One punch of the batch read and checked, or why it cannot be stored (the first field at fault)."""
    if not isinstance(data, Mapping):
        return Rejection(index, "punch", "a punch is an object {staff_id, seq, at}")
    unknown = sorted(set(data) - set(PUNCH_FIELDS))
    if unknown:
        return Rejection(index, unknown[0], f"unknown field {unknown[0]!r}: a punch has {', '.join(PUNCH_FIELDS)}")
    staff_id, seq, at_text = data.get("staff_id"), data.get("seq"), data.get("at")
    if not _is_text(staff_id) or not re.fullmatch(ID, staff_id):
        return Rejection(index, "staff_id", "staff_id is required: letters, digits, _ and -, up to 40")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= store.MAX_SEQ:
        return Rejection(index, "seq", f"seq is the terminal's punch number, a whole number from 0 to {store.MAX_SEQ}")
    try:
        at = parse_iso(at_text) if _is_text(at_text) and len(at_text) <= 40 else None
    except ValueError:
        at = None
    if at is None:
        return Rejection(index, "at", "at must be an ISO date and time with its offset (2026-11-23T08:00:00+08:00)")
    if at > now + CLOCK_SKEW:
        return Rejection(index, "at", f"{at_text} is in the future: is the terminal's clock right?")
    return Punch(staff_id=staff_id, device_id=device_id, seq=seq, at=at)


def _is_text(value: Any) -> bool:
    """A JSON string. Not a JSON number with a fraction (1e5), which reaches a punch as its text (the body is read
    by houqin.contract, which keeps such numbers exact as text)."""
    return type(value) is str


def _rejected_item(device_id: str, now: datetime, sent: Any, refusal: Rejection) -> RejectedPunchItem:
    """The refused punch as kept: what was sent (cut to size, a seq only if usable) and why it was refused."""
    data = sent if isinstance(sent, Mapping) else {}
    seq, staff_id, at = data.get("seq"), data.get("staff_id"), data.get("at")
    usable_seq = isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq <= store.MAX_SEQ
    return RejectedPunchItem.make(
        device_id, now, refusal.index, seq if usable_seq else None,
        staff_id[:40] if _is_text(staff_id) else None, at[:40] if _is_text(at) else None,
        refusal.field[:100], refusal.reason[:500], refusal.code)


def _conflict(index: int, item: PunchItem, kept: PunchItem) -> Rejection:
    log.warning("device %s seq %s conflict: stored %s at %s, sent %s at %s", item.device_id, item.seq,
                kept.staff_id, kept.at, item.staff_id, item.at)
    return Rejection(index, "seq", f"seq {int(item.seq)} of this terminal is already stored for another punch "
                                   f"({kept.staff_id} at {kept.at}): a seq names one punch for good", "conflict")


def terminal_view(item: TerminalItem, names: Mapping[str, str]) -> dict[str, Any]:
    return {"device_id": item.device_id, "name": item.name,
            "departments": [{"department_id": d, "name": names.get(d)} for d in item.departments],
            "registered_by": item.registered_by, "registered_at": item.registered_at}


def rejected_view(item: RejectedPunchItem) -> dict[str, Any]:
    return {"device_id": item.device_id, "date": item.day, "received_at": item.received_at, "index": int(item.index),
            "seq": None if item.seq is None else int(item.seq), "staff_id": item.staff_id, "at": item.at,
            "field": item.field, "reason": item.reason, "code": item.code}


def shift_view(shift: Shift) -> dict[str, Any]:
    return {"start": shift.start.strftime("%H:%M"), "end": shift.end.strftime("%H:%M"),
            "grace_minutes": shift.grace_minutes, "workdays": sorted(shift.workdays)}


def day_view(record: DayRecord, fix: CorrectionItem | None, today: date) -> dict[str, Any]:
    return {"day": record.day.isoformat(), "status": record.status.value,
            "first_in": to_iso(record.first_in) if record.first_in else None,
            "last_out": to_iso(record.last_out) if record.last_out else None,
            "late_minutes": record.late_minutes, "early_minutes": record.early_minutes,
            "missing_clock_out": record.missing_clock_out, "corrected": record.corrected,
            "measured_status": record.measured_status.value if record.measured_status else None,
            "correction_reason": record.correction_reason, "corrected_by": record.corrected_by,
            "corrected_at": fix.at if fix is not None else None,
            "correction_history": list(fix.history or []) if fix is not None else [],
            "in_progress": record.day == today}


def log_view(item: WorkLogItem, deadline: time, scores: Mapping[str, Any]) -> dict[str, Any]:
    day = date.fromisoformat(item.day)
    return {"day": item.day, "plan": item.plan, "planned_at": item.planned_at, "completion": item.completion,
            "completed_at": item.completed_at, "due_at": to_iso(at_local(day, deadline, settings().tz)),
            "grade": item.grade, "grade_score": _number(scores[item.grade]) if item.grade else None,
            "grade_comment": item.grade_comment, "graded_by": item.graded_by, "graded_at": item.graded_at,
            "grade_history": list(item.grade_history or []), "version": int(item.version or 0)}


def _waiting_cursor(cursor: str | None) -> tuple[str, str] | None:
    if not cursor:
        return None
    match = re.fullmatch(rf"({DATE})\.({ID})", cursor)
    if match is None:
        raise ValidationError("cursor is not valid for this list: use the cursor of the previous page", field="cursor")
    return match.group(1), match.group(2)


def _require_support_staff(member: StaffMember) -> None:
    if not member.support_staff:
        raise Forbidden(f"{member.staff_id} is not support staff (二线员工): no daily work log is kept or graded",
                        code="not_support_staff")


def _due_text(day: date, deadline: time) -> str:
    return f"{day.isoformat()} {deadline:%H:%M} ({settings().timezone})"


def _number(value: int | Decimal) -> int | float:
    """A grade's score as a JSON number (85, or 87.5 where a department's rules give halves)."""
    return int(value) if value == int(value) else float(value)


def _decimal(value: Any) -> str | None:
    return None if value is None else str(value)
