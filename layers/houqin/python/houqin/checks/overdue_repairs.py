"""Overdue repairs (维修超时): an open ticket past its deadline raises an alarm to its repair point, then to
the duty desk after OVERDUE_ESCALATE_MINUTES (default 60); it resolves itself once the job is completed
(or the deadline moves). Auto-confirmation of unrated tickets is TicketsScheduleFunction's (hourly)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from houqin.clock import local, parse_iso, to_iso
from houqin.domain.alarms import Alarm, EscalationPolicy, Recipient, Severity, Step
from houqin.services import alarms
from houqin.settings import settings
from houqin.store import tickets

CHECK = "overdue_repair"
ALARMS = (CHECK,)


def policy(alarm: Alarm) -> EscalationPolicy:
    desk_after = int(settings().overdue_escalate_after.total_seconds() // 60)
    if not alarm.details.get("repair_point"):  # not dispatched yet: the desk at once
        return EscalationPolicy((Step(Recipient.DUTY_DESK, 0),))
    return EscalationPolicy((Step(Recipient.REPAIR_POINT, 0), Step(Recipient.DUTY_DESK, desk_after)))


def period_of(deadline: str) -> str:
    """One alarm per ticket per deadline: a new deadline (re-dispatch) is a new period."""
    return local(parse_iso(deadline), settings().tz).strftime("%Y-%m-%dT%H:%M")


def run(now: datetime) -> dict[str, Any]:
    overdue = {}
    cursor = None
    while True:
        page = tickets.open_by_deadline(limit=100, cursor=cursor, before=to_iso(now))
        overdue.update({t.ticket_id: t for t in page.items if parse_iso(t.deadline) < now})
        cursor = page.cursor
        if not cursor:
            break
    raised = 0
    for ticket in overdue.values():
        _, written = alarms.raise_alarm(
            check=CHECK, subject=ticket.ticket_id, period=period_of(ticket.deadline), severity=Severity.WARNING,
            at=now, details={"repair_point": ticket.team_id, "deadline": ticket.deadline, "category": ticket.category,
                             "state": ticket.state.value, "building_id": ticket.building_id})
        raised += written
    resolved = 0
    for item in alarms.active(CHECK):
        ticket = overdue.get(item.subject)
        if ticket is None or period_of(ticket.deadline) != item.period:
            resolved += alarms.auto_resolve(item.alarm_id, now, "the job was completed or its deadline moved")
    return {"overdue": len(overdue), "raised": raised, "resolved": resolved}
