"""Leave requests (请假): students apply, counsellors decide, dorm managers register (functions/leave/app.py
is the HTTP glue; houqin.domain.leave holds the rules, houqin.store.leave the items).

Who sees a leave:
- the resident and whoever applied for it; a parent of the resident;
- a counsellor whose scope (department, grades) covers the resident: they approve or reject;
- the dorm manager of the building the resident lived in when the leave was written;
- leaders and admins.
A leave the caller may not see is a 404, as if it did not exist; seen but the wrong role for the
action is a 403. Decisions are conditional on the version read, so of two counsellors deciding at
once one wins and the other gets a 409.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol, cast

from houqin.auth import Principal
from houqin.clock import Clock, at_local, local_day, parse_iso
from houqin.contract import Paging, text
from houqin.domain import leave as rules
from houqin.domain.actors import Role
from houqin.domain.leave import LeaveRequest, LeaveState
from houqin.errors import Forbidden, NotFound, ValidationError
from houqin.services.dorm_access import DormAccess
from houqin.settings import settings
from houqin.store import leave as store
from houqin.store.dorms import Building, CounsellorScope, Resident
from houqin.store.leave import LeaveItem
from houqin.store.paging import Page
from houqin.system_clock import SystemClock

ACTIONS = ("approve", "reject", "cancel")
SEE_ALL = (Role.LEADER, Role.ADMIN)
ID = r"[A-Za-z0-9_-]{1,40}"
DATE = r"\d{4}-\d{2}-\d{2}"
MAX_NOTE = 500
MAX_DAYS = 366  # a longer absence is not a leave (休学 is another process)
STATES = tuple(s.value for s in LeaveState)


# ---------------------------------------------------------------- inputs (declared once: parsed and documented)
@dataclass(frozen=True)
class Application:
    """A student's leave request for themselves (``resident_id`` may be left out), or a dorm manager's
    registration of an approved leave for a resident of their building (``resident_id`` required, ``note``
    allowed)."""

    start: str = text("a local date YYYY-MM-DD (its first day) or a date and time with its offset", max_length=40,
                      example="2026-11-21")
    end: str = text("a local date YYYY-MM-DD (its last day, included) or a date and time with its offset",
                    max_length=40, example="2026-11-22")
    reason: str = text("why", max_length=rules.MAX_REASON)
    resident_id: str | None = text("whose leave (a dorm manager: required)", pattern=ID, default=None)
    note: str | None = text("a dorm manager's note (students give the reason)", max_length=MAX_NOTE, default=None)


@dataclass(frozen=True)
class Decision:
    """approve, reject (a note for the student required) or cancel (why, if you like)."""

    note: str | None = text("to the student; required to reject", max_length=MAX_NOTE, default=None)


@dataclass(frozen=True)
class LeaveQuery(Paging):
    """Whose leaves: the caller's (a student; a parent of one child), a resident's, a building's (ending from
    today on), or the pending ones a counsellor decides."""

    state: str | None = text("only leaves in this state", choices=STATES, default=None)
    resident_id: str | None = text("a resident the caller may see", pattern=ID, default=None)
    building_id: str | None = text("a building the caller runs or sees", pattern=ID, default=None)


class LeaveRepository(Protocol):
    """What the leave use cases need of storage (houqin.store.leave in production)."""

    def new_leave_id(self, at: datetime) -> str: ...
    def get(self, leave_id: str) -> LeaveItem | None: ...
    def create(self, item: LeaveItem) -> None: ...
    def save_change(self, item: LeaveItem, leave: LeaveRequest) -> LeaveItem: ...
    def to_domain(self, item: LeaveItem) -> LeaveRequest: ...
    def by_resident(self, resident_id: str, *, limit: int, cursor: str | None, state: str | None = None) -> Page: ...
    def by_building(self, building_id: str, after: datetime, *, limit: int, cursor: str | None,
                    state: str | None = None) -> Page: ...
    def pending_of(self, department: str, grades: Iterable[str] = (), *, limit: int, cursor: str | None) -> Page: ...


class DormDirectory(Protocol):
    """Who may see which resident and building, and whom a caller manages or counsels
    (houqin.services.dorm_access.DormAccess in production)."""

    def resident(self, principal: Principal, resident_id: str) -> Resident: ...
    def building(self, principal: Principal, building_id: str) -> Building: ...
    def managed_buildings(self, principal: Principal) -> frozenset[str]: ...
    def counsellor_scope(self, principal: Principal) -> CounsellorScope | None: ...


class Leaves:
    """The leave use cases. Ports (houqin.ports): the leave repository, the dorm directory and a clock, each
    defaulting to production's when left out (nothing is connected until it is used)."""

    def __init__(self, *, leaves: LeaveRepository | None = None, dorms: DormDirectory | None = None,
                 clock: Clock | None = None) -> None:
        self.leaves: LeaveRepository = leaves if leaves is not None else cast(LeaveRepository, store)
        self.dorms: DormDirectory = dorms if dorms is not None else DormAccess()
        self.clock: Clock = clock if clock is not None else SystemClock()

    # ---------------------------------------------------------------- who sees a leave
    def can_see(self, principal: Principal, item: LeaveItem) -> bool:
        if principal.is_person(item.resident_id) or principal.is_person(item.applied_by):
            return True
        if principal.is_parent_of(item.resident_id) or principal.has_role(*SEE_ALL):
            return True
        if item.building_id and item.building_id in self.dorms.managed_buildings(principal):
            return True
        return covers(self.dorms.counsellor_scope(principal), item)

    def load(self, principal: Principal, leave_id: str) -> LeaveItem:
        """The leave, if the caller may see it; else 404."""
        item = self.leaves.get(leave_id) if re.fullmatch(ID, leave_id) else None
        if item is None or not self.can_see(principal, item):
            raise NotFound(f"no leave request {leave_id}")
        return item

    def get(self, principal: Principal, leave_id: str) -> dict[str, Any]:
        return leave_view(self.load(principal, leave_id))

    # ---------------------------------------------------------------- apply / register
    def create(self, principal: Principal, application: Application) -> dict[str, Any]:
        """A student applies for themselves (pending); a dorm manager registers an approved leave for a
        resident of a building they run."""
        now, tz = self.clock.now(), settings().tz
        if principal.has_role(Role.DORM_MANAGER):
            if application.resident_id is None:
                raise ValidationError("resident_id is required", field="resident_id")
            resident = self.dorms.resident(principal, application.resident_id)
            if resident.building_id not in self.dorms.managed_buildings(principal):
                raise Forbidden(f"only the dorm manager of {resident.resident_id}'s building registers their leave")
            start, end = moments(application)
            leave = rules.register(leave_id=self.leaves.new_leave_id(now), actor=principal.actor(),
                                   resident_id=resident.resident_id, start=start, end=end,
                                   reason=application.reason, at=now, tz=tz, note=application.note)
        elif principal.has_role(Role.STUDENT):
            resident_id = application.resident_id or principal.person_id
            resident = self.dorms.resident(principal, resident_id)  # another student's id: 404
            if application.note is not None:
                raise ValidationError("note is for a dorm manager's registration; give the reason", field="note")
            start, end = moments(application)
            leave = rules.apply(leave_id=self.leaves.new_leave_id(now), actor=principal.actor(),
                                resident_id=resident.resident_id, start=start, end=end, reason=application.reason,
                                at=now, tz=tz)
            if leave.end <= now:
                raise ValidationError("this leave is over already: a leave is asked for before or while it runs",
                                      field="end")
        else:
            raise Forbidden("students apply for leave; dorm managers register an approved one")
        if leave.end - leave.start > timedelta(days=MAX_DAYS):
            raise ValidationError(f"a leave lasts at most {MAX_DAYS} days", field="end")
        item = LeaveItem.make(leave, building_id=resident.building_id, department=resident.department,
                              grade=resident.grade)
        self.leaves.create(item)
        return leave_view(item)

    # ---------------------------------------------------------------- approve / reject / cancel
    def act(self, principal: Principal, leave_id: str, action: str, decision: Decision) -> dict[str, Any]:
        """approve or reject (a counsellor whose scope covers the resident), cancel (the applicant)."""
        check_action(action)
        item = self.load(principal, leave_id)
        note = decision.note
        who, now = principal.actor(), self.clock.now()
        leave = self.leaves.to_domain(item)
        if action == "cancel":
            changed = rules.cancel(leave, who, now)
            if note:
                changed = replace(changed, note=note)  # why they withdrew
        else:
            principal.require_role(Role.COUNSELLOR)
            if not covers(self.dorms.counsellor_scope(principal), item):
                raise Forbidden(f"{item.resident_id} is not one of your students")
            changed = rules.approve(leave, who, now, note) if action == "approve" else rules.reject(leave, who, now,
                                                                                                  note)
        return leave_view(self.leaves.save_change(item, changed))

    # ---------------------------------------------------------------- lists
    def list_leaves(self, principal: Principal, query: LeaveQuery) -> Page:
        """The caller's list (see functions/leave/app.py): by resident, pending in a counsellor's scope, or a
        building's leaves ending from today on."""
        state, limit, cursor = query.state, query.limit, query.cursor
        resident_id = query.resident_id
        if resident_id is None and principal.has_role(Role.STUDENT):
            resident_id = principal.person_id
        if resident_id is None and principal.has_role(Role.PARENT):
            if len(principal.child_ids) != 1:
                raise ValidationError("say whose leaves: resident_id (one of your children)", field="resident_id")
            resident_id = principal.child_ids[0]
        if resident_id is not None:
            self.dorms.resident(principal, resident_id)  # 404 unless the caller may see them
            return self.leaves.by_resident(resident_id, limit=limit, cursor=cursor, state=state)
        if query.building_id is not None:
            self.dorms.building(principal, query.building_id)  # 404 unless the caller runs it or sees all
            tz = settings().tz
            today = at_local(local_day(self.clock.now(), tz), time(0, 0), tz)
            return self.leaves.by_building(query.building_id, today, limit=limit, cursor=cursor, state=state)
        if principal.has_role(Role.COUNSELLOR):
            if state not in (None, LeaveState.PENDING.value):
                raise ValidationError("without resident_id a counsellor lists the pending requests: state=pending",
                                      field="state")
            scope = self.dorms.counsellor_scope(principal)
            if scope is None:
                return Page([], None)
            return self.leaves.pending_of(scope.department, scope.grades, limit=limit, cursor=cursor)
        if principal.has_role(Role.DORM_MANAGER, *SEE_ALL):
            raise ValidationError("building_id is required", field="building_id")
        raise Forbidden("this needs one of the roles: student, parent, counsellor, dorm_manager, leader, admin")


