"""Attendance (考勤) and daily work logs (工作日志) in the payroll table, and the staff they belong to.

Access patterns (Queries and GetItems only; the keys are listed in houqin/store/payroll.py too). A department's
month is one partition of each kind, and a person's month a range of it (begins_with "<staff>#"):
- a punch, deduplicated ............... pk = "PUNCH#<device>", sk = "SEQ#<seq, 10 digits>" (the dedupe
                                        guard: a conditional put, so a device replaying days later
                                        writes nothing, and a different punch under a used seq is
                                        refused, never overwritten)
- a department's punches of a month ... GSI1 gsi1pk = "ATT#<department>#<yyyy-mm>" (local month of the punch),
                                        gsi1sk = "<staff>#<at UTC ISO>#<device>#<seq>" (by person, in time order)
  a person's ......................... the same, gsi1sk begins_with "<staff>#"; a day: between two instants
- a department's corrections of a month pk = "ATT#<department>#<yyyy-mm>", sk = "FIX#<staff>#<yyyy-mm-dd>" (one
                                        item per person and day: the correction in force and, in ``history``,
                                        every correction ever made to that day, oldest first)
  a person's ......................... the same, sk begins_with "FIX#<staff>#"
- a department's work logs of a month . pk = "LOG#<department>#<yyyy-mm>", sk = "<staff>#<yyyy-mm-dd>"
  a person's ......................... the same, sk begins_with "<staff>#" (day order)
- fingerprint terminals ............... pk = "TERMINAL", sk = "TERMINAL#<device>" (a few dozen: one Query lists
                                        them; a batch of punches reads its terminal with one GetItem)
- punches a terminal had refused ...... pk = "REJECTED#<local day received>", sk = "<device>#SEQ#<seq>" (a
                                        retry of the same refused punch replaces it), or
                                        "<device>#AT#<received at>#<index>" when the seq itself was unusable
Staff members, their departments and a manager's team are read from the staff table (houqin/store/staff.py).

Which department. A punch, correction or work log is kept under the department its person belonged to when it
was first written (the terminal's batch checks the member's department; a correction or log is written for a
member read just before); a later write of a correction or log keeps the item where it is. A person who moved
(houqin/store/staff.py, ``departments_left``) may so have a month in two departments' partitions: the
per-person readers here take the departments to read (houqin.domain.attendance.departments_holding: the current
one first), a day's correction or log is looked for in each in turn, and a new one goes to the first.

Corrections and work logs carry a ``version``: every change is a PutItem conditional on the version
read, so of two writes made on the same copy one is stored and the other is a 409.

Cost: a new punch is one put plus its index copy (2 WCU); a repeat is one refused conditional put
(1 WCU) and, to tell a repeat from a conflict, one strongly consistent GetItem (1 RCU). A person's month
is one Query of GSI1 (a few KB) plus one Query of the corrections, and a support staff member's grades one
Query of the logs (per department holding their month). Payroll reads a department's month whole: one Query
of GSI1 (every page: ~14,000 punches of 300 people are ~3 pages), one of its corrections and one of its logs,
asking for the attributes it uses only (a punch's month sort key, which names it; a log's sort key and
grade): billed by the items read, as the per-person Queries were, less their per-call rounding.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from houqin.clock import local, parse_iso, to_iso
from houqin.domain.attendance import Punch
from houqin.settings import settings
from houqin.store.base import Gsi1, condition_held, find, key, raw_query, save_all, save_versioned
from houqin.store.paging import Page, query_page
from houqin.store.payroll import PayrollTable

SEQ_DIGITS = 10
MAX_SEQ = 10**SEQ_DIGITS - 1


def month_of(day: date) -> str:
    return f"{day:%Y-%m}"


def attendance_key(department_id: str, month: str) -> str:
    """A department's month of attendance: the punches' index partition and the corrections' partition."""
    return key("ATT", department_id, month)


def log_key(department_id: str, month: str) -> str:
    """A department's month of work logs."""
    return key("LOG", department_id, month)


def of_person(staff_id: str) -> str:
    """The sort key prefix of a person's items in a department's partition ("E1#" is not a prefix of "E10#")."""
    return key(staff_id, "")


