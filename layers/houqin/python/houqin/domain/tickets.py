"""Repair tickets (物业维修平台): the life cycle, time limits, fees, ratings and KPIs.

Pure rules: a ``Ticket`` and an ``Actor`` in, a changed ticket and the audit ``Event`` out.
No AWS, no clock (the moment is an argument), no environment.

Life cycle::

    submitted -> dispatched -> accepted -> in_progress <-> on_hold
                                           in_progress -> completed -> confirmed -> closed
                                                          completed -> in_progress (rating <= 2: rework)
    submitted | dispatched | accepted -> cancelled          (requester, before work starts)
    accepted | in_progress | on_hold -> cannot_do           (worker, reason shown to the requester)
    any open state -> dispatched                            (re-dispatch by the duty desk, with a reason)
    cannot_do -> closed                                     (duty desk, with a reason)

Time limits: the deadline is fixed at intake from the category's rule (minor: minutes after
intake; major: the end of the local day, "不过夜", unless the rule gives minutes). The clock
pauses while a ticket is on hold (waiting for parts, or for the requester to let the worker
in): leaving on_hold moves the deadline later by the time spent on hold. Rework keeps the
original deadline, so a job done twice is late unless both visits fit in it.

First-contact responsibility (首问责任制): ``owner`` is whoever answers for the ticket now
(the dispatcher who took a phone call, the repair point it was routed to, the worker who
accepted it); every change of owner is a hand-over recorded with who, when and why. A hand-over
is its event's owner change (from, to) with the event's time, actor and reason: the event does
not repeat the hand-over list, and ``handovers_of`` rebuilds the list from the trail (as
``lines_of`` does the fee lines, which their event records), so storage may keep both there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from houqin.clock import end_of_local_day, parse_iso, to_iso
from houqin.domain.actors import SYSTEM, Actor, Role
from houqin.domain.audit import Event, changed
from houqin.domain.repair_classes import SEVERITIES  # noqa: F401 - read here as rules.SEVERITIES
from houqin.errors import Conflict, Forbidden, ValidationError


class State(StrEnum):
    SUBMITTED = "submitted"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    CANNOT_DO = "cannot_do"


# On the duty desk's open list (work not yet done).
OPEN_STATES = frozenset({State.SUBMITTED, State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS, State.ON_HOLD,
                         State.CANNOT_DO})
# In a repair point's queue.
QUEUE_STATES = frozenset({State.DISPATCHED, State.ACCEPTED, State.IN_PROGRESS, State.ON_HOLD})
BEFORE_WORK = frozenset({State.SUBMITTED, State.DISPATCHED, State.ACCEPTED})
WORKER_STATES = frozenset({State.ACCEPTED, State.IN_PROGRESS, State.ON_HOLD})

# Default categories (trades) with their Chinese names; admins may add more through SLA rules.
CATEGORIES = {"water": "水", "electric": "电", "carpentry": "木工", "masonry": "泥瓦", "hvac": "暖通",
              "doors_locks": "门窗锁具"}
CHANNELS = ("web", "phone")
RATING_DIMENSIONS = ("attitude", "speed", "quality", "price")
REWORK_AT_OR_BELOW = 2  # a rating of 2 or less on any dimension reopens the ticket
LINE_KINDS = ("labour", "material")
SYSTEM_CHANNEL = "system"  # the system's own intake (an inspection, a sensor); CHANNELS are how people report


@dataclass(frozen=True)
class SlaRule:
    """A category's time limits. ``major_minutes=None`` means "by the end of the local day"."""

    category: str
    minor_minutes: int = 60
    major_minutes: int | None = None

    def deadline(self, reported_at: datetime, severity: str, tz: ZoneInfo) -> datetime:
        if severity == "minor":
            return reported_at + timedelta(minutes=self.minor_minutes)
        if self.major_minutes is not None:
            return reported_at + timedelta(minutes=self.major_minutes)
        return end_of_local_day(reported_at, tz)