# ---------------------------------------------------------------- pure helpers
def covers(scope: CounsellorScope | None, item: LeaveItem) -> bool:
    """The counsellor's scope covers the resident as recorded on the leave (the item carries their
    department and grade, which is all CounsellorScope.covers reads)."""
    return scope is not None and scope.covers(item)


def moments(application: Application) -> tuple[date | datetime, date | datetime]:
    return moment(application.start, "start"), moment(application.end, "end")


def moment(value: str, name: str) -> date | datetime:
    """A local date ``YYYY-MM-DD`` or an ISO date and time with its offset (the domain turns it to UTC)."""
    try:
        if re.fullmatch(DATE, value):
            return date.fromisoformat(value)
        if "T" in value or " " in value:
            return parse_iso(value)
    except ValueError:
        pass
    raise ValidationError(f"{name} must be a date YYYY-MM-DD or a date and time with its offset "
                          "(2026-11-23T08:00:00+08:00)", field=name)


def check_action(action: str) -> None:
    if action not in ACTIONS:
        raise NotFound(f"no action {action!r} on a leave request: use one of {', '.join(ACTIONS)}")


def leave_view(item: LeaveItem) -> dict[str, Any]:
    return {"leave_id": item.leave_id, "resident_id": item.resident_id, "building_id": item.building_id,
            "department": item.department, "grade": item.grade, "start": item.start, "end": item.end,
            "reason": item.reason, "applied_by": item.applied_by, "applied_at": item.applied_at,
            "state": item.state, "decided_by": item.decided_by, "decided_at": item.decided_at, "note": item.note,
            "version": int(item.version)}
