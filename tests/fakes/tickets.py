"""In-memory repositories of the tickets context: what houqin.services.tickets.Tickets reads and writes through
houqin.store.tickets (tickets, routing and SLA rules, sources), houqin.store.staff (repair points) and
houqin.store.dorms (places), with the same functions and the same answers (a stale version is a Conflict)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from houqin.domain.tickets import OPEN_STATES, QUEUE_STATES, Event, SlaRule, State, Ticket
from houqin.errors import Conflict, NotFound
from houqin.store.paging import Page


@dataclass
class Rule:
    rule_id: str
    team_id: str
    updated_by: str
    updated_at: str


@dataclass
class SlaItem:
    category: str
    name: str
    minor_minutes: int
    major_minutes: int | None
    updated_by: str
    updated_at: str

    def rule(self) -> SlaRule:
        return SlaRule(self.category, self.minor_minutes, self.major_minutes)


@dataclass
class FakeTicketStore:
    """houqin.store.tickets in memory; ``events`` keeps each ticket's audit trail."""

    tickets: dict[str, tuple[Ticket, int]] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    sla: dict[str, SlaItem] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    issued: int = 0

    def new_ticket_id(self, at: datetime) -> str:
        self.issued += 1
        return f"R{at:%y%m%d}-{self.issued:08X}"

    def get(self, ticket_id: str) -> tuple[Ticket, int]:
        if ticket_id not in self.tickets:
            raise NotFound(f"no ticket {ticket_id}")
        return self.tickets[ticket_id]

    def get_with_trail(self, ticket_id: str) -> tuple[Ticket, int, list[dict[str, Any]]]:
        ticket, version = self.get(ticket_id)
        return ticket, version, self.audit_trail(ticket_id)

    def save(self, ticket: Ticket, version: int | None, events: Iterable[Event]) -> int:
        current = self.tickets.get(ticket.ticket_id)
        if (current[1] if current else None) != version:
            raise Conflict(f"ticket {ticket.ticket_id} was changed by someone else", code="version_conflict")
        self.tickets[ticket.ticket_id] = (ticket, (version or 0) + 1)
        self.events.setdefault(ticket.ticket_id, []).extend(events)
        return (version or 0) + 1

    def open_from_source(self, ticket: Ticket, events: Iterable[Event]) -> int | None:
        if ticket.source in self.sources:
            return None
        self.sources[ticket.source] = ticket.ticket_id
        return self.save(ticket, None, events)

    def ticket_of_source(self, source: str) -> str | None:
        return self.sources.get(source)

    def audit_trail(self, ticket_id: str) -> list[dict[str, Any]]:
        return [event.as_dict() for event in self.events.get(ticket_id, [])]

    def _page(self, tickets: Iterable[Ticket], limit: int, newest_first: bool = True) -> Page:
        ordered = sorted(tickets, key=lambda t: (t.created_at, t.ticket_id), reverse=newest_first)
        return Page(ordered[:limit], None)

    def _all(self) -> list[Ticket]:
        return [ticket for ticket, _ in self.tickets.values()]

    def by_requester(self, person_id: str, *, limit: int, cursor: str | None) -> Page:
        return self._page([t for t in self._all() if t.requester_id == person_id], limit)

    def by_worker(self, staff_id: str, *, limit: int, cursor: str | None) -> Page:
        return self._page([t for t in self._all() if t.worker_id == staff_id], limit)

    def team_queue(self, team_id: str, state: str | None, *, limit: int, cursor: str | None) -> Page:
        return self._page([t for t in self._all() if t.team_id == team_id and t.state in QUEUE_STATES
                           and (state is None or t.state == state)], limit)

    def open_by_deadline(self, *, limit: int, cursor: str | None, before: str | None = None) -> Page:
        found = sorted((t for t in self._all() if t.state in OPEN_STATES and (before is None or t.deadline < before)),
                       key=lambda t: (t.deadline, t.ticket_id))
        start = int(cursor or 0)
        rest = found[start:start + limit]
        return Page(rest, str(start + limit) if start + limit < len(found) else None)

    def completed_before(self, moment: str) -> Iterator[str]:
        return iter([t.ticket_id for t in self._all() if t.state == State.COMPLETED and t.completed_at < moment])

    def board(self, month: str, *, limit: int, cursor: str | None) -> Page:
        return self._page([t for t in self._all() if t.created_at[:7] == month], limit)

    def reported_between(self, owner: str, owner_id: str, start: str, end: str) -> Iterator[Ticket]:
        attribute = {"team": "team_id", "worker": "worker_id"}[owner]
        return iter([t for t in self._all() if getattr(t, attribute) == owner_id and start <= t.created_at < end])

    def routing_rules(self) -> list[Rule]:
        return list(self.rules.values())

    def put_routing_rule(self, rule_id: str, team_id: str, updated_by: str, updated_at: str) -> Rule:
        self.rules[rule_id] = Rule(rule_id, team_id, updated_by, updated_at)
        return self.rules[rule_id]

    def delete_routing_rule(self, rule_id: str) -> bool:
        return self.rules.pop(rule_id, None) is not None

    def sla_rules(self) -> dict[str, SlaItem]:
        return dict(self.sla)

    def put_sla_rule(self, rule: SlaRule, name: str, updated_by: str, updated_at: str) -> SlaItem:
        self.sla[rule.category] = SlaItem(rule.category, name, rule.minor_minutes, rule.major_minutes, updated_by,
                                          updated_at)
        return self.sla[rule.category]


@dataclass
class Team:
    team_id: str
    name: str
    trade: str
    campus_id: str
    phone: str = "0451-1"


@dataclass
class FakeStaff:
    """houqin.store.staff's repair points: teams and which team each worker is in."""

    teams: dict[str, Team] = field(default_factory=dict)
    members: dict[str, str] = field(default_factory=dict)  # worker -> team

    def team_of(self, staff_id: str) -> str | None:
        return self.members.get(staff_id)

    def repair_team(self, team_id: str) -> Team | None:
        return self.teams.get(team_id)

    def repair_teams(self) -> list[Team]:
        return list(self.teams.values())


@dataclass
class Place:
    campus_id: str


@dataclass
class FakePlaces:
    """houqin.store.dorms's places: campuses, buildings (by campus) and rooms."""

    campuses: set[str] = field(default_factory=set)
    buildings: dict[str, str] = field(default_factory=dict)  # building -> campus
    rooms: set[tuple[str, str]] = field(default_factory=set)

    def campus(self, campus_id: str) -> Place | None:
        return Place(campus_id) if campus_id in self.campuses else None

    def building(self, building_id: str) -> Place | None:
        return Place(self.buildings[building_id]) if building_id in self.buildings else None

    def room(self, building_id: str, room_no: str) -> Place | None:
        return Place(self.buildings[building_id]) if (building_id, room_no) in self.rooms else None