@dataclass(frozen=True)
class FeeLine:
    kind: str  # labour or material
    code: str
    name: str
    quantity: Decimal
    unit_price_fen: int
    reused: bool = False  # material taken from stock returned by earlier jobs (旧料复用)

    @property
    def amount_fen(self) -> int:
        # Money is integer fen; quantity x price is rounded half up to the fen.
        return int((self.quantity * self.unit_price_fen).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "code": self.code, "name": self.name, "quantity": str(self.quantity),
                "unit_price_fen": self.unit_price_fen, "reused": self.reused, "amount_fen": self.amount_fen}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeeLine:
        return cls(kind=data["kind"], code=data["code"], name=data["name"], quantity=Decimal(str(data["quantity"])),
                   unit_price_fen=int(data["unit_price_fen"]), reused=bool(data.get("reused")))


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    channel: str
    requester_id: str
    category: str
    severity: str
    description: str
    campus_id: str
    created_at: str
    deadline: str
    received_by: str  # first contact: who took the request in
    owner: str  # who answers for it now: a person id or "team:<team_id>"
    state: State = State.SUBMITTED
    building_id: str | None = None
    room_no: str | None = None
    place: str | None = None  # a public place when not in a dorm room
    contact_phone: str | None = None
    caller_name: str | None = None  # phone tickets: who called the duty desk
    team_id: str | None = None
    worker_id: str | None = None
    reason: str | None = None  # the latest hold / cannot-do / cancel / re-dispatch reason, shown to the requester
    held_since: str | None = None
    held_seconds: int = 0
    completed_at: str | None = None
    sla_met: bool | None = None
    confirmed_at: str | None = None
    closed_at: str | None = None
    lines: tuple[dict[str, Any], ...] = ()
    fee_fen: int = 0
    rating: dict[str, Any] | None = None
    rework_count: int = 0
    photos: tuple[str, ...] = ()
    handovers: tuple[dict[str, Any], ...] = ()
    source: str | None = None  # system tickets: what they are about ("inspection:...", "meter:..."), one ticket each

    def with_changes(self, **changes: Any) -> Ticket:
        return dataclasses.replace(self, **changes)


# ---------------------------------------------------------------- intake and routing
def route_key(category: str, campus_id: str, building_id: str | None = None) -> str:
    """A routing rule's id: category.campus or category.campus.building (the more specific wins)."""
    return ".".join(p for p in (category, campus_id, building_id) if p)


def choose_team(rules: Mapping[str, str], category: str, campus_id: str, building_id: str | None) -> str | None:
    """The repair point for a request: a rule for its building first, then one for its campus."""
    if building_id and (team := rules.get(route_key(category, campus_id, building_id))):
        return team
    return rules.get(route_key(category, campus_id))


def open_ticket(*, ticket_id: str, actor: Actor, at: datetime, tz: ZoneInfo, rule: SlaRule, team_id: str | None,
                channel: str, requester_id: str, **details: Any) -> tuple[Ticket, list[Event]]:
    """A new ticket, dispatched at once when a routing rule names a repair point."""
    ticket = Ticket(ticket_id=ticket_id, channel=channel, requester_id=requester_id, created_at=to_iso(at),
                    deadline=to_iso(rule.deadline(at, details["severity"], tz)), received_by=actor.person_id,
                    owner=actor.person_id if channel == "phone" else "system", **details)
    events = [Event(at=to_iso(at), by=actor.person_id, action="submit", from_state=None, to_state=State.SUBMITTED,
                    changes={"deadline": [None, ticket.deadline]})]
    if team_id:
        ticket, event = apply(ticket, "dispatch", SYSTEM, at, team_id=team_id)
        events.append(event)
    return ticket, events


# ---------------------------------------------------------------- the state machine
TRANSITIONS: dict[str, tuple[frozenset[State], State]] = {
    "dispatch": (OPEN_STATES, State.DISPATCHED),
    "accept": (frozenset({State.DISPATCHED}), State.ACCEPTED),
    "start": (frozenset({State.ACCEPTED}), State.IN_PROGRESS),
    "hold": (frozenset({State.IN_PROGRESS}), State.ON_HOLD),
    "resume": (frozenset({State.ON_HOLD}), State.IN_PROGRESS),
    "complete": (frozenset({State.IN_PROGRESS}), State.COMPLETED),
    "cannot_do": (WORKER_STATES, State.CANNOT_DO),
    "cancel": (BEFORE_WORK, State.CANCELLED),
    "rate": (frozenset({State.COMPLETED}), State.CONFIRMED),  # or back to in_progress: see rate()
    "auto_confirm": (frozenset({State.COMPLETED}), State.CONFIRMED),
    "close": (frozenset({State.CONFIRMED, State.CANNOT_DO}), State.CLOSED),
}
NEEDS_REASON = frozenset({"hold", "cannot_do", "close"})
# Actions a person asks for through POST /tickets/{id}/transitions (rate and auto_confirm have their own paths).
REQUESTABLE = ("dispatch", "accept", "start", "hold", "resume", "complete", "cannot_do", "cancel", "close")


