"""The tickets table: repair tickets, their audit trail, routing rules and SLA rules.

Access patterns (Queries and GetItems only):
- ticket .............................. pk = "TICKET#<id>", sk = "META"
- its audit trail ..................... pk = "TICKET#<id>", sk = "EVENT#<version>#<n>" (in order)
- my tickets (requester) .............. GSI1 gsi1pk = "REQ#<person>", gsi1sk = "<created>#<id>"
- my jobs / a worker's KPIs ........... GSI2 gsi2pk = "WORKER#<staff>", gsi2sk = "<created>#<id>"
- a repair point's queue by state ..... GSI3 gsi3pk = "QUEUE#<team>", gsi3sk = "<state>#<deadline>#<id>"
                                        (sparse: only dispatched / accepted / in_progress / on_hold)
- duty desk, overdue first ............ GSI4 gsi4pk = "OPEN", gsi4sk = "<deadline>#<id>" (sparse: open states)
- completed, waiting for a rating ..... GSI4 gsi4pk = "AWAITING_RATING", gsi4sk = "<completed>#<id>"
- a repair point's tickets / KPIs ..... GSI5 gsi5pk = "TEAM#<team>", gsi5sk = "<created>#<id>"
- public board, newest first .......... GSI6 gsi6pk = "BOARD#<local yyyy-mm>", gsi6sk = "<created>#<id>"
- routing rules ....................... pk = "ROUTING", sk = "<category>.<campus>[.<building>]"
- SLA rules ........................... pk = "SLA", sk = "<category>"
- the ticket a source has (system) .... pk = "SOURCE#<source>", sk = "SOURCE" (claimed with the new ticket)

"OPEN" is one partition: the desk's list is small (hundreds) and written a few times per
ticket, far below a partition's 1,000 writes per second; shard it (OPEN#<n>) if that changes.
A ticket and its audit event are written in one transaction, the ticket conditional on its
version: a lost race is a 409, and a ticket never changes without its audit line.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)

from houqin.clock import local, parse_iso
from houqin.domain.tickets import OPEN_STATES, QUEUE_STATES, Event, SlaRule, State, Ticket
from houqin.errors import Conflict, NotFound
from houqin.settings import settings
from houqin.store.base import (
    Gsi1,
    Gsi2,
    Gsi3,
    Gsi4,
    Gsi5,
    Gsi6,
    audit_event_model,
    find,
    key,
    table_base,
    versioned_transaction,
)
from houqin.store.paging import Page, query_page

META = "META"


TicketsTable = table_base("TicketsTable", "tickets")


class TicketItem(TicketsTable):
    ticket_id = UnicodeAttribute()
    channel = UnicodeAttribute()
    requester_id = UnicodeAttribute()
    category = UnicodeAttribute()
    severity = UnicodeAttribute()
    description = UnicodeAttribute()
    campus_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    deadline = UnicodeAttribute()
    received_by = UnicodeAttribute()
    owner = UnicodeAttribute()
    state = UnicodeAttribute()
    building_id = UnicodeAttribute(null=True)
    room_no = UnicodeAttribute(null=True)
    place = UnicodeAttribute(null=True)
    contact_phone = UnicodeAttribute(null=True)
    caller_name = UnicodeAttribute(null=True)
    team_id = UnicodeAttribute(null=True)
    worker_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    held_since = UnicodeAttribute(null=True)
    held_seconds = NumberAttribute(default=0)
    completed_at = UnicodeAttribute(null=True)
    sla_met = BooleanAttribute(null=True)
    confirmed_at = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    lines = JSONAttribute(default=list)
    fee_fen = NumberAttribute(default=0)
    rating = JSONAttribute(null=True)
    rework_count = NumberAttribute(default=0)
    photos = JSONAttribute(default=list)
    handovers = JSONAttribute(default=list)
    source = UnicodeAttribute(null=True)
    version = VersionAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)
    gsi5pk = UnicodeAttribute(null=True)
    gsi5sk = UnicodeAttribute(null=True)
    gsi6pk = UnicodeAttribute()
    gsi6sk = UnicodeAttribute()
    by_requester = Gsi1()
    by_worker = Gsi2()
    team_queue = Gsi3()
    desk = Gsi4()
    by_team = Gsi5()
    board = Gsi6()

    @classmethod
    def from_ticket(cls, ticket: Ticket, version: int | None) -> TicketItem:
        fields = {name: getattr(ticket, name) for name in Ticket.__dataclass_fields__}
        fields.update(state=ticket.state.value, lines=list(ticket.lines), photos=list(ticket.photos),
                      handovers=list(ticket.handovers))
        item = cls(pk=key("TICKET", ticket.ticket_id), sk=META, **fields, **index_keys(ticket))
        if version is not None:  # a new ticket has none: the save then requires that none exists
            item.version = version
        return item

    def to_ticket(self) -> Ticket:
        fields = {name: getattr(self, name) for name in Ticket.__dataclass_fields__}
        fields.update(state=State(self.state), held_seconds=int(self.held_seconds), fee_fen=int(self.fee_fen),
                      rework_count=int(self.rework_count), lines=tuple(self.lines or ()),
                      photos=tuple(self.photos or ()), handovers=tuple(self.handovers or ()))
        return Ticket(**fields)


def index_keys(ticket: Ticket) -> dict[str, str | None]:
    """Every index key of a ticket, from its state: sparse indexes get None (the item leaves them)."""
    created = f"{ticket.created_at}#{ticket.ticket_id}"
    keys: dict[str, str | None] = {
        "gsi1pk": key("REQ", ticket.requester_id), "gsi1sk": created,
        "gsi2pk": key("WORKER", ticket.worker_id) if ticket.worker_id else None,
        "gsi2sk": created if ticket.worker_id else None,
        "gsi3pk": None, "gsi3sk": None, "gsi4pk": None, "gsi4sk": None,
        "gsi5pk": key("TEAM", ticket.team_id) if ticket.team_id else None,
        "gsi5sk": created if ticket.team_id else None,
        "gsi6pk": key("BOARD", board_month(ticket.created_at)), "gsi6sk": created,
    }
    if ticket.team_id and ticket.state in QUEUE_STATES:
        keys.update(gsi3pk=key("QUEUE", ticket.team_id), gsi3sk=key(ticket.state.value, ticket.deadline,
                                                                       ticket.ticket_id))
    if ticket.state in OPEN_STATES:
        keys.update(gsi4pk="OPEN", gsi4sk=f"{ticket.deadline}#{ticket.ticket_id}")
    elif ticket.state == State.COMPLETED:
        keys.update(gsi4pk="AWAITING_RATING", gsi4sk=f"{ticket.completed_at}#{ticket.ticket_id}")
    return keys


def board_month(created_at: str) -> str:
    """The public board's partition: the local (campus) month the ticket was reported in."""
    return local(parse_iso(created_at), settings().tz).strftime("%Y-%m")


