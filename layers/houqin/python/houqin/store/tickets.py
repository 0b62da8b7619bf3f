"""The tickets table: repair tickets, their audit trail, routing rules and SLA rules.

Access patterns (Queries, GetItems, and BatchGetItems of the tickets a Query named):
- a ticket and its trail ............. pk = "TICKET#<id>": sk = "META" (the ticket) and its audit items, one Query
- my tickets (requester) ............. index ByRequester: requester_id, created_at (newest first)
- my jobs / a worker's KPIs .......... index ByWorker: worker_id, created_at (sparse: tickets with a worker)
- public board / a repair point's KPIs index Board: month (local yyyy-mm reported), created_at; carries team_id
- the work of a repair point ......... index Work: work = "<team>" ("-" until dispatched), deadline; carries
                                       completed_at. Sparse: from intake until confirmed, closed or cancelled.
    its queue by state ............... its partition without completed_at, the tickets read, kept by state
    duty desk, overdue first ......... every repair point's partition (houqin.store.staff) without completed_at,
                                       merged by deadline
    completed, waiting for a rating .. every partition with completed_at before a moment (auto-confirm)
- routing rules ...................... pk = "ROUTING", sk = "<category>.<campus>[.<building>]"
- SLA rules .......................... pk = "SLA", sk = "<category>"
- the ticket a source has (system) ... pk = "SOURCE#<source>", sk = "SOURCE" (claimed with the new ticket)

What it costs. A ticket is written at each step of its life, and each write bills the ticket's size in KB plus
one write per index whose copy changes. So the indexes copy keys only (and a field that changes at most once:
``team_id``, ``completed_at``) and lists read the tickets a page names with BatchGetItem (0.5 RCU each, at most
100 a request): a change of state alone writes no index, where an index copying the ticket (projection ALL)
would be rewritten at every step. Their keys are the ticket's own attributes, so they add ~20 bytes, not ~250.
An index is written when a ticket joins or leaves a list (intake, accept, a re-dispatch, confirmation), its
deadline moves (resume after a hold) or it is completed (Work's copy of completed_at). Lists show tickets
without fee lines and hand-overs (``get`` reads them from the trail). The busiest partitions, a Board month (one
index write per ticket reported) and a repair point's Work partition (a few per ticket), stay far below a
partition's 1,000 writes per second.

The audit trail, without transactions. The ticket item keeps a journal: the events of its latest writes that
are not yet an audit item of their own (each event tagged with the ticket version it produced). A change is one
PutItem of the ticket, conditional on the version read (a lost race is a 409, nothing written), carrying its
events in the journal: a ticket never changes without its audit line, with no second item to write. While the
ticket with its journal fits in 1 KB the events ride along for free; when the next write would pass 1 KB, the
journal as it was read is first put as one audit item, sk = "EVENT#<its first version>", then the ticket is
written with a journal of the new events only (events too big for 1 KB with the ticket are still written with
it, in 2 WCU or more). That audit item is made of stored (committed) events under a key
they determine: a retry, or a rival who read the same version, puts the same item again, and a crash between the
two puts loses nothing (the events are still in the ticket). The trail is every audit item (and the items of
the layout before this one, "EVENT#<version>#<n>", one event each) merged by version with the journal, the
journal winning where both hold a version. Fee lines and hand-overs live only there: the event that set the
lines records them, a hand-over is its event's owner change (houqin.domain.tickets ``lines_of``,
``handovers_of``). A system ticket and the claim of its source are still one transaction (two items that must
be written together or not at all).

``get`` remembers each ticket version's journal for the ``save`` that follows (a stored version never changes);
a ``save`` of a version it has not read reads the ticket first (and answers 409 without writing when the ticket
has moved on).

Items stored by the layout before this one (six indexes on gsi<n>pk/gsi<n>sk, fee lines and hand-overs in the
ticket, one audit item per event written in a transaction) are read as they are; their next write stores them
in this layout. ``migrate_index_keys()`` gives the ones that may never be written again the keys of Board and
Work (ByRequester and ByWorker are keyed on attributes they have): see docs/repairs.md for the deploy steps.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from heapq import merge
from itertools import groupby, islice
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection

from houqin.clock import local, parse_iso
from houqin.domain.tickets import (
    OPEN_STATES,
    QUEUE_STATES,
    Event,
    SlaRule,
    State,
    Ticket,
    handovers_of,
    lines_of,
)
from houqin.errors import Conflict, NotFound, ValidationError
from houqin.settings import settings
from houqin.store import staff
from houqin.store.base import (
    WRITE_UNIT,
    CompactJSONAttribute,
    audit_event_model,
    condition_held,
    find,
    item_size,
    key,
    mixed_query,
    save_versioned,
    table_base,
    versioned_transaction,
)
from houqin.store.paging import Page, decode_cursor, encode_cursor, query_page

META = "META"
UNROUTED = "-"  # the Work partition of tickets no repair point has yet (the desk dispatches them)
ACTIVE_STATES = OPEN_STATES | {State.COMPLETED}  # in the Work index
BATCH_GET = 100  # keys per BatchGetItem
Entry = list[Any]  # one event in a journal or an audit item: see journal_entry

TicketsTable = table_base("TicketsTable", "tickets")


class ByRequester(GlobalSecondaryIndex):
    class Meta:
        index_name = "ByRequester"
        projection = KeysOnlyProjection()

    requester_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ByWorker(GlobalSecondaryIndex):
    class Meta:
        index_name = "ByWorker"
        projection = KeysOnlyProjection()

    worker_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class Board(GlobalSecondaryIndex):
    class Meta:
        index_name = "Board"
        projection = IncludeProjection(["team_id"])

    month = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class Work(GlobalSecondaryIndex):
    class Meta:
        index_name = "Work"
        projection = IncludeProjection(["completed_at"])

    work = UnicodeAttribute(hash_key=True)
    deadline = UnicodeAttribute(range_key=True)


# Ticket fields stored as they are; lines and handovers are in the trail, zeros and empty lists are left out.
STORED = tuple(name for name in Ticket.__dataclass_fields__ if name not in ("lines", "handovers"))


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
    held_seconds = NumberAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    sla_met = BooleanAttribute(null=True)
    confirmed_at = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    fee_fen = NumberAttribute(null=True)
    rating = CompactJSONAttribute(null=True)
    rework_count = NumberAttribute(null=True)
    photos = CompactJSONAttribute(null=True)
    source = UnicodeAttribute(null=True)
    version = VersionAttribute()
    journal = CompactJSONAttribute(null=True)  # events not yet in an audit item (``journal_entry``)
    month = UnicodeAttribute(null=True)  # Board's key: the local month reported (null only on older items)
    work = UnicodeAttribute(null=True)  # Work's key while the ticket is at work (see ACTIVE_STATES)
    by_requester = ByRequester()
    by_worker = ByWorker()
    board = Board()
    at_work = Work()

    @classmethod
    def from_ticket(cls, ticket: Ticket, version: int | None, journal: list[Entry]) -> TicketItem:
        fields = {name: getattr(ticket, name) or None for name in STORED if name not in ("state", "sla_met")}
        fields.update(photos=list(ticket.photos) or None, sla_met=ticket.sla_met)
        item = cls(pk=key("TICKET", ticket.ticket_id), sk=META, state=ticket.state.value, journal=journal or None,
                   **fields, **index_keys(ticket))
        if version is not None:  # a new ticket has none: the save then requires that none exists
            item.version = version
        return item

    def to_ticket(self, trail: list[dict[str, Any]] | None = None) -> Ticket:
        """The ticket; with its ``trail`` (events as dicts, in order) also its fee lines and hand-overs."""
        fields = {name: getattr(self, name) for name in STORED}
        fields.update(state=State(self.state), held_seconds=int(self.held_seconds or 0),
                      fee_fen=int(self.fee_fen or 0), rework_count=int(self.rework_count or 0),
                      photos=tuple(self.photos or ()), lines=lines_of(trail or ()),
                      handovers=handovers_of(trail or ()))
        return Ticket(**fields)


def index_keys(ticket: Ticket) -> dict[str, str | None]:
    """The index keys a ticket adds to its own attributes: Board's month, and Work's while at work."""
    work = (ticket.team_id or UNROUTED) if ticket.state in ACTIVE_STATES else None
    return {"month": board_month(ticket.created_at), "work": work}


def board_month(created_at: str) -> str:
    """The public board's partition: the local (campus) month the ticket was reported in."""
    return local(parse_iso(created_at), settings().tz).strftime("%Y-%m")


