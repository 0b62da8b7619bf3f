"""The alarms use cases with in-memory repositories and ports (tests/fakes): an alarm raised, climbing its scope's
ladder and notified through the Notifier fake; the overdue-repairs check on a pinned clock, with its warning to
the worker 15 minutes before the deadline. No moto, no network, no sleeping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from houqin.auth import Principal
from houqin.checks import escalation, overdue_repairs
from houqin.clock import FixedClock
from houqin.contract import parse
from houqin.domain.actors import Role
from houqin.domain.alarms import Scope, Severity, alarm_key
from houqin.services.alarms import Alarms
from houqin.services.tickets import Intake, Tickets, Transition
from tests.fakes.alarms import FakeAlarmStore, FakePeople
from tests.fakes.ports import FakeNotifier
from tests.fakes.tickets import FakePlaces, FakeStaff, FakeTicketStore, Team

T0 = datetime(2026, 11, 23, 15, 5, tzinfo=UTC)  # 23:05 in Shanghai


@pytest.fixture
def world():
    store, notifier, clock = FakeAlarmStore(), FakeNotifier(), FixedClock(T0)
    people = FakePeople(managers={"SB01": ["M1"]}, counsellors={"计算机学院": ["T1"]},
                        parents={"S1": "13800000000"})
    service = Alarms(alarms=store, people=people, staff=FakeStaff(), clock=clock, notifier=notifier)
    return service, store, notifier, people


def sent(notifier: FakeNotifier) -> list[tuple[str, list[str]]]:
    return [(m["message"]["recipient"], m["message"]["to"]) for m in notifier.sent]


def test_a_residents_alarm_climbs_its_ladder_once_per_step_through_the_notifier(world):
    service, store, notifier, people = world
    scope = Scope.resident("SB01", "SB", "计算机学院", "2024")
    alarm, written = service.raise_alarm(check="curfew_roll", subject="S1", period="2026-11-23",
                                         severity=Severity.WARNING, scope=scope, details={"name": "王伟"})
    assert written and alarm.building_id == "SB01" and alarm.details["department"] == "计算机学院"
    assert service.raise_alarm(check="curfew_roll", subject="S1", period="2026-11-23", severity=Severity.WARNING,
                               scope=scope)[1] is False  # a re-run duplicates nothing

    assert service.escalate_open() == 1
    assert sent(notifier) == [("dorm_manager", ["M1"])]
    first = notifier.sent[0]
    assert (first["topic"], first["subject"]) == ("notifications", "Houqin alarm")
    assert first["attributes"] == {"recipient": "dorm_manager", "building_id": "SB01"}
    assert "未按时归寝" in first["message"]["text_zh"]
    service.clock.advance(minutes=29)
    assert service.escalate_open() == 0
    service.clock.advance(minutes=1)
    assert service.escalate_open() == 1 and sent(notifier)[-1] == ("counsellor", ["T1"])
    service.clock.advance(minutes=30)
    assert service.escalate_open() == 0  # the building does not let alarms reach parents
    people.parent_buildings.add("SB01")
    assert service.escalate_open() == 1 and sent(notifier)[-1] == ("parent", ["138****0000"])
    _, records = store.history(alarm.alarm_id)
    assert [(r["recipient"], r["message_id"]) for r in records] == [("dorm_manager", "msg-1"), ("counsellor", "msg-2"),
                                                                     ("parent", "msg-3")]


def test_acknowledging_stops_the_climb(world):
    service, _, notifier, _ = world
    alarm, _ = service.raise_alarm(check="curfew_roll", subject="S1", period="2026-11-23", severity=Severity.WARNING,
                                   scope=Scope.resident("SB01", "SB", "计算机学院"))
    assert escalation.run(service) == {"notifications": 1}
    manager = Principal(subject="M1", person_id="M1", roles=frozenset({Role.DISPATCHER}))
    assert service.acknowledge(manager, alarm.alarm_id)["state"] == "acknowledged"
    service.clock.advance(hours=2)
    assert escalation.run(service) == {"notifications": 0} and len(notifier.sent) == 1


@pytest.mark.parametrize(("scope", "ladder"), [
    (Scope.building("SB01", "SB"), [(0, ("dorm_manager", ["M1"])), (30, ("duty_desk", ["duty_desk"]))]),
    (Scope.department_of("计算机学院"), [(0, ("counsellor", ["T1"])), (30, ("duty_desk", ["duty_desk"]))]),
    (Scope.repair("SB-WATER"), [(0, ("repair_point", ["team:SB-WATER"])), (60, ("duty_desk", ["duty_desk"]))]),
    (Scope.repair(None), [(0, ("duty_desk", ["duty_desk"]))]),
    (Scope.worker("SB-WATER", "E0001"), [(0, ("worker", ["E0001"]))]),
    (Scope.worker("SB-WATER", None), [(0, ("worker", ["team:SB-WATER"]))]),
])
def test_each_scope_brings_its_ladder_and_its_recipients(world, scope, ladder):
    service, _, notifier, _ = world
    service.raise_alarm(check="some_check", subject="X1", period="p", severity=Severity.INFO, scope=scope)
    elapsed = 0
    for minutes, step in ladder:
        service.clock.advance(minutes=minutes - elapsed)
        elapsed = minutes
        assert service.escalate_open() == 1 and sent(notifier)[-1] == step
    service.clock.advance(hours=24)
    assert service.escalate_open() == 0 and len(notifier.sent) == len(ladder)


# ---------------------------------------------------------------- overdue repairs and the warning before
LEAK = {"campus_id": "SB", "building_id": "SB01", "room_no": "101", "category": "water", "severity": "minor",
        "description": "卫生间水龙头漏水"}


@pytest.fixture
def repairs(world):
    """A minor water job reported at 10:00 (deadline 11:00), routed to SB-WATER; both services on one clock."""
    service, store, notifier, _ = world
    service.clock.current = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    tickets_store = FakeTicketStore()
    tickets_store.put_routing_rule("water.SB", "SB-WATER", "E1603", "2026-11-01T00:00:00.000Z")
    staff = FakeStaff(teams={t: Team(t, t, "水", "SB") for t in ("SB-WATER", "SB-WATER-2")},
                      members={"E0001": "SB-WATER", "E0002": "SB-WATER-2"})
    tickets = Tickets(tickets=tickets_store, staff=staff, clock=service.clock,
                      places=FakePlaces(campuses={"SB"}, buildings={"SB01": "SB"}, rooms={("SB01", "101")}))
    student = Principal(subject="S1", person_id="S1", roles=frozenset({Role.STUDENT}))
    ticket, _ = tickets.create(student, parse(Intake, LEAK))
    return service, store, notifier, tickets, tickets_store, ticket.ticket_id


def check(service, tickets_store, minutes_after_ten: int) -> dict:
    service.clock.current = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    service.clock.advance(minutes=minutes_after_ten)
    return overdue_repairs.run(service, tickets=tickets_store)


def act(tickets, person_id, ticket_id, action, role=Role.WORKER, **fields):
    who = Principal(subject=person_id, person_id=person_id, roles=frozenset({role}))
    return tickets.transition(who, ticket_id, parse(Transition, {"action": action, **fields}), None)


def test_the_worker_is_warned_once_15_minutes_before_the_deadline_and_the_overdue_alarm_takes_over(repairs):
    service, store, notifier, tickets, tickets_store, tid = repairs
    act(tickets, "E0001", tid, "accept")
    assert check(service, tickets_store, 44)["warned"] == 0  # 16 minutes before: not yet
    summary = check(service, tickets_store, 45)
    assert (summary["due_soon"], summary["warned"], summary["warnings_sent"]) == (1, 1, 1)
    assert sent(notifier) == [("worker", ["E0001"])]  # at once, not at the next escalation run
    assert "维修即将超时" in notifier.sent[0]["message"]["text_zh"]
    assert check(service, tickets_store, 50)["warned"] == 0 and len(notifier.sent) == 1  # once per deadline
    assert escalation.run(service) == {"notifications": 0}

    late = check(service, tickets_store, 61)
    assert (late["raised"], late["warnings_resolved"]) == (1, 1)
    warning = store.get(alarm_key("repair_due_soon", tid, "2026-11-23T11:00"))
    assert (warning.state, warning.resolution) == ("resolved", "auto") and "overdue" in warning.note
    assert store.get(alarm_key("overdue_repair", tid, "2026-11-23T11:00")).state == "open"


def test_a_completed_job_resolves_its_warning_and_a_redispatched_one_warns_the_new_worker(repairs):
    service, store, notifier, tickets, tickets_store, tid = repairs
    assert check(service, tickets_store, 46)["warned"] == 1
    assert sent(notifier) == [("worker", ["team:SB-WATER"])]  # nobody accepted yet: the repair point
    act(tickets, "E0097", tid, "dispatch", role=Role.DISPATCHER, team_id="SB-WATER-2", worker_id="E0002",
        reason="转二组")
    summary = check(service, tickets_store, 48)
    assert (summary["warnings_resolved"], summary["warned"]) == (1, 1)
    assert sent(notifier)[-1] == ("worker", ["E0002"])
    key = alarm_key("repair_due_soon", tid, "2026-11-23T11:00")
    assert store.get(key).details["worker_id"] == "E0002" and store.get(key).reopen_count == 1

    for action in ("accept", "start", "complete"):
        act(tickets, "E0002", tid, action)
    done = check(service, tickets_store, 52)
    assert (done["due_soon"], done["warnings_resolved"], done["warned"]) == (0, 1, 0)
    assert store.get(key).state == "resolved" and "completed" in store.get(key).note
    assert check(service, tickets_store, 65)["overdue"] == 0 and len(notifier.sent) == 2
