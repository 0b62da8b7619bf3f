"""The tickets use cases: read, check who may, apply the domain rule, write (functions/tickets/app.py is the HTTP glue).

``Tickets`` holds them, with its ports (houqin.ports): the tickets repository (houqin.store.tickets), the repair
points (houqin.store.staff) and the places (houqin.store.dorms), a Clock and a FileStore for photos. Permission is
checked per ticket: a ticket the caller may not see is answered 404, as if it did not exist.

Intake has two doors: people (``create``: web, or phone through the duty desk) and the system itself
(``open_for_system``: an inspection's finding, a sensor's anomaly), which later contexts call rather than
building tickets of their own.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, cast

from houqin.auth import Principal
from houqin.aws import S3FileStore
from houqin.clock import MONTH, Clock, at_local, to_iso
from houqin.contract import Paging, date_range, flag, items, number, text, whole
from houqin.domain import tickets as rules
from houqin.domain.actors import SYSTEM, Actor, Role
from houqin.domain.tickets import QUEUE_STATES, FeeLine, SlaRule, State, Ticket
from houqin.errors import Conflict, Forbidden, NotFound, ValidationError
from houqin.ports import FileStore
from houqin.settings import settings
from houqin.store import dorms as places_store
from houqin.store import staff as staff_store
from houqin.store import tickets as tickets_store
from houqin.store.paging import Page
from houqin.store.staff import RepairTeam
from houqin.system_clock import SystemClock

MAX_DESCRIPTION = 1000
MAX_REASON = 500
MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
UPLOAD_SECONDS = 600
MAX_KPI_DAYS = 366
PHONE = r"[0-9+\- ]{7,20}"
CATEGORY = r"[a-z][a-z0-9_]{1,30}"
PERSON_ID = r"[A-Za-z0-9_-]{1,20}"
CREATORS = (Role.STUDENT, Role.WORKER, Role.DISPATCHER, Role.DORM_MANAGER, Role.COUNSELLOR, Role.FINANCE,
            Role.LEADER, Role.ADMIN)
SEE_ALL = (Role.DISPATCHER, Role.LEADER)

SOURCE = r"[a-z][a-z0-9_]{1,30}:[A-Za-z0-9_.:#-]{1,100}"  # "<context>:<its id>", e.g. "inspection:I-2611-07"




# ---------------------------------------------------------------- inputs (declared once: parsed and documented)
@dataclass(frozen=True)
class Intake:
    """A repair report. The duty desk enters phone calls (``channel: phone``) for a caller."""

    campus_id: str = text("the campus", max_length=10, example="SB")
    category: str = text("the repair category (GET /sla-rules)", pattern=CATEGORY, example="plumbing")
    severity: str = text("minor or major", choices=rules.SEVERITIES)
    description: str = text("what is wrong", max_length=MAX_DESCRIPTION)
    building_id: str | None = text("the building, if the fault is in one", max_length=10, default=None)
    room_no: str | None = text("the room in the building", max_length=10, default=None)
    place: str | None = text("where, when not in a building (required then)", max_length=100, default=None)
    contact_phone: str | None = text("a phone number to call back", pattern=PHONE, default=None)
    channel: str = text("web, or phone for the duty desk", choices=rules.CHANNELS, default="web")
    caller_name: str | None = text("phone tickets: who called", max_length=40, default=None)
    requester_id: str | None = text("phone tickets: the caller's person id", pattern=PERSON_ID, default=None)


@dataclass(frozen=True)
class Line:
    """A fee line: labour or material, quantity x unit price in fen."""

    kind: str = text("labour or material", choices=rules.LINE_KINDS)
    code: str = text("the price list code", max_length=30)
    name: str = text("what it is", max_length=60)
    quantity: Decimal = number("more than 0, at most 10000, up to 3 decimals", minimum=Decimal("0.001"),
                               maximum=10_000, places=3)
    unit_price_fen: int = whole("the unit price in fen", minimum=0, maximum=10_000_000)
    reused: bool = flag("material taken from stock returned by earlier jobs (旧料复用)")


@dataclass(frozen=True)
class Transition:
    """A step in the ticket's life: ``team_id`` (and ``worker_id``) for dispatch only, ``lines`` with complete."""

    action: str = text("what to do", choices=rules.REQUESTABLE)
    reason: str | None = text("why (hold, cannot_do, cancel ...)", max_length=MAX_REASON, default=None)
    team_id: str | None = text("dispatch: the repair point", max_length=40, default=None)
    worker_id: str | None = text("dispatch: a worker of the team", max_length=20, default=None)
    lines: list[Line] | None = items("complete: the fee lines", max_items=50, default=None)