# ---------------------------------------------------------------- punches
class PunchItem(PayrollTable):
    staff_id = UnicodeAttribute()
    device_id = UnicodeAttribute()
    seq = NumberAttribute()
    at = UnicodeAttribute()  # UTC ISO
    received_at = UnicodeAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_staff_month = Gsi1()

    @staticmethod
    def keys(device_id: str, seq: int) -> tuple[str, str]:
        return key("PUNCH", device_id), key("SEQ", f"{seq:0{SEQ_DIGITS}d}")

    @classmethod
    def make(cls, punch: Punch, department_id: str, received_at: datetime) -> PunchItem:
        """The punch as stored for a member of ``department_id`` (their department as the batch read them)."""
        at = to_iso(punch.at)
        month = f"{local(punch.at, settings().tz):%Y-%m}"
        return cls(*cls.keys(punch.device_id, punch.seq), staff_id=punch.staff_id, device_id=punch.device_id,
                   seq=punch.seq, at=at, received_at=to_iso(received_at),
                   gsi1pk=attendance_key(department_id, month),
                   gsi1sk=key(punch.staff_id, at, punch.device_id, punch.seq))

    def to_domain(self) -> Punch:
        return Punch(staff_id=self.staff_id, device_id=self.device_id, seq=int(self.seq), at=parse_iso(self.at))

    @staticmethod
    def from_month_key(gsi1sk: str) -> Punch:
        """The punch its month index sort key names ("<staff>#<at>#<device>#<seq>", as ``make`` writes it)."""
        staff_id, at, device_id, seq = gsi1sk.split("#")
        return Punch(staff_id=staff_id, device_id=device_id, seq=int(seq), at=parse_iso(at))

    def same_punch(self, other: PunchItem) -> bool:
        """The same punch sent again (a retry), as opposed to another punch under a used device seq."""
        return (self.staff_id, self.at) == (other.staff_id, other.at)


def put_punch(item: PunchItem) -> bool:
    """Store a punch unless its device seq is taken; False when it is (a repeat or a conflict)."""
    return condition_held(lambda: item.save(condition=PunchItem.pk.does_not_exist()))


def stored_punch(device_id: str, seq: int) -> PunchItem | None:
    return find(PunchItem, *PunchItem.keys(device_id, seq), consistent_read=True)


def _month_keys(department_id: str, month: str, condition: Any = None) -> Iterator[str]:
    """The sort keys of a range of a department's month of punches (every page; the key alone is read: it names
    the punch, one attribute of nine to send and parse, and no model is built per punch)."""
    for raw in raw_query(PunchItem, attendance_key(department_id, month), index=PunchItem.by_staff_month,
                         range_key_condition=condition, attributes_to_get=["gsi1sk"]):
        yield raw["gsi1sk"]["S"]


def punches_of_month(departments: Sequence[str], staff_id: str, month: str) -> list[Punch]:
    """A person's punches of a local month, in time order: one Query of GSI1 per department that may hold them
    (begins_with "<staff>#"; one department unless they moved)."""
    found = [PunchItem.from_month_key(sort) for department_id in departments
             for sort in _month_keys(department_id, month, PunchItem.gsi1sk.startswith(of_person(staff_id)))]
    return sorted(found, key=lambda p: p.at) if len(departments) > 1 else found


def punches_of_day(departments: Sequence[str], staff_id: str, day: date) -> list[Punch]:
    """A person's punches of one local day (a range of the month's GSI1 partition per department; a punch at
    the next midnight may come along: the rules read each punch on its own local day)."""
    tz = settings().tz
    start = datetime.combine(day, time(0, 0), tzinfo=tz)
    condition = PunchItem.gsi1sk.between(key(staff_id, to_iso(start)), key(staff_id, to_iso(start + timedelta(days=1))))
    found = [PunchItem.from_month_key(sort) for department_id in departments
             for sort in _month_keys(department_id, month_of(day), condition)]
    return sorted(found, key=lambda p: p.at)


def department_punches(department_id: str, month: str) -> dict[str, list[Punch]]:
    """Every punch kept under a department in a local month, by person, each in time order (one Query of GSI1,
    every page)."""
    by_staff: dict[str, list[Punch]] = {}
    for sort in _month_keys(department_id, month):
        punch = PunchItem.from_month_key(sort)
        by_staff.setdefault(punch.staff_id, []).append(punch)
    return by_staff


# ---------------------------------------------------------------- corrections
class CorrectionItem(PayrollTable):
    """The correction in force for one day, and every correction of that day (``history``, oldest first:
    {status, reason, by, at, measured_status}); a later correction replaces the fields, never the history."""

    staff_id = UnicodeAttribute()
    day = UnicodeAttribute()  # local yyyy-mm-dd
    status = UnicodeAttribute()
    reason = UnicodeAttribute()
    by = UnicodeAttribute()
    at = UnicodeAttribute()  # UTC ISO
    measured_status = UnicodeAttribute()  # what the punches said when the correction was made
    history = JSONAttribute(default=list)
    version = VersionAttribute()

    @staticmethod
    def keys(department_id: str, staff_id: str, day: date) -> tuple[str, str]:
        return attendance_key(department_id, month_of(day)), key("FIX", staff_id, day.isoformat())

    @classmethod
    def new(cls, department_id: str, staff_id: str, day: date) -> CorrectionItem:
        """A first correction of the day, kept under the person's department now."""
        return cls(*cls.keys(department_id, staff_id, day), staff_id=staff_id, day=day.isoformat())

    def record(self, status: str, reason: str, by: str, at: datetime, measured_status: str) -> None:
        self.status, self.reason, self.by, self.at = status, reason, by, to_iso(at)
        self.measured_status = measured_status
        self.history = [*(self.history or []), self.entry()]

    def entry(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, "by": self.by, "at": self.at,
                "measured_status": self.measured_status}