def check_allowed(ticket: Ticket, action: str, actor: Actor) -> None:
    """Who may take an action on this ticket (the role check for an object, not a list)."""
    desk = actor.has(Role.DISPATCHER)
    assigned = bool(ticket.worker_id) and actor.person_id == ticket.worker_id
    if actor is SYSTEM:
        allowed = action in ("dispatch", "auto_confirm")
    elif action == "dispatch":
        allowed = desk
    elif action == "accept":
        allowed = actor.has(Role.WORKER) and actor.team_id == ticket.team_id and ticket.worker_id in (None,
                                                                                                    actor.person_id)
    elif action in ("start", "hold", "resume", "complete", "cannot_do"):
        allowed = assigned
    elif action == "cancel":
        allowed = actor.person_id == ticket.requester_id or desk
    elif action == "rate":
        allowed = actor.person_id == ticket.requester_id or (desk and ticket.channel in ("phone", SYSTEM_CHANNEL))
    elif action == "close":
        allowed = desk or actor.has(Role.LEADER)
    else:
        allowed = False
    if not allowed:
        raise Forbidden(f"you may not {action.replace('_', ' ')} this ticket")


def apply(ticket: Ticket, action: str, actor: Actor, at: datetime, *, reason: str | None = None,
          team_id: str | None = None, worker_id: str | None = None,
          lines: Iterable[FeeLine] | None = None) -> tuple[Ticket, Event]:
    """Take ``action``; raises Conflict (naming the current state) when the state does not allow it."""
    if action not in TRANSITIONS:
        raise ValidationError(f"unknown action {action!r}", field="action")
    sources, target = TRANSITIONS[action]
    if ticket.state not in sources:
        raise Conflict(f"cannot {action.replace('_', ' ')} a ticket that is {ticket.state.value}",
                       code="illegal_transition")
    check_allowed(ticket, action, actor)
    if action in NEEDS_REASON and not reason:
        raise ValidationError(f"a reason is required to {action.replace('_', ' ')}", field="reason")
    now = to_iso(at)
    changes: dict[str, Any] = {"state": target, "reason": reason if reason else ticket.reason}
    if ticket.state == State.ON_HOLD:
        changes.update(_resume_clock(ticket, at))
    if action == "hold":
        changes["held_since"] = now
    elif action == "dispatch":
        if not team_id:
            raise ValidationError("team_id is required to dispatch", field="team_id")
        if ticket.team_id and not reason:
            raise ValidationError("a reason is required to re-dispatch", field="reason")
        changes.update(team_id=team_id, worker_id=worker_id)
        changes.update(_hand_over(ticket, f"team:{team_id}", actor, now, reason))
    elif action == "accept":
        changes["worker_id"] = actor.person_id
        changes.update(_hand_over(ticket, actor.person_id, actor, now, reason))
    elif action == "complete":
        if lines is not None:
            changes.update(fee_changes(lines))
        changes.update(completed_at=now, sla_met=at <= parse_iso(_current_deadline(ticket, changes)))
    elif action == "auto_confirm":
        changes["confirmed_at"] = now
    elif action == "close":
        changes["closed_at"] = now
    return _changed(ticket, action, actor, now, changes, reason)


