"""Leave requests (请假): a resident excused from the nightly roll while an approved leave covers it.

Pure rules: a ``LeaveRequest`` and an ``Actor`` in, a changed request out. No AWS, no clock (the
moment is an argument), no environment. Whether a counsellor looks after this resident is the
service's check (it knows the scopes); here only the role counts.

Life cycle::

    pending -> approved | rejected       (counsellor; a rejection needs a note for the student)
    (new) -> approved                    (dorm manager registers a leave approved elsewhere)
    pending | approved -> cancelled      (the applicant; an approved leave only before it starts)

A leave covers ``start <= moment < end`` (UTC). Given as local dates, ``start`` is the first day's
00:00 and ``end`` the day after the last day (both days included: "23rd to 25th" is three nights).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from houqin.clock import CAMPUS_TZ, at_local
from houqin.domain.actors import Actor, Role
from houqin.errors import Conflict, Forbidden, ValidationError

MAX_REASON = 500


class LeaveState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class LeaveRequest:
    leave_id: str
    resident_id: str
    start: datetime  # UTC, included
    end: datetime  # UTC, excluded
    reason: str
    applied_by: str
    applied_at: datetime
    state: LeaveState = LeaveState.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None  # the decision's note (required to reject)

    def covers(self, moment: datetime) -> bool:
        return self.state == LeaveState.APPROVED and self.start <= moment < self.end


def on_leave(leaves: Iterable[LeaveRequest], resident_id: str, moment: datetime) -> bool:
    """True when an approved leave of this resident covers the moment."""
    return any(leave.resident_id == resident_id and leave.covers(moment) for leave in leaves)


def period(start: date | datetime, end: date | datetime, tz: ZoneInfo = CAMPUS_TZ) -> tuple[datetime, datetime]:
    """``(start, end)`` in UTC from local dates (last day included) or aware datetimes."""
    first, after = _moment(start, "start", tz, 0), _moment(end, "end", tz, 1)
    if after <= first:
        raise ValidationError("the leave must end after it starts", field="end")
    return first, after


def apply(*, leave_id: str, actor: Actor, resident_id: str, start: date | datetime, end: date | datetime,
          reason: str, at: datetime, tz: ZoneInfo = CAMPUS_TZ) -> LeaveRequest:
    """A student asks for their own leave; it waits for a counsellor."""
    if not (actor.has(Role.STUDENT) and actor.person_id == resident_id):
        raise Forbidden("students apply for leave for themselves")
    return _new(leave_id, actor, resident_id, start, end, reason, at, tz)


def register(*, leave_id: str, actor: Actor, resident_id: str, start: date | datetime, end: date | datetime,
             reason: str, at: datetime, tz: ZoneInfo = CAMPUS_TZ, note: str | None = None) -> LeaveRequest:
    """A dorm manager records a leave already approved (a paper slip, a phone call): approved at once."""
    if not actor.has(Role.DORM_MANAGER):
        raise Forbidden("only a dorm manager registers an approved leave")
    leave = _new(leave_id, actor, resident_id, start, end, reason, at, tz)
    return replace(leave, state=LeaveState.APPROVED, decided_by=actor.person_id, decided_at=at, note=note)


def approve(leave: LeaveRequest, actor: Actor, at: datetime, note: str | None = None) -> LeaveRequest:
    return _decide(leave, actor, at, LeaveState.APPROVED, note)


def reject(leave: LeaveRequest, actor: Actor, at: datetime, note: str | None) -> LeaveRequest:
    if not (note and note.strip()):
        raise ValidationError("a note is required to reject a leave", field="note")
    return _decide(leave, actor, at, LeaveState.REJECTED, note)


def cancel(leave: LeaveRequest, actor: Actor, at: datetime) -> LeaveRequest:
    """The applicant withdraws: a pending leave any time, an approved one only before it starts."""
    if actor.person_id != leave.applied_by:
        raise Forbidden("only the applicant cancels a leave")
    if leave.state not in (LeaveState.PENDING, LeaveState.APPROVED):
        raise Conflict(f"cannot cancel a leave that is {leave.state.value}", code="illegal_transition")
    if leave.state == LeaveState.APPROVED and at >= leave.start:
        raise Conflict("an approved leave cannot be cancelled once it has started", code="leave_started")
    return replace(leave, state=LeaveState.CANCELLED, decided_by=actor.person_id, decided_at=at)


def _decide(leave: LeaveRequest, actor: Actor, at: datetime, state: LeaveState, note: str | None) -> LeaveRequest:
    if not actor.has(Role.COUNSELLOR):
        raise Forbidden("only a counsellor decides a leave request")
    if leave.state != LeaveState.PENDING:
        raise Conflict(f"cannot decide a leave that is {leave.state.value}", code="illegal_transition")
    return replace(leave, state=state, decided_by=actor.person_id, decided_at=at, note=note)


def _new(leave_id: str, actor: Actor, resident_id: str, start: date | datetime, end: date | datetime, reason: str,
         at: datetime, tz: ZoneInfo) -> LeaveRequest:
    if not resident_id:
        raise ValidationError("resident_id is required", field="resident_id")
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise ValidationError(f"a reason of 1 to {MAX_REASON} characters is required", field="reason")
    first, after = period(start, end, tz)
    return LeaveRequest(leave_id, resident_id, first, after, reason, actor.person_id, at)


def _moment(value: date | datetime, name: str, tz: ZoneInfo, days_after: int) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValidationError(f"{name} needs a time zone offset", field=name)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return at_local(value + timedelta(days=days_after), time(0, 0), tz)
    raise ValidationError(f"{name} must be a date or a date and time", field=name)
