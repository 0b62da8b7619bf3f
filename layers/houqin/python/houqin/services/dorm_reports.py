"""The dorm reports use case: who may ask, which buildings and residents, the Queries, then the pure rules.

GET /dorm-reports/{report}?<scope>&from=YYYY-MM-DD&to=YYYY-MM-DD[&format=json|csv|xlsx]

Scope, exactly one: ``building_id``; ``campus_id`` (every building of the campus); ``department``
(the department's residents in every building of ``campus_id`` if given, else of every campus).

Who may ask (a student, parent or anyone else: 403):

- leader, admin: everything;
- dorm_manager: only the buildings they run. A building they do not run is 404 (as in
  houqin.services.dorm_access); a campus or department scope is narrowed to the buildings they
  run there, and is 403 when they run none of them;
- counsellor: only their students (CounsellorScope). Every report about residents is narrowed to
  them; a department scope must be their department (else 403); the gate reports (visitors,
  gate-duty) are about gates, not students, and are 403.

Data, with Queries and GetItems only (no Scan): buildings (GetItem, or the campus index), residents
(Resident.by_building per building), the gate-day index one Query per building per local day
(run a few at a time), Presence (one Query per building), readers (one Query per building) and
bed history (BedEvent.by_building, a key range of the days). Reports that carry a resident's state
(nights-out, individuals, violations) also read LOOKBACK_DAYS before the range and the morning after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from houqin.auth import Principal
from houqin.clock import at_local, days, parse_iso, to_iso
from houqin.contract import Period, date_range, text
from houqin.domain import dorm_reports as rules
from houqin.domain.actors import Role
from houqin.domain.dorm_reports import Hours, Person, ReportSpec, Row, SwipeRecord
from houqin.errors import Forbidden, NotFound, ValidationError
from houqin.export import Column, Table
from houqin.services.dorm_access import DormAccess
from houqin.settings import settings
from houqin.store import dorms as dorms_store
from houqin.store import swipes as swipe_store
from houqin.store.dorms import BedEvent, Building, Campus, CounsellorScope, Presence, Reader, Resident
from houqin.store.swipes import SwipeItem

MAX_DAYS = 31  # the longest range one request may ask for (a month of gate days per building)
LOOKBACK_DAYS = 7  # days read before the range to learn where each resident was when it starts
FORMATS = ("json", "csv", "xlsx")
ALLOWED = (Role.DORM_MANAGER, Role.COUNSELLOR, Role.LEADER, Role.ADMIN)
SEE_ALL = (Role.LEADER, Role.ADMIN)
MAX_ID = 32
ID = rf"[A-Za-z0-9_-]{{1,{MAX_ID}}}"
MAX_DEPARTMENT = 60
PARALLEL_QUERIES = 8
CHECK_OUT = "check_out"


# ---------------------------------------------------------------- the request
@dataclass(frozen=True)
class ReportRequest:
    report: str
    start: date
    end: date
    fmt: str = "json"
    building_id: str | None = None
    campus_id: str | None = None
    department: str | None = None

    @property
    def spec(self) -> ReportSpec:
        return rules.REPORTS[self.report]

    @property
    def scope(self) -> dict[str, str | None]:
        return {"building_id": self.building_id, "campus_id": self.campus_id, "department": self.department}

    @property
    def scope_label(self) -> str:
        """For a file name: the building or campus id, or "department" (its name is not ASCII)."""
        if self.department:
            return "department" + (f"-{self.campus_id}" if self.campus_id else "")
        return self.building_id or self.campus_id or "all"


@dataclass(frozen=True)
class ReportQuery(Period):
    """A report's days (at most MAX_DAYS), its scope and the answer's format. Scope, exactly one: ``building_id``,
    ``campus_id``, or ``department`` (on the campus of ``campus_id`` if given, else on every campus)."""

    building_id: str | None = text("one building", pattern=ID, max_length=MAX_ID, default=None, example="SB01")
    campus_id: str | None = text("every building of a campus (with department: that campus only)", pattern=ID,
                                 max_length=MAX_ID, default=None, example="SB")
    department: str | None = text("a department's residents", max_length=MAX_DEPARTMENT, default=None)
    format: str = text("json, or a csv or xlsx file (xlsx: send Accept naming its type)", choices=FORMATS,
                       default="json")


def report_request(principal: Principal, report: str, query: ReportQuery) -> ReportRequest:
    """The request, checked: the caller's role first (403), then the report (404), then the range and scope (400)."""
    principal.require_role(*ALLOWED)
    if report not in rules.REPORTS:
        raise NotFound(f"no report {report!r}: one of {', '.join(rules.REPORTS)}", field="report")
    date_range(query.start, query.end, MAX_DAYS, field="to")
    _one_scope(query.building_id, query.campus_id, query.department)
    return ReportRequest(report, query.start, query.end, query.format, query.building_id, query.campus_id,
                         query.department)