def correction(departments: Sequence[str], staff_id: str, day: date) -> CorrectionItem | None:
    """A day's correction, read consistently (a new correction is made on it), or None: one GetItem per
    department that may hold it, in turn, until found."""
    for department_id in departments:
        found = find(CorrectionItem, *CorrectionItem.keys(department_id, staff_id, day), consistent_read=True)
        if found is not None:
            return found
    return None


def corrections_of_month(departments: Sequence[str], staff_id: str, month: str) -> dict[date, CorrectionItem]:
    """A person's corrections of a month by day (one Query per department that may hold them)."""
    return {date.fromisoformat(item.day): item for department_id in departments
            for item in CorrectionItem.query(attendance_key(department_id, month),
                                             CorrectionItem.sk.startswith(key("FIX", staff_id, "")))}


def department_corrections(department_id: str, month: str) -> dict[str, dict[date, CorrectionItem]]:
    """Every correction kept under a department in a month, by person and day (one Query, every page)."""
    by_staff: dict[str, dict[date, CorrectionItem]] = {}
    for item in CorrectionItem.query(attendance_key(department_id, month), CorrectionItem.sk.startswith("FIX#")):
        by_staff.setdefault(item.staff_id, {})[date.fromisoformat(item.day)] = item
    return by_staff


def save_correction(item: CorrectionItem) -> CorrectionItem:
    """Store the correction on the item as read; 409 if the day was corrected by someone else meanwhile."""
    return save_versioned(item, f"the attendance of {item.staff_id} on {item.day} was corrected by someone else: "
                                "reload it and try again")


# ---------------------------------------------------------------- work logs
class WorkLogItem(PayrollTable):
    """One support-staff day: the plan, its completion, the manager's grade and comment (``grade_history`` keeps
    every grade given, oldest first: {grade, by, at, comment})."""

    staff_id = UnicodeAttribute()
    day = UnicodeAttribute()  # local yyyy-mm-dd
    plan = UnicodeAttribute(null=True)
    planned_at = UnicodeAttribute(null=True)
    completion = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    grade = UnicodeAttribute(null=True)
    graded_by = UnicodeAttribute(null=True)
    graded_at = UnicodeAttribute(null=True)
    grade_comment = UnicodeAttribute(null=True)
    grade_history = JSONAttribute(default=list)
    version = VersionAttribute()

    @staticmethod
    def keys(department_id: str, staff_id: str, day: date) -> tuple[str, str]:
        return log_key(department_id, month_of(day)), key(staff_id, day.isoformat())

    @classmethod
    def new(cls, department_id: str, staff_id: str, day: date) -> WorkLogItem:
        """A first log of the day, kept under the person's department now."""
        return cls(*cls.keys(department_id, staff_id, day), staff_id=staff_id, day=day.isoformat())

    def set_grade(self, grade: str, by: str, at: datetime, comment: str | None = None) -> None:
        self.grade, self.graded_by, self.graded_at, self.grade_comment = grade, by, to_iso(at), comment
        self.grade_history = [*(self.grade_history or []),
                              {"grade": grade, "by": by, "at": self.graded_at, "comment": comment}]


def work_log(departments: Sequence[str], staff_id: str, day: date) -> WorkLogItem | None:
    """A day's log, read consistently (it is changed on what is read), or None: one GetItem per department that
    may hold it, in turn, until found."""
    for department_id in departments:
        found = find(WorkLogItem, *WorkLogItem.keys(department_id, staff_id, day), consistent_read=True)
        if found is not None:
            return found
    return None


def work_logs(departments: Sequence[str], staff_id: str, month: str) -> list[WorkLogItem]:
    """A person's logs of a month in day order (one Query per department that may hold them)."""
    found = [item for department_id in departments for item in
             WorkLogItem.query(log_key(department_id, month), WorkLogItem.sk.startswith(of_person(staff_id)))]
    return sorted(found, key=lambda item: item.day) if len(departments) > 1 else found