@dataclass(frozen=True)
class Fee:
    lines: list[Line] = items("the fee lines, replacing the ticket's", max_items=50)


@dataclass(frozen=True)
class Rating:
    """The requester's rating of a completed job, 1 (poor) to 5 (excellent) on each dimension."""

    attitude: int = whole(minimum=1, maximum=5)
    speed: int = whole(minimum=1, maximum=5)
    quality: int = whole(minimum=1, maximum=5)
    price: int = whole(minimum=1, maximum=5)
    comment: str | None = text(max_length=MAX_REASON, default=None)


@dataclass(frozen=True)
class PhotoUpload:
    content_type: str = text("the photo's type", choices=tuple(PHOTO_TYPES))
    size_bytes: int = whole("the photo's size", minimum=1, maximum=MAX_PHOTO_BYTES)


@dataclass(frozen=True)
class SlaRuleInput:
    minor_minutes: int = whole("minutes to answer a minor fault", minimum=5, maximum=7 * 24 * 60)
    major_minutes: int | None = whole("minutes to answer a major fault", minimum=5, maximum=14 * 24 * 60,
                                      default=None)
    name: str | None = text("the category's name (required for a new category)", max_length=40, default=None)


@dataclass(frozen=True)
class RoutingRuleInput:
    team_id: str = text("the repair point that gets these tickets", max_length=40)


@dataclass(frozen=True)
class QueueQuery(Paging):
    state: str | None = text("only tickets in this state", choices=sorted(s.value for s in QUEUE_STATES),
                              default=None)


@dataclass(frozen=True)
class BoardQuery(Paging):
    month: str | None = text("YYYY-MM (default: this month)", pattern=MONTH, default=None)


# ---------------------------------------------------------------- pure helpers
def can_view(ticket: Ticket, who: Actor) -> bool:
    return (who.person_id in (ticket.requester_id, ticket.worker_id) or who.has(*SEE_ALL)
            or (who.has(Role.WORKER) and who.team_id is not None and who.team_id == ticket.team_id))