def _one_scope(building_id: str | None, campus_id: str | None, department: str | None) -> None:
    if not (building_id or campus_id or department):
        raise ValidationError("give one scope: building_id, campus_id or department", field="scope")
    if building_id and campus_id:
        raise ValidationError("give building_id or campus_id, not both", field="campus_id")
    if building_id and department:
        raise ValidationError("give building_id or department, not both (department takes campus_id)",
                              field="department")


# ---------------------------------------------------------------- who may see what
@dataclass(frozen=True)
class Audience:
    """What the caller may see: some buildings (None: any) and some students (None: any resident)."""

    buildings: frozenset[str] | None = None
    students: CounsellorScope | None = None

    def covers(self, resident: Resident) -> bool:
        return self.students is None or self.students.covers(resident)


def hours_of(building: Building) -> Hours:
    return Hours(building.building_id, building.name, opens=rules.clock_time(building.opens, time(6)),
                 closes=rules.clock_time(building.closes, time(23)),
                 morning_roll=rules.clock_time(building.morning_roll, time(6)))


def person(resident: Resident) -> Person:
    return Person(resident.resident_id, resident.name, resident.department, resident.grade, resident.class_name,
                  resident.building_id, resident.room_no, None if resident.bed_no is None else int(resident.bed_no))



# ---------------------------------------------------------------- reading
def _each(fetch: Callable[[Any], list[Any]], args: Iterable[Any]) -> list[Any]:
    """``fetch`` for every argument, a few Queries at a time (a month of a campus is hundreds of gate days).

    The first runs alone: it creates the model's botocore client, which is not safe to create from
    several threads at once; the threads then share it (a client is thread-safe once made).
    """
    todo = list(args)
    if not todo:
        return []
    first = fetch(todo[0])
    with ThreadPoolExecutor(max_workers=PARALLEL_QUERIES) as pool:
        return first + [item for found in pool.map(fetch, todo[1:]) for item in found]


# ---------------------------------------------------------------- gathering and computing
@dataclass
class Facts:
    """Everything one report reads, already narrowed to what the caller may see."""

    request: ReportRequest
    tz: ZoneInfo
    hours: dict[str, Hours]
    residents: dict[str, Person] = field(default_factory=dict)  # living in the scope's buildings
    people: dict[str, Person] = field(default_factory=dict)  # residents plus anyone else who swiped
    swipes: list[SwipeRecord] = field(default_factory=list)  # every day read (look-back included)
    prior: dict[str, str] = field(default_factory=dict)  # state before the look-back window
    readers: Callable[[Iterable[str]], list[tuple[str, str]]] = lambda _: []  # (reader, building) of buildings

    @property
    def report_days(self) -> list[date]:
        return days(self.request.start, self.request.end)

    @property
    def in_range(self) -> list[SwipeRecord]:
        return rules.in_days(self.swipes, self.request.start, self.request.end, self.tz)

    def nights_out(self) -> list[Row]:
        return rules.nights_out(self.swipes, self.residents, self.hours, self.report_days, self.tz, self.prior)

    def early_late(self) -> list[Row]:
        return rules.early_late(self.in_range, self.residents, self.hours, self.tz)


def _wanted(request: ReportRequest, seen: Audience) -> Callable[[Resident], bool]:
    return lambda r: (request.department is None or r.department == request.department) and seen.covers(r)