class TrailItem(TicketsTable):
    """Audit lines moved out of a ticket's journal: sk "EVENT#<first version>", events as in the journal."""

    events = CompactJSONAttribute()

    @classmethod
    def make(cls, ticket_id: str, journal: list[Entry]) -> TrailItem:
        return cls(key("TICKET", ticket_id), key("EVENT", f"{journal[0][0]:08d}"), events=journal)


# An audit line of the layout before the journal: one event per item, sk "EVENT#<version>#<n>" (read only).
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


# ---------------------------------------------------------------- the trail
EVENT_FIELDS = tuple(Event.__dataclass_fields__)  # at, by, action, from_state, to_state, changes, reason


def journal_entry(event: Event, version: int) -> Entry:
    """An event as the journal and the audit items keep it: [version, at, by, action, from_state, to_state,
    changes, reason] without the empty fields at the end (by position: the names would be a third of it)."""
    entry = [version, *(getattr(event, name) for name in EVENT_FIELDS)]
    while entry[-1] in (None, {}):
        entry.pop()
    return entry


def event_dict(entry: Entry) -> dict[str, Any]:
    """A journal entry as the trail shows an event (every field of ``Event``)."""
    values = dict(zip(EVENT_FIELDS, entry[1:], strict=False))
    return {name: values.get(name, {} if name == "changes" else None) for name in EVENT_FIELDS}