# One audit line; ``sk`` is the ticket version it produced (then its place in that write): time order.
TicketEvent = audit_event_model(TicketsTable, "TICKET")


class RoutingRule(TicketsTable):
    rule_id = UnicodeAttribute()
    team_id = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @classmethod
    def make(cls, rule_id: str, team_id: str, updated_by: str, updated_at: str) -> RoutingRule:
        return cls(pk="ROUTING", sk=rule_id, rule_id=rule_id, team_id=team_id, updated_by=updated_by,
                   updated_at=updated_at)


class SlaRuleItem(TicketsTable):
    category = UnicodeAttribute()
    name = UnicodeAttribute()
    minor_minutes = NumberAttribute()
    major_minutes = NumberAttribute(null=True)
    updated_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @classmethod
    def make(cls, rule: SlaRule, name: str, updated_by: str, updated_at: str) -> SlaRuleItem:
        return cls(pk="SLA", sk=rule.category, category=rule.category, name=name, minor_minutes=rule.minor_minutes,
                   major_minutes=rule.major_minutes, updated_by=updated_by, updated_at=updated_at)

    def rule(self) -> SlaRule:
        major = int(self.major_minutes) if self.major_minutes is not None else None
        return SlaRule(self.category, int(self.minor_minutes), major)


class SourceItem(TicketsTable):
    """What a ticket the system opened is about (an inspection's finding, a sensor's anomaly): one ticket each."""

    source = UnicodeAttribute()
    ticket_id = UnicodeAttribute()


# ---------------------------------------------------------------- repository
def new_ticket_id(at: datetime) -> str:
    """R + local date + 8 random hex digits: readable over the phone, unguessable, sortable by day."""
    return f"R{local(at, settings().tz):%y%m%d}-{secrets.token_hex(4).upper()}"


def get(ticket_id: str) -> tuple[Ticket, int]:
    """The ticket and its version; NotFound when there is none."""
    try:
        item = TicketItem.get(key("TICKET", ticket_id), META, consistent_read=True)
    except TicketItem.DoesNotExist:
        raise NotFound(f"no ticket {ticket_id}") from None
    return item.to_ticket(), int(item.version)


def audit_trail(ticket_id: str) -> list[dict[str, Any]]:
    events = TicketEvent.query(key("TICKET", ticket_id), TicketEvent.sk.startswith("EVENT#"))
    return [event.as_dict() for event in events]


def save(ticket: Ticket, version: int | None, events: Iterable[Event], claim: SourceItem | None = None) -> int:
    """Write the ticket and its audit lines atomically; 409 if someone else changed it first."""
    item = TicketItem.from_ticket(ticket, version)
    conflict = f"ticket {ticket.ticket_id} was changed by someone else (version {version}): reload it and try again"
    with versioned_transaction(TicketItem, conflict) as transaction:
        transaction.save(item)
        for sequence, event in enumerate(events):
            transaction.save(TicketEvent.from_event(ticket.ticket_id, event, (version or 0) + 1, sequence))
        if claim is not None:  # a new system ticket claims its source: refused when another ticket has it
            transaction.save(claim, condition=SourceItem.pk.does_not_exist())
    return int(item.version)