def _individuals(f: Facts) -> list[Row]:
    return rules.individuals(f.in_range, f.residents, f.nights_out(), f.early_late(), f.tz)


REPORT_ROWS: dict[str, Callable[[Facts], list[Row]]] = {
    "entries": lambda f: rules.entries(f.in_range, f.people, f.tz),
    "individuals": _individuals,
    "nights-out": Facts.nights_out,
    "early-late": Facts.early_late,
    "visitors": lambda f: rules.visitors(f.in_range, f.people, f.tz),
    "violations": lambda f: rules.violations(f.residents.values(), f.nights_out(), f.early_late()),
    "gate-duty": lambda f: rules.gate_duty(f.in_range, f.readers(f.hours), f.report_days, f.tz),
}


class DormReads(Protocol):
    """What the reports read (houqin.store.dorms and houqin.store.swipes in production)."""

    def building(self, building_id: str) -> Building | None: ...
    def campus(self, campus_id: str) -> Campus | None: ...
    def campuses(self) -> list[Campus]: ...
    def buildings_of_campus(self, campus_id: str) -> list[Building]: ...
    def residents_of_building(self, building_id: str) -> list[Resident]: ...
    def readers_of_building(self, building_id: str) -> list[Reader]: ...
    def residents(self, resident_ids: Iterable[str]) -> dict[str, Resident]: ...
    def building_presence(self, building_id: str) -> dict[str, Presence]: ...
    def bed_events_between(self, building_id: str, low: str, high: str) -> list[BedEvent]: ...


class GateDays(Protocol):
    def gate_day(self, building_id: str, day: date) -> Iterable[SwipeItem]: ...


