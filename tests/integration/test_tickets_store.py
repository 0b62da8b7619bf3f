"""GIVEN the tickets table under moto (made from template.yaml) WHEN tickets are written and listed through
houqin.store.tickets THEN each change is one conditional write carrying its audit line, bills only the lists it
joins or leaves (cost meter), loses no audit line to a crash or a lost race, and lists find what they name;
tickets stored by the layout before are read, listed after ``migrate_index_keys`` and moved on their next write."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
import pytest

from houqin.clock import CAMPUS_TZ, to_iso
from houqin.domain import tickets as rules
from houqin.domain.actors import Actor, Role
from houqin.domain.tickets import FeeLine, SlaRule, State
from houqin.errors import Conflict, ValidationError

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
STUDENT = Actor("S00001", frozenset({Role.STUDENT}))
WORKER = Actor("E0001", frozenset({Role.WORKER}), team_id="SB-WATER")
DESK = Actor("E0097", frozenset({Role.DISPATCHER}))
LINES = [FeeLine("labour", "L01", "更换水龙头", Decimal(1), 2000),
         FeeLine("material", "M17", "水龙头", Decimal(1), 3550)]
SCORES = {"attitude": 5, "speed": 5, "quality": 5, "price": 5}


@pytest.fixture
def store(aws):
    from houqin.store import staff
    from houqin.store import tickets as store

    for team_id in ("SB-WATER", "SB-ELEC"):
        staff.RepairTeam.make(team_id, team_id, "水", "SB", "0451-1").save()
    store._journals.clear()  # what get() remembered in another test's table
    return store


def report(store, at=T0, team="SB-WATER", severity="minor", ticket_id=None):
    ticket, events = rules.open_ticket(
        ticket_id=ticket_id or store.new_ticket_id(at), actor=STUDENT, at=at, tz=CAMPUS_TZ, rule=SlaRule("water"),
        team_id=team, channel="web", requester_id="S00001", category="water", severity=severity,
        description="卫生间水龙头漏水", campus_id="SB", building_id="SB01", room_no="101", contact_phone="13800000000")
    store.save(ticket, None, events)
    return ticket.ticket_id


def change(store, ticket_id, action, actor=WORKER, at=T0, **args):
    ticket, version = store.get(ticket_id)
    if action == "rate":
        updated, event = rules.rate(ticket, actor, at, SCORES, None)
    else:
        updated, event = rules.apply(ticket, action, actor, at, **args)
    return store.save(updated, version, [event])


def items(ticket_id):
    from houqin.store.tickets import TicketItem

    client = TicketItem._get_connection().connection.client
    found = client.query(TableName=TicketItem.Meta.table_name, KeyConditionExpression="pk = :pk",
                         ExpressionAttributeValues={":pk": {"S": f"TICKET#{ticket_id}"}}, ConsistentRead=True)
    return {item["sk"]["S"]: item for item in found["Items"]}


def journal_versions(item):
    return [entry[0] for entry in json.loads(item.get("journal", {"S": "[]"})["S"])]


# ---------------------------------------------------------------- what a change bills
def test_each_step_is_one_write_of_the_ticket_plus_the_lists_it_joins_or_leaves(store):
    from houqin.store.base import WRITE_UNIT
    from localcloud.costmeter import CostMeter, item_size
    from tests.integration.conftest import _reset_connections

    billed = {}
    with CostMeter.installed() as meter:
        _reset_connections(store.TicketsTable)  # the table's models make their (metered) clients in the block

        def step(name, write):
            before = meter.snapshot()["wcu"]
            result = write()
            billed[name] = meter.snapshot()["wcu"] - before
            return result

        tid = step("create", lambda: report(store))
        for action in ("accept", "start", "complete"):
            step(action, lambda a=action: change(store, tid, a, **({"lines": LINES} if a == "complete" else {})))
            assert item_size(items(tid)["META"]) <= WRITE_UNIT, action
        step("rate", lambda: change(store, tid, "rate", actor=STUDENT))
        assert "TransactWriteItems" not in meter.by_operation()
    assert billed == {
        "create": 1 + 3,  # the ticket, with its two events; joins ByRequester, Board and Work
        "accept": 1 + 1,  # joins ByWorker; Work and Board copy nothing that changed
        "start": 1,  # no list changes; the event rides in the ticket's journal
        "complete": 1 + 1 + 1,  # the journal so far to an audit item (the lines would pass 1 KB); Work's copy
        "rate": 1 + 1 + 1,  # the complete event to an audit item; leaves Work
    }
    assert [e["action"] for e in store.audit_trail(tid)] == ["submit", "dispatch", "accept", "start", "complete",
                                                             "rate"]


def test_the_journal_becomes_one_audit_item_when_the_ticket_would_pass_1_kb(store):
    tid = report(store)
    for action in ("accept", "start"):
        change(store, tid, action)
    assert list(items(tid)) == ["META"] and journal_versions(items(tid)["META"]) == [1, 1, 2, 3]
    change(store, tid, "complete", lines=LINES)
    stored = items(tid)
    assert list(stored) == ["EVENT#00000001", "META"]
    assert [entry[0] for entry in json.loads(stored["EVENT#00000001"]["events"]["S"])] == [1, 1, 2, 3]
    assert journal_versions(stored["META"]) == [4] and "lines" not in stored["META"]
    ticket, version = store.get(tid)
    assert version == 4 and ticket.fee_fen == 5550 and [line["code"] for line in ticket.lines] == ["L01", "M17"]
    assert [(h["from"], h["to"], h["by"]) for h in ticket.handovers] == [("system", "team:SB-WATER", "system"),
                                                                        ("team:SB-WATER", "E0001", "E0001")]


# ---------------------------------------------------------------- nothing half-written
def test_a_crash_after_the_audit_item_loses_nothing_and_the_retry_puts_the_same_item(store, monkeypatch):
    tid = report(store)
    for action in ("accept", "start"):
        change(store, tid, action)
    ticket, version = store.get(tid)
    done, event = rules.apply(ticket, "complete", WORKER, T0, lines=LINES)

    def crash(*_args, **_kwargs):
        raise RuntimeError("the function timed out")

    with monkeypatch.context() as patched:
        patched.setattr(store, "save_versioned", crash)
        with pytest.raises(RuntimeError):
            store.save(done, version, [event])
    after_crash = items(tid)
    assert list(after_crash) == ["EVENT#00000001", "META"] and journal_versions(after_crash["META"]) == [1, 1, 2, 3]
    assert [e["action"] for e in store.audit_trail(tid)] == ["submit", "dispatch", "accept", "start"]
    assert store.get(tid)[1] == 3  # the change did not happen

    store.save(done, version, [event])  # the retry
    assert items(tid)["EVENT#00000001"] == after_crash["EVENT#00000001"]
    assert [e["action"] for e in store.audit_trail(tid)] == ["submit", "dispatch", "accept", "start", "complete"]


def test_of_two_writers_of_one_version_the_loser_writes_nothing_of_its_own(store):
    tid = report(store)
    for action in ("accept", "start"):
        change(store, tid, action)
    ticket, version = store.get(tid)
    held, hold = rules.apply(ticket, "hold", WORKER, T0, reason="等配件")
    done, complete = rules.apply(ticket, "complete", WORKER, T0, lines=LINES)
    store.save(held, version, [hold])  # fits in the journal
    with pytest.raises(Conflict):
        store.save(done, version, [complete])  # would pass 1 KB: wrote the journal it read, then lost
    assert store.get(tid)[0].state == State.ON_HOLD
    assert [e["action"] for e in store.audit_trail(tid)] == ["submit", "dispatch", "accept", "start", "hold"]


def test_a_save_of_a_version_it_has_not_read_is_a_conflict_when_that_version_is_gone(store):
    tid = report(store)
    ticket, version = store.get(tid)
    change(store, tid, "accept")
    store._journals.clear()  # as in another process
    started, event = rules.apply(ticket, "dispatch", DESK, T0, team_id="SB-ELEC", reason="电路")
    with pytest.raises(Conflict):
        store.save(started, version, [event])


# ---------------------------------------------------------------- lists
def test_the_desk_merges_the_repair_points_by_deadline_and_a_queue_keeps_its_states(store):
    water = [report(store, at=T0 + timedelta(minutes=m)) for m in (0, 2, 4)]
    electric = report(store, at=T0 + timedelta(minutes=1), team="SB-ELEC")
    unrouted = report(store, at=T0 + timedelta(minutes=3), team=None)
    change(store, water[1], "accept")
    done = report(store, at=T0 - timedelta(minutes=30))  # earliest deadline of all, but completed
    for action in ("accept", "start", "complete"):
        change(store, done, action)

    first = store.open_by_deadline(limit=2, cursor=None)
    second = store.open_by_deadline(limit=2, cursor=first.cursor)
    third = store.open_by_deadline(limit=2, cursor=second.cursor)
    shown = [t.ticket_id for page in (first, second, third) for t in page.items]
    assert shown == [water[0], electric, water[1], unrouted, water[2]] and third.cursor is None
    due = store.open_by_deadline(limit=10, cursor=None, before=to_iso(T0 + timedelta(minutes=63)))
    assert [t.ticket_id for t in due.items] == [water[0], electric, water[1]]

    queue = store.team_queue("SB-WATER", None, limit=1, cursor=None)
    rest = store.team_queue("SB-WATER", None, limit=5, cursor=queue.cursor)
    assert [t.ticket_id for t in queue.items + rest.items] == water and rest.cursor is None
    assert [t.ticket_id for t in store.team_queue("SB-WATER", "dispatched", limit=5, cursor=None).items] == [
        water[0], water[2]]
    with pytest.raises(ValidationError):
        store.team_queue("SB-ELEC", None, limit=5, cursor=queue.cursor)  # another list's cursor
    assert list(store.completed_before(to_iso(T0 + timedelta(minutes=1)))) == [done]
    assert list(store.completed_before(to_iso(T0 - timedelta(minutes=1)))) == []


def test_kpi_reads_find_a_repair_point_by_board_month_and_a_worker_by_index(store):
    november = report(store)
    december = report(store, at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    report(store, team="SB-ELEC")
    change(store, november, "accept")
    period = (to_iso(datetime(2026, 10, 31, 16, 0, tzinfo=UTC)), to_iso(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)))
    assert {t.ticket_id for t in store.reported_between("team", "SB-WATER", *period)} == {november, december}
    assert [t.ticket_id for t in store.reported_between("worker", "E0001", *period)] == [november]
    assert [t.ticket_id for t in store.reported_between("team", "SB-WATER", period[0], december_start())] == [
        november]


def december_start() -> str:
    return to_iso(datetime(2026, 11, 30, 16, 0, tzinfo=UTC))  # midnight of 1 December in Shanghai


# ---------------------------------------------------------------- the layout before this one
def legacy_ticket(ticket_id: str) -> tuple[dict, list[dict]]:
    """A completed ticket as the layout before stored it: gsi<n> keys, lines and hand-overs in the item, one
    audit item per event."""
    ticket, events = rules.open_ticket(
        ticket_id=ticket_id, actor=STUDENT, at=T0, tz=CAMPUS_TZ, rule=SlaRule("water"), team_id="SB-WATER",
        channel="web", requester_id="S00001", category="water", severity="minor", description="漏水",
        campus_id="SB", building_id="SB01", room_no="101")
    for action in ("accept", "start", "complete"):
        ticket, event = rules.apply(ticket, action, WORKER, T0, **({"lines": LINES} if action == "complete" else {}))
        events.append(event)
    s = lambda value: {"S": value}  # noqa: E731
    item = {"pk": s(f"TICKET#{ticket_id}"), "sk": s("META"), "version": {"N": "4"}, "state": s("completed"),
            "lines": s(json.dumps(list(ticket.lines))), "handovers": s(json.dumps(list(ticket.handovers))),
            "held_seconds": {"N": "0"}, "rework_count": {"N": "0"}, "fee_fen": {"N": str(ticket.fee_fen)},
            "photos": s("[]"), "sla_met": {"BOOL": True}, "gsi1pk": s("REQ#S00001"), "gsi4pk": s("AWAITING_RATING"),
            **{name: s(getattr(ticket, name)) for name in (
                "ticket_id", "channel", "requester_id", "category", "severity", "description", "campus_id",
                "created_at", "deadline", "received_by", "owner", "building_id", "room_no", "team_id", "worker_id",
                "completed_at")}}
    lines = [{"pk": s(f"TICKET#{ticket_id}"), "sk": s(f"EVENT#{v:08d}#{n:02d}"),
              **{k: (s(json.dumps(val)) if k == "changes" else s(val)) for k, val in e.as_dict().items() if val}}
             for (v, n), e in zip(((1, 0), (1, 1), (2, 0), (3, 0), (4, 0)), events, strict=True)]
    return item, lines


def test_tickets_of_the_layout_before_are_read_listed_after_migration_and_moved_on_their_next_write(store):
    from houqin.store.tickets import TicketItem

    client = boto3.client("dynamodb", region_name=TicketItem.Meta.region)
    item, lines = legacy_ticket("R261123-0LD00001")
    for stored in (item, *lines):
        client.put_item(TableName=TicketItem.Meta.table_name, Item=stored)

    ticket, version = store.get("R261123-0LD00001")
    assert (ticket.state, version, ticket.fee_fen) == (State.COMPLETED, 4, 5550)
    assert [line["code"] for line in ticket.lines] == ["L01", "M17"] and len(ticket.handovers) == 2
    assert store.board("2026-11", limit=10, cursor=None).items == []  # no Board key yet
    assert store.by_requester("S00001", limit=10, cursor=None).items == [ticket.with_changes(lines=(), handovers=())]

    assert store.migrate_index_keys() == 1
    assert store.migrate_index_keys() == 0  # once is enough
    assert [t.ticket_id for t in store.board("2026-11", limit=10, cursor=None).items] == ["R261123-0LD00001"]
    assert list(store.completed_before(to_iso(T0 + timedelta(minutes=1)))) == ["R261123-0LD00001"]
    assert store.get("R261123-0LD00001")[1] == 4  # the keys came without a new version

    change(store, "R261123-0LD00001", "rate", actor=STUDENT)
    stored = items("R261123-0LD00001")
    assert "lines" not in stored["META"] and "gsi1pk" not in stored["META"] and "work" not in stored["META"]
    assert journal_versions(stored["META"]) == [5]
    trail = store.audit_trail("R261123-0LD00001")
    assert [e["action"] for e in trail] == ["submit", "dispatch", "accept", "start", "complete", "rate"]
    assert store.get("R261123-0LD00001")[0].lines == ticket.lines