def open_from_source(ticket: Ticket, events: Iterable[Event]) -> int | None:
    """Write a new system ticket and claim its source, atomically: its version, or None (nothing written) when
    the source has a ticket already (``ticket_of_source`` names it)."""
    if not ticket.source:
        raise ValueError("a system ticket needs its source")
    claim = SourceItem(key("SOURCE", ticket.source), "SOURCE", source=ticket.source, ticket_id=ticket.ticket_id)
    try:
        return save(ticket, None, events, claim)
    except Conflict:
        return None


def ticket_of_source(source: str) -> str | None:
    claim = find(SourceItem, key("SOURCE", source), "SOURCE", consistent_read=True)
    return claim.ticket_id if claim else None


def batch_put(tickets: Iterable[tuple[Ticket, list[Event]]]) -> int:
    """Demo data: tickets and their trails with batch writes (no conditions: a fresh table)."""
    count = 0
    with TicketItem.batch_write() as writer:
        for ticket, events in tickets:
            writer.save(TicketItem.from_ticket(ticket, 1))  # as if written once, trail and all
            for sequence, event in enumerate(events):
                writer.save(TicketEvent.from_event(ticket.ticket_id, event, 1, sequence))
            count += 1
    return count


def _tickets(page: Page) -> Page:
    return Page([item.to_ticket() for item in page.items], page.cursor)


def by_requester(person_id: str, *, limit: int, cursor: str | None) -> Page:
    return _tickets(query_page(TicketItem.by_requester.query, "gsi1pk", key("REQ", person_id), limit=limit,
                               cursor=cursor, scan_index_forward=False))


def by_worker(staff_id: str, *, limit: int, cursor: str | None) -> Page:
    return _tickets(query_page(TicketItem.by_worker.query, "gsi2pk", key("WORKER", staff_id), limit=limit,
                               cursor=cursor, scan_index_forward=False))


def team_queue(team_id: str, state: str | None, *, limit: int, cursor: str | None) -> Page:
    condition = TicketItem.gsi3sk.startswith(f"{state}#") if state else None
    return _tickets(query_page(TicketItem.team_queue.query, "gsi3pk", key("QUEUE", team_id), limit=limit,
                               cursor=cursor, range_key_condition=condition))


def open_by_deadline(*, limit: int, cursor: str | None, before: str | None = None) -> Page:
    """The duty desk's list, earliest deadline (most overdue) first; ``before`` keeps only those due by then."""
    condition = TicketItem.gsi4sk < f"{before}#" if before else None
    return _tickets(query_page(TicketItem.desk.query, "gsi4pk", "OPEN", limit=limit, cursor=cursor,
                               range_key_condition=condition))


def completed_before(moment: str) -> Iterator[Ticket]:
    """Completed tickets still waiting for a rating, completed before ``moment`` (auto-confirm)."""
    for item in TicketItem.desk.query("AWAITING_RATING", TicketItem.gsi4sk < f"{moment}#"):
        yield item.to_ticket()


def board(month: str, *, limit: int, cursor: str | None) -> Page:
    return _tickets(query_page(TicketItem.board.query, "gsi6pk", key("BOARD", month), limit=limit, cursor=cursor,
                               scan_index_forward=False))


def reported_between(owner: str, owner_id: str, start: str, end: str) -> Iterator[Ticket]:
    """Tickets of a repair point (``owner="team"``, GSI5) or a worker (GSI2) reported in [start, end)."""
    index, sort_key, prefix = {"team": (TicketItem.by_team, TicketItem.gsi5sk, "TEAM"),
                               "worker": (TicketItem.by_worker, TicketItem.gsi2sk, "WORKER")}[owner]
    # Sort keys are "<created>#<id>": everything created at ``end`` or later sorts above ``end``.
    for item in index.query(key(prefix, owner_id), sort_key.between(start, end)):
        yield item.to_ticket()


def routing_rules() -> list[RoutingRule]:
    return list(RoutingRule.query("ROUTING"))


def put_routing_rule(rule_id: str, team_id: str, updated_by: str, updated_at: str) -> RoutingRule:
    rule = RoutingRule.make(rule_id, team_id, updated_by, updated_at)
    rule.save()
    return rule


def delete_routing_rule(rule_id: str) -> bool:
    """False when there is no such rule."""
    rule = find(RoutingRule, "ROUTING", rule_id)
    if rule is None:
        return False
    rule.delete()
    return True


def put_sla_rule(rule: SlaRule, name: str, updated_by: str, updated_at: str) -> SlaRuleItem:
    item = SlaRuleItem.make(rule, name, updated_by, updated_at)
    item.save()
    return item


def sla_rules() -> dict[str, SlaRuleItem]:
    return {item.category: item for item in SlaRuleItem.query("SLA")}