def _model_of(sk: str) -> type[TicketsTable] | None:
    if sk == META:
        return TicketItem
    if sk.startswith("EVENT#"):
        return TrailItem if sk.count("#") == 1 else TicketEvent
    return None


def _read(ticket_id: str) -> tuple[TicketItem | None, list[dict[str, Any]]]:
    """The ticket item and its trail (events as dicts, in order), with one consistent Query."""
    ticket: TicketItem | None = None
    by_version: dict[int, list[dict[str, Any]]] = {}
    for item in mixed_query(TicketItem, key("TICKET", ticket_id), _model_of, consistent_read=True):
        if isinstance(item, TicketItem):
            ticket = item
        elif isinstance(item, TrailItem):
            for version, events in _by_version(item.events).items():
                by_version[version] = events  # a later audit item holding a version again holds the same events
        else:  # the layout before: one event per item, in order within its version
            by_version.setdefault(int(item.sk.split("#")[1]), []).append(item.as_dict())
    if ticket is not None:
        by_version.update(_by_version(ticket.journal or ()))
    return ticket, [event for version in sorted(by_version) for event in by_version[version]]


def _by_version(entries: Iterable[Entry]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    for entry in entries:
        grouped.setdefault(int(entry[0]), []).append(event_dict(entry))
    return grouped


# What ``get`` read of each ticket version: the journal its ``save`` builds on (a stored version never changes).
_journals: dict[tuple[str, int], list[Entry]] = {}
_journals_lock = threading.Lock()


def _remember(ticket_id: str, version: int, journal: list[Entry] | None) -> None:
    with _journals_lock:
        if len(_journals) >= 1000:
            _journals.clear()
        _journals[(ticket_id, version)] = list(journal or ())


def _journal_of(ticket_id: str, version: int) -> list[Entry]:
    with _journals_lock:
        journal = _journals.get((ticket_id, version))
    if journal is not None:
        return journal
    stored = find(TicketItem, key("TICKET", ticket_id), META, consistent_read=True)
    if stored is None or int(stored.version) != version:  # the write could only fail: do not bill it
        raise Conflict(f"ticket {ticket_id} was changed by someone else (version {version}): reload it and try "
                       "again", code="version_conflict")
    return list(stored.journal or ())


# ---------------------------------------------------------------- repository
def new_ticket_id(at: datetime) -> str:
    """R + local date + 8 random hex digits: readable over the phone, unguessable, sortable by day."""
    return f"R{local(at, settings().tz):%y%m%d}-{secrets.token_hex(4).upper()}"


def get(ticket_id: str) -> tuple[Ticket, int]:
    """The ticket (with its fee lines and hand-overs) and its version; NotFound when there is none."""
    ticket, version, _ = get_with_trail(ticket_id)
    return ticket, version


def get_with_trail(ticket_id: str) -> tuple[Ticket, int, list[dict[str, Any]]]:
    """``get`` and the audit trail (events as dicts, in order), read together."""
    item, trail = _read(ticket_id)
    if item is None:
        raise NotFound(f"no ticket {ticket_id}")
    _remember(ticket_id, int(item.version), item.journal)
    return item.to_ticket(trail), int(item.version), trail


def audit_trail(ticket_id: str) -> list[dict[str, Any]]:
    return _read(ticket_id)[1]


def save(ticket: Ticket, version: int | None, events: Iterable[Event]) -> int:
    """Write the ticket with its events (see the module docstring); 409 if someone else changed it first."""
    written = (version or 0) + 1
    entries = [journal_entry(event, written) for event in events]
    journal = [] if version is None else _journal_of(ticket.ticket_id, version)
    item = TicketItem.from_ticket(ticket, version, journal + entries)
    if journal and _billed_size(item, written) > WRITE_UNIT:
        TrailItem.make(ticket.ticket_id, journal).save()  # committed events under their own key: repeatable
        item = TicketItem.from_ticket(ticket, version, entries)
    save_versioned(item, f"ticket {ticket.ticket_id} was changed by someone else (version {version}): reload it "
                         "and try again")
    _remember(ticket.ticket_id, written, item.journal)
    return written


def _billed_size(item: TicketItem, version: int) -> int:
    return item_size({**item.serialize(), "version": {"N": str(version)}})


def open_from_source(ticket: Ticket, events: Iterable[Event]) -> int | None:
    """Write a new system ticket and claim its source, atomically: its version, or None (nothing written) when
    the source has a ticket already (``ticket_of_source`` names it)."""
    if not ticket.source:
        raise ValueError("a system ticket needs its source")
    item = TicketItem.from_ticket(ticket, None, [journal_entry(event, 1) for event in events])
    claim = SourceItem(key("SOURCE", ticket.source), "SOURCE", source=ticket.source, ticket_id=ticket.ticket_id)
    try:
        with versioned_transaction(TicketItem, f"source {ticket.source} has a ticket") as transaction:
            transaction.save(item)
            transaction.save(claim, condition=SourceItem.pk.does_not_exist())
    except Conflict:
        return None
    _remember(ticket.ticket_id, 1, item.journal)
    return 1


def ticket_of_source(source: str) -> str | None:
    claim = find(SourceItem, key("SOURCE", source), "SOURCE", consistent_read=True)
    return claim.ticket_id if claim else None


def batch_put(tickets: Iterable[tuple[Ticket, list[Event]]]) -> int:
    """Demo data: tickets (version 1) and their trails in one audit item each, with batch writes (no conditions:
    a fresh table)."""
    count = 0
    with TicketItem.batch_write() as writer:
        for ticket, events in tickets:
            item = TicketItem.from_ticket(ticket, None, [])
            item.version = 1
            writer.save(item)
            if events:
                writer.save(TrailItem.make(ticket.ticket_id, [journal_entry(event, 1) for event in events]))
            count += 1
    return count


# ---------------------------------------------------------------- lists
def tickets_of(keys: Iterable[str]) -> list[Ticket]:
    """The tickets whose items have these ``pk`` values, in that order, by BatchGetItem (eventually consistent;
    a ticket gone in between is left out). Without the trail: no fee lines or hand-overs."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, TicketItem] = {}
    for start in range(0, len(wanted), BATCH_GET):
        for item in TicketItem.batch_get([(pk, META) for pk in wanted[start:start + BATCH_GET]]):
            found[item.pk] = item
    return [found[pk].to_ticket() for pk in wanted if pk in found]


def _tickets(page: Page) -> Page:
    return Page(tickets_of(entry.pk for entry in page.items), page.cursor)


def by_requester(person_id: str, *, limit: int, cursor: str | None) -> Page:
    return _tickets(query_page(TicketItem.by_requester.query, "requester_id", person_id, limit=limit, cursor=cursor,
                               scan_index_forward=False))


def by_worker(staff_id: str, *, limit: int, cursor: str | None) -> Page:
    return _tickets(query_page(TicketItem.by_worker.query, "worker_id", staff_id, limit=limit, cursor=cursor,
                               scan_index_forward=False))


def board(month: str, *, limit: int, cursor: str | None) -> Page:
    return _tickets(query_page(TicketItem.board.query, "month", month, limit=limit, cursor=cursor,
                               scan_index_forward=False))


def _at_work(team: str, since: str | None, before: str | None, page_size: int) -> Iterator[TicketItem]:
    """The Work partition of ``team`` without its completed tickets, by (deadline, pk), from the deadline
    ``since`` on and due before ``before``: index entries, read ``page_size`` a Query as they are used."""
    condition = TicketItem.deadline >= since if since else TicketItem.deadline < before if before else None
    entries = TicketItem.at_work.query(team, range_key_condition=condition, page_size=page_size,
                                       filter_condition=TicketItem.completed_at.does_not_exist())
    for _, due_together in groupby(entries, key=lambda entry: entry.deadline):
        for entry in sorted(due_together, key=lambda entry: entry.pk):  # one order for equal deadlines
            if before and entry.deadline >= before:
                return
            yield entry


def _work_partitions() -> list[str]:
    return [UNROUTED, *(team.team_id for team in staff.repair_teams())]


def team_queue(team_id: str, state: str | None, *, limit: int, cursor: str | None) -> Page:
    """A repair point's queue (or its tickets in one state), earliest deadline first."""
    wanted = {State(state)} if state else QUEUE_STATES
    return _page(lambda since: [_at_work(team_id, since, None, limit)], lambda ticket: ticket.state in wanted,
                 limit, cursor, team_id)


def open_by_deadline(*, limit: int, cursor: str | None, before: str | None = None) -> Page:
    """The duty desk's list, earliest deadline (most overdue) first; ``before`` keeps only those due by then.
    Every repair point's Work partition (and the unrouted one), merged."""
    return _page(lambda since: [_at_work(team, since, before, limit) for team in _work_partitions()],
                 lambda ticket: ticket.state in OPEN_STATES, limit, cursor, "*")


def _page(partitions: Callable[[str | None], list[Iterator[TicketItem]]], keep: Callable[[Ticket], bool],
          limit: int, cursor: str | None, name: str) -> Page:
    """A page of the tickets that Work ``partitions`` (given the deadline to start from) name, merged by
    deadline, that ``keep`` accepts as they are now (read ``limit`` at a time), after ``cursor``: the deadline
    and pk of the last one shown."""
    after = decode_cursor(cursor, "work", name)
    if after is not None and not {"deadline", "pk"} <= set(after):
        raise ValidationError("cursor is not valid for this list: use the cursor of the previous page",
                              field="cursor")
    position = (after["deadline"]["S"], after["pk"]["S"]) if after else None
    merged = merge(*partitions(position[0] if position else None), key=lambda entry: (entry.deadline, entry.pk))
    entries = (entry for entry in merged if position is None or (entry.deadline, entry.pk) > position)
    shown: list[tuple[TicketItem, Ticket]] = []
    while len(shown) < limit and (chunk := list(islice(entries, limit))):
        now = {key("TICKET", ticket.ticket_id): ticket for ticket in tickets_of(entry.pk for entry in chunk)}
        shown += [(entry, now[entry.pk]) for entry in chunk if entry.pk in now and keep(now[entry.pk])]
    shown = shown[:limit]
    last = shown[-1][0] if len(shown) == limit else None
    return Page([ticket for _, ticket in shown], encode_cursor(
        {"work": {"S": name}, "deadline": {"S": last.deadline}, "pk": {"S": last.pk}}) if last else None)


def completed_before(moment: str) -> Iterator[str]:
    """Ids of the completed tickets still waiting for a rating, completed before ``moment`` (auto-confirm)."""
    for team in _work_partitions():
        for entry in TicketItem.at_work.query(team, filter_condition=TicketItem.completed_at < moment):
            yield entry.pk.removeprefix("TICKET#")


def reported_between(owner: str, owner_id: str, start: str, end: str) -> Iterator[Ticket]:
    """Tickets of a repair point (``owner="team"``: the Board months of the range, kept by team) or a worker
    (ByWorker) reported in [start, end)."""
    if owner == "worker":
        entries: Iterable[TicketItem] = TicketItem.by_worker.query(owner_id, TicketItem.created_at.between(start, end))
    elif owner == "team":
        entries = (entry for month in _months(start, end) for entry in TicketItem.board.query(
            month, TicketItem.created_at.between(start, end), filter_condition=TicketItem.team_id == owner_id))
    else:
        raise ValueError(f"owner is team or worker, not {owner!r}")
    # created_at sorts as ISO-8601 text: between(start, end) holds end too, so it is left out here.
    keys = [entry.pk for entry in entries if entry.created_at < end]
    yield from tickets_of(keys)


def _months(start: str, end: str) -> list[str]:
    first, last = board_month(start), board_month(end)
    months, (year, month) = [], (int(first[:4]), int(first[5:]))
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


# ---------------------------------------------------------------- rules
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


# ---------------------------------------------------------------- the layout before this one
def migrate_index_keys() -> int:
    """Give tickets stored before the Board and Work indexes their keys (``month``; ``work`` while at work),
    without a new version (the keys come from fields they have: no change an If-Match must see). A one-off
    Scan of the table (the only one: it runs once per deploy, see docs/repairs.md); running it again changes
    nothing. How many tickets got keys."""
    changed = 0
    connection = TicketItem._get_connection()  # noqa: SLF001 - updates that leave the version as it is
    for item in TicketItem.scan(TicketItem.sk == META):
        keys = index_keys(item.to_ticket())
        actions = [getattr(TicketItem, name).set(value) for name, value in keys.items()
                   if value is not None and getattr(item, name) != value]
        # a ticket written meanwhile has its keys already: the version condition skips it
        if actions and condition_held(lambda i=item, a=actions: connection.update_item(
                i.pk, i.sk, actions=a, condition=TicketItem.version == i.version)):
            changed += 1
    return changed