def check_version(current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise Conflict(f"the ticket is at version {current}, not {expected}: reload it", code="version_conflict")


def fee_lines(lines: list[Line]) -> list[FeeLine]:
    return [FeeLine(kind=line.kind, code=line.code, name=line.name, quantity=line.quantity,
                    unit_price_fen=line.unit_price_fen, reused=line.reused) for line in lines]


def summary_view(ticket: Ticket, now: datetime) -> dict[str, Any]:
    return {"ticket_id": ticket.ticket_id, "state": ticket.state.value, "category": ticket.category,
            "severity": ticket.severity, "campus_id": ticket.campus_id, "building_id": ticket.building_id,
            "room_no": ticket.room_no, "place": ticket.place, "description": ticket.description,
            "team_id": ticket.team_id, "worker_id": ticket.worker_id, "created_at": ticket.created_at,
            "fee_fen": ticket.fee_fen, "rework_count": ticket.rework_count, "sla": rules.sla_view(ticket, now)}


def _sla_view(item: Any) -> dict[str, Any]:
    rule = item.rule()
    return {"category": rule.category, "name": item.name, "minor_minutes": rule.minor_minutes,
            "major_minutes": rule.major_minutes, "default": False, "updated_by": item.updated_by,
            "updated_at": item.updated_at}


class TicketRepository(Protocol):
    """What the tickets use cases need of storage (houqin.store.tickets in production)."""

    def new_ticket_id(self, at: datetime) -> str: ...
    def get(self, ticket_id: str) -> tuple[Ticket, int]: ...
    def get_with_trail(self, ticket_id: str) -> tuple[Ticket, int, list[dict[str, Any]]]: ...
    def save(self, ticket: Ticket, version: int | None, events: Iterable[rules.Event]) -> int: ...
    def open_from_source(self, ticket: Ticket, events: Iterable[rules.Event]) -> int | None: ...
    def ticket_of_source(self, source: str) -> str | None: ...
    def audit_trail(self, ticket_id: str) -> list[dict[str, Any]]: ...
    def by_requester(self, person_id: str, *, limit: int, cursor: str | None) -> Page: ...
    def by_worker(self, staff_id: str, *, limit: int, cursor: str | None) -> Page: ...
    def team_queue(self, team_id: str, state: str | None, *, limit: int, cursor: str | None) -> Page: ...
    def open_by_deadline(self, *, limit: int, cursor: str | None, before: str | None = None) -> Page: ...
    def completed_before(self, moment: str) -> Iterator[str]: ...
    def board(self, month: str, *, limit: int, cursor: str | None) -> Page: ...
    def reported_between(self, owner: str, owner_id: str, start: str, end: str) -> Iterator[Ticket]: ...
    def routing_rules(self) -> list[Any]: ...
    def put_routing_rule(self, rule_id: str, team_id: str, updated_by: str, updated_at: str) -> Any: ...
    def delete_routing_rule(self, rule_id: str) -> bool: ...
    def sla_rules(self) -> dict[str, Any]: ...
    def put_sla_rule(self, rule: SlaRule, name: str, updated_by: str, updated_at: str) -> Any: ...


class RepairPoints(Protocol):
    """The repair teams and their workers (houqin.store.staff in production)."""

    def team_of(self, staff_id: str) -> str | None: ...
    def repair_team(self, team_id: str) -> Any: ...
    def repair_teams(self) -> list[Any]: ...


class Places(Protocol):
    """Campuses, buildings and rooms a ticket may be about (houqin.store.dorms in production)."""

    def campus(self, campus_id: str) -> Any: ...
    def building(self, building_id: str) -> Any: ...
    def room(self, building_id: str, room_no: str) -> Any: ...


class Tickets:
    """The repair tickets' use cases. Repositories are the store modules in production (any object with the
    same functions in tests: tests/fakes/tickets.py); the clock and the file store default to the real ones,
    neither of which makes anything until used."""

    def __init__(self, *, tickets: TicketRepository | None = None, staff: RepairPoints | None = None,
                 places: Places | None = None, clock: Clock | None = None, files: FileStore | None = None) -> None:
        self.tickets: TicketRepository = tickets if tickets is not None else cast(TicketRepository, tickets_store)
        self.staff: RepairPoints = staff if staff is not None else cast(RepairPoints, staff_store)
        self.places: Places = places if places is not None else cast(Places, places_store)
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.files: FileStore = files if files is not None else S3FileStore()  # no client until it is used

    # ------------------------------------------------------------ who is asking
    def actor(self, principal: Principal) -> Actor:
        """The principal as the domain sees it; a worker's repair team comes from the staff table."""
        team_id = self.staff.team_of(principal.person_id) if principal.has_role(Role.WORKER) else None
        return principal.actor(team_id=team_id)

    def load(self, ticket_id: str, who: Actor) -> tuple[Ticket, int]:
        ticket, version = self.tickets.get(ticket_id)
        self.check_view(ticket, who)
        return ticket, version

    @staticmethod
    def check_view(ticket: Ticket, who: Actor) -> None:
        if not can_view(ticket, who):
            raise NotFound(f"no ticket {ticket.ticket_id}")  # do not reveal that it exists

    # ------------------------------------------------------------ rules that admins edit
    def sla_rule(self, category: str) -> SlaRule:
        stored = self.tickets.sla_rules()
        if category in stored:
            return stored[category].rule()
        if category in rules.CATEGORIES:
            return SlaRule(category)
        raise ValidationError(f"unknown category {category!r}", field="category")

    def sla_rules(self) -> list[dict[str, Any]]:
        merged = {c: {"category": c, "name": n, "minor_minutes": 60, "major_minutes": None, "default": True}
                  for c, n in rules.CATEGORIES.items()}
        merged.update({category: _sla_view(item) for category, item in self.tickets.sla_rules().items()})
        return sorted(merged.values(), key=lambda r: r["category"])

    def put_sla_rule(self, principal: Principal, category: str, given: SlaRuleInput) -> dict[str, Any]:
        principal.require_role(Role.ADMIN)
        if not re.fullmatch(CATEGORY, category):
            raise ValidationError("category must be lower-case letters, digits and _ (2-31)", field="category")
        name = given.name or rules.CATEGORIES.get(category)
        if not name:
            raise ValidationError("name is required for a new category", field="name")
        rule = SlaRule(category, given.minor_minutes, given.major_minutes)
        item = self.tickets.put_sla_rule(rule, name, principal.person_id, to_iso(self.clock.now()))
        return _sla_view(item)  # not a re-read: a Query right after the write may not see it yet

    def routing_rules(self, principal: Principal) -> list[dict[str, Any]]:
        principal.require_role(Role.ADMIN, Role.DISPATCHER, Role.LEADER)
        return [{"rule_id": r.rule_id, "team_id": r.team_id, "updated_by": r.updated_by, "updated_at": r.updated_at}
                for r in self.tickets.routing_rules()]

    def put_routing_rule(self, principal: Principal, rule_id: str, given: RoutingRuleInput) -> dict[str, Any]:
        principal.require_role(Role.ADMIN)
        parts = rule_id.split(".")
        if len(parts) not in (2, 3):
            raise ValidationError("rule_id is category.campus or category.campus.building", field="rule_id")
        category, campus_id, building_id = parts[0], parts[1], parts[2] if len(parts) == 3 else None
        self.sla_rule(category)
        self.check_location(campus_id, building_id, None)
        team = self.repair_team(given.team_id)
        now = to_iso(self.clock.now())
        self.tickets.put_routing_rule(rule_id, team.team_id, principal.person_id, now)
        return {"rule_id": rule_id, "team_id": team.team_id, "updated_by": principal.person_id, "updated_at": now}

    def delete_routing_rule(self, principal: Principal, rule_id: str) -> None:
        principal.require_role(Role.ADMIN)
        if not self.tickets.delete_routing_rule(rule_id):
            raise NotFound(f"no routing rule {rule_id}")

    def repair_team(self, team_id: str, field: str = "team_id") -> RepairTeam:
        team = self.staff.repair_team(team_id)
        if team is None:
            raise ValidationError(f"unknown repair team {team_id!r}", field=field)
        return team

    def teams(self, principal: Principal) -> list[dict[str, Any]]:
        principal.require_role(Role.DISPATCHER, Role.LEADER, Role.ADMIN, Role.WORKER)
        return [{"team_id": t.team_id, "name": t.name, "trade": t.trade, "campus_id": t.campus_id, "phone": t.phone}
                for t in self.staff.repair_teams()]

    # ------------------------------------------------------------ intake
    def check_location(self, campus_id: str, building_id: str | None, room_no: str | None) -> None:
        if self.places.campus(campus_id) is None:
            raise ValidationError(f"unknown campus {campus_id!r}", field="campus_id")
        if building_id is None:
            if room_no:
                raise ValidationError("room_no needs a building_id", field="building_id")
            return
        building = self.places.building(building_id)
        if building is None or building.campus_id != campus_id:
            raise ValidationError(f"unknown building {building_id!r} on campus {campus_id}", field="building_id")
        if room_no and self.places.room(building_id, room_no) is None:
            raise ValidationError(f"unknown room {room_no!r} in {building_id}", field="room_no")

    def create(self, principal: Principal, intake: Intake) -> tuple[Ticket, int]:
        """A person's report: on the web (routed at once), or a phone call the duty desk enters (dispatched by hand)."""
        principal.require_role(*CREATORS)
        phone_fields = [f for f in ("caller_name", "requester_id") if getattr(intake, f) is not None]
        if intake.channel == "phone":
            principal.require_role(Role.DISPATCHER)
        elif phone_fields:
            raise ValidationError(f"{phone_fields[0]} is only for phone tickets the duty desk enters",
                                  field=phone_fields[0])
        if intake.building_id is None and intake.place is None:
            raise ValidationError("place is required", field="place")
        rule = self.sla_rule(intake.category)
        details = {name: getattr(intake, name) for name in ("campus_id", "building_id", "room_no", "place", "category",
                                                             "severity", "description", "contact_phone",
                                                             "caller_name")}
        channel = intake.channel
        requester_id = intake.requester_id or principal.person_id
        # A web report is routed at once; a phone report stays with the desk, which dispatches it by trade.
        ticket, events = self._open(self.actor(principal), rule, channel, requester_id, routed=channel == "web",
                                    **details)
        return ticket, self.tickets.save(ticket, None, events)

    def open_for_system(self, *, source: str, campus_id: str, category: str, severity: str, description: str,
                        building_id: str | None = None, room_no: str | None = None,
                        place: str | None = None) -> tuple[Ticket, int, bool]:
        """A ticket the system opens about ``source`` (``"<context>:<id>"``: an inspection's finding, a sensor's
        anomaly), received by the system (first contact: SYSTEM) and routed like a web report. One ticket per
        source: asked again (a re-run, a retry, a second reading) it answers the ticket the source already has.
        Returns the ticket, its version and whether it was opened now."""
        if not re.fullmatch(SOURCE, source or ""):
            raise ValidationError("source is <context>:<id> (letters, digits, _ . : # -)", field="source")
        existing = self.tickets.ticket_of_source(source)
        if existing is None:
            if severity not in rules.SEVERITIES:
                raise ValidationError(f"severity must be one of {', '.join(rules.SEVERITIES)}", field="severity")
            if not (description or "").strip() or len(description) > MAX_DESCRIPTION:
                raise ValidationError(f"a description of 1 to {MAX_DESCRIPTION} characters is required",
                                      field="description")
            if building_id is None and not place:
                raise ValidationError("place is required without a building_id", field="place")
            ticket, events = self._open(SYSTEM, self.sla_rule(category), rules.SYSTEM_CHANNEL, SYSTEM.person_id,
                                        routed=True, source=source, campus_id=campus_id, building_id=building_id,
                                        room_no=room_no, place=place, category=category, severity=severity,
                                        description=description.strip())
            version = self.tickets.open_from_source(ticket, events)
            if version is not None:
                return ticket, version, True
            existing = self.tickets.ticket_of_source(source)  # another run claimed it first
        ticket, version = self.tickets.get(existing)
        return ticket, version, False

    def _open(self, who: Actor, rule: SlaRule, channel: str, requester_id: str, *, routed: bool,
              **details: Any) -> tuple[Ticket, list[rules.Event]]:
        """Every intake: the place checked, the repair point chosen when ``routed``, the ticket and its events."""
        self.check_location(details["campus_id"], details["building_id"], details["room_no"])
        routing = {r.rule_id: r.team_id for r in self.tickets.routing_rules()} if routed else {}
        team_id = rules.choose_team(routing, details["category"], details["campus_id"], details["building_id"])
        now = self.clock.now()
        return rules.open_ticket(ticket_id=self.tickets.new_ticket_id(now), actor=who, at=now, tz=settings().tz,
                                 rule=rule, team_id=team_id, channel=channel, requester_id=requester_id, **details)

    # ------------------------------------------------------------ changes
    def transition(self, principal: Principal, ticket_id: str, step: Transition,
                   expected: int | None) -> tuple[Ticket, int]:
        action = step.action
        args: dict[str, Any] = {"reason": step.reason}
        if action == "dispatch":
            if step.team_id is None:
                raise ValidationError("team_id is required", field="team_id")
            team = self.repair_team(step.team_id)
            args["team_id"] = team.team_id
            args["worker_id"] = self.worker_of(team.team_id, step.worker_id)
        elif step.team_id is not None or step.worker_id is not None:
            raise ValidationError("team_id and worker_id are only for dispatch", field="team_id")
        if action == "complete":
            args["lines"] = fee_lines(step.lines) if step.lines is not None else None
        elif step.lines is not None:
            raise ValidationError("lines are recorded with complete or PUT /tickets/{id}/fee", field="lines")
        return self._change(principal, ticket_id, expected,
                            lambda ticket, who, now: rules.apply(ticket, action, who, now, **args))

    def _change(self, principal: Principal, ticket_id: str, expected: int | None,
                decide: Callable[[Ticket, Actor, datetime], tuple[Ticket, rules.Event]]) -> tuple[Ticket, int]:
        """Every change to a ticket: load what the caller may see, check the version they read, decide, write."""
        who = self.actor(principal)
        ticket, version = self.load(ticket_id, who)
        check_version(version, expected)
        updated, event = decide(ticket, who, self.clock.now())
        return updated, self.tickets.save(updated, version, [event])

    def worker_of(self, team_id: str, worker_id: str | None) -> str | None:
        if worker_id is None:
            return None
        if self.staff.team_of(worker_id) != team_id:
            raise ValidationError(f"{worker_id} is not a worker of {team_id}", field="worker_id")
        return worker_id

    def set_fee(self, principal: Principal, ticket_id: str, fee: Fee, expected: int | None) -> tuple[Ticket, int]:
        lines = fee_lines(fee.lines)
        return self._change(principal, ticket_id, expected,
                            lambda ticket, who, now: rules.set_fee(ticket, who, now, lines))

    def rate(self, principal: Principal, ticket_id: str, rating: Rating, expected: int | None) -> tuple[Ticket, int]:
        scores = {d: getattr(rating, d) for d in rules.RATING_DIMENSIONS}
        comment = rating.comment
        return self._change(principal, ticket_id, expected,
                            lambda ticket, who, now: rules.rate(ticket, who, now, scores, comment))

    def add_photo(self, principal: Principal, ticket_id: str, photo: PhotoUpload) -> dict[str, Any]:
        """An upload form for one photo: the file store itself refuses a bigger file or another type."""
        content_type, size = photo.content_type, photo.size_bytes
        who = self.actor(principal)
        ticket, version = self.load(ticket_id, who)
        if who.person_id not in (ticket.requester_id, ticket.worker_id) and not who.has(Role.DISPATCHER):
            raise Forbidden("only the requester, the worker on the job or the duty desk add photos")
        object_key = (f"tickets/{ticket_id}/{len(ticket.photos) + 1}-{secrets.token_hex(4)}."
                      f"{PHOTO_TYPES[content_type]}")
        updated, event = rules.add_photo(ticket, who, self.clock.now(), object_key, MAX_PHOTOS)
        upload = self.files.upload_form("attachments", object_key, content_type, size, UPLOAD_SECONDS)
        self.tickets.save(updated, version, [event])
        return {"key": object_key, "url": upload["url"], "fields": upload["fields"], "expires_in": UPLOAD_SECONDS,
                "max_bytes": size}

    # ------------------------------------------------------------ lists
    def my_tickets(self, principal: Principal, limit: int, cursor: str | None) -> Page:
        return self.tickets.by_requester(principal.person_id, limit=limit, cursor=cursor)

    def my_jobs(self, principal: Principal, limit: int, cursor: str | None) -> Page:
        principal.require_role(Role.WORKER)
        return self.tickets.by_worker(principal.person_id, limit=limit, cursor=cursor)

    def team_queue(self, principal: Principal, team_id: str, state: str | None, limit: int,
                   cursor: str | None) -> Page:
        self.check_team_access(principal, team_id)
        return self.tickets.team_queue(team_id, state, limit=limit, cursor=cursor)

    def check_team_access(self, principal: Principal, team_id: str) -> None:
        if principal.has_role(*SEE_ALL):
            self.repair_team(team_id)
            return
        if self.actor(principal).team_id != team_id:
            raise Forbidden("you may only see your own repair point")

    def open_tickets(self, principal: Principal, limit: int, cursor: str | None) -> Page:
        principal.require_role(*SEE_ALL)
        return self.tickets.open_by_deadline(limit=limit, cursor=cursor)

    def public_board(self, month: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
        if month is None:  # a month given was read at the edge (BoardQuery)
            month = self.clock.now().astimezone(settings().tz).strftime("%Y-%m")
        page = self.tickets.board(month, limit=limit, cursor=cursor)
        year, number = int(month[:4]), int(month[5:])
        previous = f"{year - (number == 1)}-{12 if number == 1 else number - 1:02d}"
        return {**page.body(rules.public_view), "month": month, "previous_month": previous}

    # ------------------------------------------------------------ KPIs
    def kpis(self, principal: Principal, owner: str, owner_id: str, start: date, end: date) -> dict[str, Any]:
        if owner == "team":
            self.check_team_access(principal, owner_id)
        elif not (principal.is_person(owner_id) or principal.has_role(*SEE_ALL)):
            raise Forbidden("you may only see your own KPIs")
        date_range(start, end, MAX_KPI_DAYS, field="to")
        tz = settings().tz
        first, after = to_iso(at_local(start, datetime.min.time(), tz)), to_iso(
            at_local(end + timedelta(days=1), datetime.min.time(), tz))
        tickets = self.tickets.reported_between(owner, owner_id, first, after)
        return {owner: owner_id, "from": start.isoformat(), "to": end.isoformat(), **rules.kpis(tickets)}

    # ------------------------------------------------------------ the scheduled check
    def auto_confirm(self, after: timedelta) -> dict[str, int]:
        """Confirm tickets completed more than ``after`` ago and still unrated."""
        now = self.clock.now()
        confirmed = skipped = 0
        for ticket_id in self.tickets.completed_before(to_iso(now - after)):
            current, version = self.tickets.get(ticket_id)  # the index is eventually consistent: re-read
            if current.state != State.COMPLETED:
                skipped += 1
                continue
            updated, event = rules.apply(current, "auto_confirm", SYSTEM, now)
            try:
                self.tickets.save(updated, version, [event])
                confirmed += 1
            except Conflict:  # the requester rated it meanwhile
                skipped += 1
        return {"confirmed": confirmed, "skipped": skipped}

    # ------------------------------------------------------------ views
    def view(self, ticket: Ticket, version: int) -> dict[str, Any]:
        view = {name: getattr(ticket, name) for name in Ticket.__dataclass_fields__}
        view.update(state=ticket.state.value, version=version, sla=rules.sla_view(ticket, self.clock.now()),
                    category_name=rules.CATEGORIES.get(ticket.category, ticket.category),
                    lines=list(ticket.lines), photos=list(ticket.photos), handovers=list(ticket.handovers))
        return view

    def detail(self, principal: Principal, ticket_id: str) -> tuple[dict[str, Any], int]:
        """A ticket the caller may see with its audit trail (read with it) and short-lived links to its photos."""
        ticket, version, trail = self.tickets.get_with_trail(ticket_id)
        self.check_view(ticket, self.actor(principal))
        photo_urls = [self.files.download_url("attachments", k, UPLOAD_SECONDS) for k in ticket.photos]
        return {**self.view(ticket, version), "photo_urls": photo_urls, "audit_trail": trail}, version

    def summaries(self, page: Page) -> dict[str, Any]:
        now = self.clock.now()
        return page.body(lambda t: summary_view(t, now))