def rate(ticket: Ticket, actor: Actor, at: datetime, scores: Mapping[str, int], comment: str | None) -> tuple[
        Ticket, Event]:
    """The requester's rating: any dimension at or below 2 sends the job back as rework."""
    sources, _ = TRANSITIONS["rate"]
    if ticket.state not in sources:
        raise Conflict(f"only a completed ticket can be rated; this one is {ticket.state.value}",
                       code="illegal_transition")
    check_allowed(ticket, "rate", actor)
    now = to_iso(at)
    rating = {**{d: scores[d] for d in RATING_DIMENSIONS}, "comment": comment, "at": now, "by": actor.person_id}
    if min(scores[d] for d in RATING_DIMENSIONS) <= REWORK_AT_OR_BELOW:
        changes = {"state": State.IN_PROGRESS, "rating": rating, "rework_count": ticket.rework_count + 1,
                   "completed_at": None, "sla_met": None, "reason": comment or "rated unsatisfactory"}
        return _changed(ticket, "rework", actor, now, changes, comment)
    return _changed(ticket, "rate", actor, now, {"state": State.CONFIRMED, "rating": rating, "confirmed_at": now},
                    comment)


def set_fee(ticket: Ticket, actor: Actor, at: datetime, lines: Iterable[FeeLine]) -> tuple[Ticket, Event]:
    """The assigned worker records labour and materials while the job is theirs."""
    if not ticket.worker_id or actor.person_id != ticket.worker_id:
        raise Forbidden("only the worker on the job records its fee")
    if ticket.state not in WORKER_STATES:
        raise Conflict(f"fees can be recorded while the job is accepted, in progress or on hold; this ticket is "
                       f"{ticket.state.value}", code="illegal_transition")
    return _changed(ticket, "set_fee", actor, to_iso(at), fee_changes(lines), None)


def fee_changes(lines: Iterable[FeeLine]) -> dict[str, Any]:
    rows = tuple(line.as_dict() for line in lines)
    return {"lines": rows, "fee_fen": sum(row["amount_fen"] for row in rows)}


def add_photo(ticket: Ticket, actor: Actor, at: datetime, key: str, max_photos: int) -> tuple[Ticket, Event]:
    if ticket.state in (State.CLOSED, State.CANCELLED):
        raise Conflict(f"cannot add a photo to a ticket that is {ticket.state.value}", code="illegal_transition")
    if len(ticket.photos) >= max_photos:
        raise Conflict(f"a ticket has at most {max_photos} photos", code="too_many_photos")
    return _changed(ticket, "add_photo", actor, to_iso(at), {"photos": (*ticket.photos, key)}, None)


def _current_deadline(ticket: Ticket, changes: Mapping[str, Any]) -> str:
    return changes.get("deadline", ticket.deadline)


def _resume_clock(ticket: Ticket, at: datetime) -> dict[str, Any]:
    """Leaving on_hold: the time on hold is added to the deadline (the SLA clock was paused)."""
    held = max(0, int((at - parse_iso(ticket.held_since)).total_seconds())) if ticket.held_since else 0
    return {"held_since": None, "held_seconds": ticket.held_seconds + held,
            "deadline": to_iso(parse_iso(ticket.deadline) + timedelta(seconds=held))}


def _hand_over(ticket: Ticket, to: str, actor: Actor, now: str, reason: str | None) -> dict[str, Any]:
    if to == ticket.owner:
        return {}
    handover = {"from": ticket.owner, "to": to, "at": now, "by": actor.person_id, "reason": reason}
    return {"owner": to, "handovers": (*ticket.handovers, handover)}


def _changed(ticket: Ticket, action: str, actor: Actor, now: str, changes: Mapping[str, Any],
             reason: str | None) -> tuple[Ticket, Event]:
    """The changed ticket and its event; a hand-over is recorded by the owner change alone (see the module
    docstring), so the event stays small."""
    recorded = {name: value for name, value in changes.items() if name != "handovers"}
    updated, event = changed(ticket, action, actor.person_id, now, recorded, reason)
    if "handovers" in changes:
        updated = updated.with_changes(handovers=changes["handovers"])
    return updated, event


# ---------------------------------------------------------------- what the trail holds
def handovers_of(trail: Iterable[Mapping[str, Any]]) -> tuple[dict[str, Any], ...]:
    """The hand-overs a trail (events as dicts, in order) records: one per owner change."""
    return tuple({"from": e["changes"]["owner"][0], "to": e["changes"]["owner"][1], "at": e["at"], "by": e["by"],
                  "reason": e.get("reason")} for e in trail if "owner" in (e.get("changes") or {}))


