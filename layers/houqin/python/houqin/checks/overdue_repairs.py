"""Overdue repairs (维修超时), checked every 5 minutes (a minor job has an hour: an hourly check could be 59
minutes late). Both alarms are one per ticket per deadline (a new deadline, after a hold, is a new period):

- ``repair_due_soon``: WARN_BEFORE (15 minutes) before the deadline of a dispatched job, its worker (its repair
  point until somebody accepts it) is warned at once, not at the next escalation run. The warning resolves itself
  when the job is completed or re-dispatched (the new worker is then warned), and when the deadline passes;
- ``overdue_repair``: an open ticket past its deadline alarms its repair point, then the duty desk after
  OVERDUE_ESCALATE_MINUTES (default 60); it resolves itself once the job is completed (or the deadline moves).

Auto-confirmation of unrated tickets is TicketsScheduleFunction's (hourly).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from houqin.clock import local, parse_iso, to_iso
from houqin.domain.alarms import Scope, Severity
from houqin.domain.tickets import State, Ticket
from houqin.services.alarms import Alarms
from houqin.settings import settings
from houqin.store import tickets as tickets_store

CHECK = "overdue_repair"
DUE_SOON = "repair_due_soon"
ALARMS = (CHECK, DUE_SOON)
WARN_BEFORE = timedelta(minutes=15)
WARNED = frozenset({State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS})  # on hold, the clock is paused


def period_of(deadline: str) -> str:
    """One alarm per ticket per deadline: a new deadline (re-dispatch) is a new period."""
    return local(parse_iso(deadline), settings().tz).strftime("%Y-%m-%dT%H:%M")


def due_by(tickets: Any, moment: datetime) -> dict[str, Ticket]:
    """Open tickets due by ``moment`` (included), earliest first (the desk's index, page by page)."""
    found, cursor = {}, None
    while True:
        page = tickets.open_by_deadline(limit=100, cursor=cursor, before=to_iso(moment + timedelta(milliseconds=1)))
        found.update({t.ticket_id: t for t in page.items if parse_iso(t.deadline) <= moment})
        cursor = page.cursor
        if not cursor:
            return found


def run(alarms: Alarms, tickets: Any = None) -> dict[str, Any]:
    now = alarms.clock.now()
    due = due_by(tickets if tickets is not None else tickets_store, now + WARN_BEFORE)
    overdue = {i: t for i, t in due.items() if parse_iso(t.deadline) < now}
    soon = {i: t for i, t in due.items() if i not in overdue and t.team_id and t.state in WARNED}
    return {"overdue": len(overdue), **alarm_overdue(alarms, overdue), "due_soon": len(soon),
            **warn(alarms, soon, overdue)}


def alarm_overdue(alarms: Alarms, overdue: dict[str, Ticket]) -> dict[str, int]:
    raised = 0
    for ticket in overdue.values():
        _, written = alarms.raise_alarm(
            check=CHECK, subject=ticket.ticket_id, period=period_of(ticket.deadline), severity=Severity.WARNING,
            scope=Scope.repair(ticket.team_id),
            details={"deadline": ticket.deadline, "category": ticket.category, "state": ticket.state.value,
                     "building_id": ticket.building_id})
        raised += written
    resolved = 0
    for item in alarms.active(CHECK):
        ticket = overdue.get(item.subject)
        if ticket is None or period_of(ticket.deadline) != item.period:
            resolved += alarms.auto_resolve(item.alarm_id, "the job was completed or its deadline moved")
    return {"raised": raised, "resolved": resolved}


def warn(alarms: Alarms, soon: dict[str, Ticket], overdue: dict[str, Ticket]) -> dict[str, int]:
    """Stale warnings resolved first, so a job re-dispatched reopens its warning for the new worker."""
    resolved = 0
    for item in alarms.active(DUE_SOON):
        ticket = soon.get(item.subject)
        if ticket is not None and period_of(ticket.deadline) == item.period and (
                item.details.get("repair_point"), item.details.get("worker_id")) == (ticket.team_id, ticket.worker_id):
            continue
        reason = ("the deadline passed: the overdue alarm took over" if item.subject in overdue
                  else "the job was completed, re-dispatched or its deadline moved")
        resolved += alarms.auto_resolve(item.alarm_id, reason)
    warned = notified = 0
    for ticket in soon.values():
        alarm, written = alarms.raise_alarm(
            check=DUE_SOON, subject=ticket.ticket_id, period=period_of(ticket.deadline), severity=Severity.INFO,
            scope=Scope.worker(ticket.team_id, ticket.worker_id),
            details={"deadline": ticket.deadline, "category": ticket.category, "state": ticket.state.value,
                     "building_id": ticket.building_id})
        if written:
            warned += 1
            notified += alarms.escalate_now(alarm.alarm_id)
    return {"warned": warned, "warnings_resolved": resolved, "warnings_sent": notified}