class DormReports:
    """The dorm reports' use case. Ports: the dorms and gate-day reads and who may see what, each defaulting to
    production's (the store modules, houqin.services.dorm_access's rules) when left out."""

    def __init__(self, *, dorms: DormReads | None = None, gates: GateDays | None = None,
                 access: DormAccess | None = None) -> None:
        self.dorms: DormReads = dorms if dorms is not None else cast(DormReads, dorms_store)
        self.gates: GateDays = gates if gates is not None else cast(GateDays, swipe_store)
        self.access = access if access is not None else DormAccess(self.dorms)

    def build(self, principal: Principal, request: ReportRequest) -> Table:
        """The report's table for this caller (permission checked first; see the module docstring)."""
        seen = self.audience(principal, request)
        buildings = self.buildings_in_scope(request, seen)
        if request.report == "check-outs":
            rows = self._check_outs(request, seen, buildings)
        else:
            rows = REPORT_ROWS[request.report](self.gather(request, seen, buildings))
        spec = request.spec
        return Table(spec.title, [Column(*c) for c in spec.columns], rows)

    def audience(self, principal: Principal, request: ReportRequest) -> Audience:
        if principal.has_role(*SEE_ALL):
            return Audience()
        if principal.has_role(Role.DORM_MANAGER):
            return Audience(buildings=self.access.managed_buildings(principal))
        students = self.access.counsellor_scope(principal)
        if students is None:
            raise Forbidden("no students are assigned to you yet")
        if request.spec.about_gates:
            raise Forbidden(f"the {request.report} report is about gates: for dorm managers and leaders")
        if request.department and request.department != students.department:
            raise Forbidden(f"you look after {students.department} only", field="department")
        return Audience(students=students)

    def buildings_in_scope(self, request: ReportRequest, seen: Audience) -> list[Building]:
        if request.building_id:
            found = self.dorms.building(request.building_id)
            if found is None or (seen.buildings is not None and found.building_id not in seen.buildings):
                raise NotFound(f"no building {request.building_id}", field="building_id")
            return [found]
        if request.campus_id:
            if self.dorms.campus(request.campus_id) is None:
                raise NotFound(f"no campus {request.campus_id}", field="campus_id")
            campuses = [request.campus_id]
        else:
            campuses = [c.campus_id for c in self.dorms.campuses()]
        found = [b for campus_id in campuses for b in self.dorms.buildings_of_campus(campus_id)]
        if seen.buildings is not None:
            found = [b for b in found if b.building_id in seen.buildings]
            if not found:
                raise Forbidden("you run no building in this scope")
        return sorted(found, key=lambda b: b.building_id)

    # ------------------------------------------------------------ reading
    def gate_swipes(self, building_ids: Iterable[str], report_days: Iterable[date]) -> list[SwipeRecord]:
        def one_day(slot: tuple[str, date]) -> list[SwipeRecord]:
            return [SwipeRecord(parse_iso(s.ts), s.reader_id, s.building_id, s.direction, s.card_id, s.resident_id)
                    for s in self.gates.gate_day(*slot)]

        return _each(one_day, [(b, d) for b in building_ids for d in report_days])

    def residents_of(self, building_ids: Iterable[str]) -> list[Resident]:
        return _each(self.dorms.residents_of_building, building_ids)

    def profiles(self, resident_ids: Iterable[str]) -> list[Resident]:
        return list(self.dorms.residents(resident_ids).values())

    def readers_of(self, building_ids: Iterable[str]) -> list[tuple[str, str]]:
        return [(r.reader_id, r.building_id) for r in _each(self.dorms.readers_of_building, building_ids)]

    def check_out_events(self, building_ids: Iterable[str], start: date, end: date,
                         tz: ZoneInfo) -> list[rules.CheckOut]:
        low, high = to_iso(at_local(start, time(0), tz)), to_iso(at_local(end + timedelta(days=1), time(0), tz))
        found = _each(lambda b: self.dorms.bed_events_between(b, low, high), building_ids)
        return [rules.CheckOut(e.resident_id, parse_iso(e.at), e.building_id, e.room_no, int(e.bed_no), e.by,
                               e.reason) for e in found if e.action == CHECK_OUT and low <= e.at < high]

    # ------------------------------------------------------------ gathering
    def gather(self, request: ReportRequest, seen: Audience, buildings: list[Building]) -> Facts:
        tz = settings().tz
        facts = Facts(request, tz, {b.building_id: hours_of(b) for b in buildings}, readers=self.readers_of)
        wanted = _wanted(request, seen)
        facts.residents = {r.resident_id: person(r) for r in self.residents_of(facts.hours) if wanted(r)}
        first, last = request.start, request.end
        if request.spec.needs_history:
            first, last = first - timedelta(days=LOOKBACK_DAYS), last + timedelta(days=1)
        swipes = self.gate_swipes(facts.hours, days(first, last))
        others = {s.resident_id for s in swipes if s.resident_id and s.resident_id not in facts.residents}
        facts.people = {**{r.resident_id: person(r) for r in self.profiles(others) if wanted(r)}, **facts.residents}
        narrowed = request.department is not None or seen.students is not None
        facts.swipes = [s for s in swipes if not narrowed or s.resident_id in facts.people]
        if request.spec.needs_history:
            window_start = at_local(first, time(0), tz)
            for building_id in facts.hours:
                for resident_id, p in self.dorms.building_presence(building_id).items():
                    facts.prior[resident_id] = rules.prior_state(p.state, parse_iso(p.last_ts), window_start)
        return facts

    def _check_outs(self, request: ReportRequest, seen: Audience, buildings: list[Building]) -> list[Row]:
        tz = settings().tz
        events = self.check_out_events([b.building_id for b in buildings], request.start, request.end, tz)
        found = {r.resident_id: r for r in self.profiles(e.resident_id for e in events)}
        wanted = _wanted(request, seen)
        narrowed = request.department is not None or seen.students is not None
        kept = [e for e in events if not narrowed or (e.resident_id in found and wanted(found[e.resident_id]))]
        return rules.check_outs(kept, {r: person(p) for r, p in found.items()}, tz)


def body(request: ReportRequest, table: Table) -> dict[str, Any]:
    """The JSON answer: what was asked, the columns and the rows."""
    return {"report": request.report, "from": request.start.isoformat(), "to": request.end.isoformat(),
            "scope": request.scope, "timezone": settings().timezone, **table.as_dict()}