def lines_of(trail: Iterable[Mapping[str, Any]]) -> tuple[dict[str, Any], ...]:
    """The fee lines a trail (events as dicts, in order) leaves: those of the last event that set them."""
    lines: tuple[dict[str, Any], ...] = ()
    for event in trail:
        if "lines" in (event.get("changes") or {}):
            lines = tuple(event["changes"]["lines"][1] or ())
    return lines


# ---------------------------------------------------------------- what people see
def sla_view(ticket: Ticket, now: datetime) -> dict[str, Any]:
    """Time left or overdue, at ``now``; paused while on hold; the verdict once completed."""
    deadline = parse_iso(ticket.deadline)
    if ticket.state == State.ON_HOLD and ticket.held_since:
        now = parse_iso(ticket.held_since)  # the clock stopped when the hold began
    done_at = parse_iso(ticket.completed_at) if ticket.completed_at else None
    reference = done_at or now
    seconds = int((deadline - reference).total_seconds())
    view: dict[str, Any] = {"deadline": ticket.deadline, "paused": ticket.state == State.ON_HOLD,
                            "met": ticket.sla_met}
    if ticket.state in OPEN_STATES or done_at:
        view.update(seconds_left=max(seconds, 0), seconds_overdue=max(-seconds, 0))
    return view


def public_view(ticket: Ticket) -> dict[str, Any]:
    """The supervision board: building, trade, state, times, SLA, fee, rating; nothing personal."""
    rating = ticket.rating if ticket.state in (State.CONFIRMED, State.CLOSED) else None
    return {
        "ticket_id": ticket.ticket_id, "campus_id": ticket.campus_id, "building_id": ticket.building_id,
        "public_place": ticket.building_id is None, "category": ticket.category, "severity": ticket.severity,
        "state": ticket.state.value, "reported_at": ticket.created_at, "deadline": ticket.deadline,
        "completed_at": ticket.completed_at, "sla_met": ticket.sla_met, "fee_fen": ticket.fee_fen,
        "rework_count": ticket.rework_count,
        "rating": {d: rating[d] for d in RATING_DIMENSIONS} if rating else None,
    }


# ---------------------------------------------------------------- KPIs
def kpis(tickets: Iterable[Ticket]) -> dict[str, Any]:
    """KPIs of the tickets reported in a period (a repair point's or a worker's).

    sla_met_rate: completed tickets whose last completion met the deadline; first_time_fix_rate:
    finished (confirmed or closed) tickets never sent back; reopen_rate: tickets ever completed
    that a rating sent back at least once; satisfaction_rate: rated tickets with every dimension >= 3.
    """
    tickets = list(tickets)
    done = [t for t in tickets if t.completed_at]
    finished = [t for t in tickets if t.state in (State.CONFIRMED, State.CLOSED) and t.completed_at]
    ever_completed = [t for t in tickets if t.completed_at or t.rework_count]
    rated = [t.rating for t in tickets if t.rating]
    minutes = [(parse_iso(t.completed_at) - parse_iso(t.created_at)).total_seconds() / 60 for t in done]
    return {
        "count": len(tickets),
        "completed": len(done),
        "open": sum(1 for t in tickets if t.state in OPEN_STATES),
        "sla_met_rate": _rate(sum(1 for t in done if t.sla_met), len(done)),
        "mean_minutes_to_complete": round(sum(minutes) / len(minutes), 1) if minutes else None,
        "first_time_fix_rate": _rate(sum(1 for t in finished if t.rework_count == 0), len(finished)),
        "reopen_rate": _rate(sum(1 for t in ever_completed if t.rework_count), len(ever_completed)),
        "rated": len(rated),
        "average_rating": {d: round(sum(r[d] for r in rated) / len(rated), 2) if rated else None
                           for d in RATING_DIMENSIONS},
        "satisfaction_rate": _rate(sum(1 for r in rated if min(r[d] for d in RATING_DIMENSIONS) >= 3), len(rated)),
        "fee_fen": sum(t.fee_fen for t in done),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