def _grades(department_id: str, month: str, condition: Any = None) -> Iterator[tuple[str, str, str]]:
    """(staff, day, grade) of the graded logs of a range of a department's month, by person and day (every page;
    each log's sort key and grade read: not its plan, completion and grade history, and no model built)."""
    for raw in raw_query(WorkLogItem, log_key(department_id, month), range_key_condition=condition,
                         attributes_to_get=["sk", "grade"]):
        if "grade" in raw:
            staff_id, day = raw["sk"]["S"].split("#")
            yield staff_id, day, raw["grade"]["S"]


def grades_of_month(departments: Sequence[str], staff_id: str, month: str) -> list[str]:
    """A person's grades of a month in day order, ungraded days left out (one Query per department that may hold
    their logs)."""
    found = [(day, grade) for department_id in departments
             for _, day, grade in _grades(department_id, month, WorkLogItem.sk.startswith(of_person(staff_id)))]
    return [grade for _, grade in (sorted(found) if len(departments) > 1 else found)]


def department_grades(department_id: str, month: str) -> dict[str, list[str]]:
    """The grades of every log kept under a department in a month, by person, each in day order (one Query,
    every page)."""
    by_staff: dict[str, list[str]] = {}
    for staff_id, _, grade in _grades(department_id, month):
        by_staff.setdefault(staff_id, []).append(grade)
    return by_staff


def save_work_log(item: WorkLogItem) -> WorkLogItem:
    """Store the log as changed; 409 if it changed since it was read (of two writes on one copy, one wins)."""
    return save_versioned(item, f"the work log of {item.staff_id} on {item.day} was changed meanwhile: reload it "
                                "and try again")


# ---------------------------------------------------------------- terminals and what they had refused
class TerminalItem(PayrollTable):
    """A fingerprint terminal and the departments whose staff it may post punches for (a terminal at a
    site shared by several departments lists each of them)."""

    device_id = UnicodeAttribute()
    name = UnicodeAttribute()
    departments = ListAttribute(of=UnicodeAttribute)
    registered_by = UnicodeAttribute()
    registered_at = UnicodeAttribute()
    version = VersionAttribute()

    @staticmethod
    def keys(device_id: str) -> tuple[str, str]:
        return "TERMINAL", key("TERMINAL", device_id)

    @classmethod
    def new(cls, device_id: str) -> TerminalItem:
        return cls(*cls.keys(device_id), device_id=device_id)


def terminal(device_id: str, consistent: bool = False) -> TerminalItem | None:
    return find(TerminalItem, *TerminalItem.keys(device_id), consistent_read=consistent)


def terminals() -> list[TerminalItem]:
    return list(TerminalItem.query("TERMINAL"))


def save_terminal(item: TerminalItem) -> TerminalItem:
    """Store the terminal as changed; 409 if it changed since it was read."""
    return save_versioned(item, f"terminal {item.device_id} was changed meanwhile: reload it and try again")


class RejectedPunchItem(PayrollTable):
    """A punch a terminal sent and Houqin refused, with why: kept for the administrator."""

    device_id = UnicodeAttribute()
    day = UnicodeAttribute()  # the local day it was received
    received_at = UnicodeAttribute()
    index = NumberAttribute()  # its place in the batch
    seq = NumberAttribute(null=True)
    staff_id = UnicodeAttribute(null=True)
    at = UnicodeAttribute(null=True)  # as sent
    field = UnicodeAttribute()
    reason = UnicodeAttribute()
    code = UnicodeAttribute()

    @classmethod
    def make(cls, device_id: str, received_at: datetime, index: int, seq: int | None, staff_id: str | None,
             at: str | None, field: str, reason: str, code: str) -> RejectedPunchItem:
        day = local(received_at, settings().tz).date().isoformat()
        received = to_iso(received_at)
        sort = key(device_id, "SEQ", f"{seq:0{SEQ_DIGITS}d}") if seq is not None else key(device_id, "AT", received,
                                                                                          index)
        return cls(key("REJECTED", day), sort, device_id=device_id, day=day, received_at=received, index=index,
                   seq=seq, staff_id=staff_id, at=at, field=field, reason=reason, code=code)


def keep_rejected(items: list[RejectedPunchItem]) -> int:
    return save_all(RejectedPunchItem, items)


def rejected(day: date, device_id: str | None, *, limit: int, cursor: str | None) -> Page:
    """A day's refused punches, by device and seq; one device's when ``device_id`` is given."""
    condition = RejectedPunchItem.sk.startswith(key(device_id, "")) if device_id else None
    return query_page(RejectedPunchItem.query, "pk", key("REJECTED", day.isoformat()), limit=limit, cursor=cursor,
                      range_key_condition=condition)
