"""What an alarm's writes bill and what its history keeps, on moto with the cost meter (DynamoDB's on-demand rules:
1 WCU per started KB of an item, as much again for each index entry written, a transaction twice, a refused
conditional write still billed).

A resident's alarm is in three lists (its building's, the duty desk's, its department's): a raise bills its item
and those three entries, and nothing else; its opening line is folded into the item and comes back in its
history. An escalation step records the notification sent with the step's line, then saves the alarm.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from pynamodb.models import Model

from houqin.auth import Principal
from houqin.clock import FixedClock, to_iso
from houqin.domain import alarms as rules
from houqin.domain.actors import Role
from houqin.domain.alarms import Scope, Severity
from houqin.domain.audit import Event
from houqin.services.alarms import Alarms
from houqin.store import alarms as store
from localcloud.costmeter import CostMeter, item_size
from tests.fakes.alarms import FakePeople
from tests.fakes.ports import FakeNotifier

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai: the curfew roll
PERSON = {"name": "张伟明", "department": "机械工程学院", "grade": "2024", "room_no": "0312"}
DESK = Principal("sub-D1", "D1", frozenset({Role.DISPATCHER}))  # sees every alarm, on duty


@pytest.fixture
def meter(aws):
    with CostMeter.installed() as meter:
        pending = [Model]
        while pending:  # PynamoDB caches a client per model class: the next call makes one, metered
            model = pending.pop()
            model._connection = None  # noqa: SLF001
            pending.extend(model.__subclasses__())
        yield meter
    assert meter.errors == 0


@pytest.fixture
def service():
    people = FakePeople(managers={"SB01": ["M1"]}, counsellors={PERSON["department"]: ["T1"]},
                        parents={"S000123": "13800000000"}, parent_buildings={"SB01"})
    return Alarms(clock=FixedClock(T0), notifier=FakeNotifier(), people=people)


def out_at_curfew(service: Alarms, subject: str = "S000123"):
    """What the night roll raises for a resident out at the curfew roll."""
    return service.raise_alarm(
        check="curfew_roll", subject=subject, period="2026-11-23", severity=Severity.WARNING,
        scope=Scope.resident("SB01", "SB", PERSON["department"], PERSON["grade"]),
        details={"roll_at": to_iso(T0), "nights": 1, "provisional": False,
                 "last_exit": to_iso(T0 - timedelta(hours=3)), **PERSON})


def billed(meter: CostMeter, step) -> tuple[int, dict[str, int]]:
    """WCU of ``step`` in all and by operation."""
    meter.reset()
    step()
    return meter.wcu, {name: int(totals["wcu"]) for name, totals in meter.by_operation().items() if totals["wcu"]}


def stored_size(alarm_id: str) -> int:
    raw = boto3.client("dynamodb").get_item(TableName=store.AlarmItem.Meta.table_name,
                                            Key={"pk": {"S": f"ALARM#{alarm_id}"}, "sk": {"S": "ALARM"}})
    return item_size(raw["Item"])


def actions(alarm_id: str) -> list[str]:
    return [line["action"] for line in store.history(alarm_id)[0]]


def test_a_raise_bills_the_alarm_and_one_entry_per_list_it_is_in_and_nothing_twice(meter, service):
    wcu, by_operation = billed(meter, lambda: out_at_curfew(service))
    assert (wcu, by_operation) == (4, {"PutItem": 4})  # the item, its building's, the desk's, its department's list
    alarm_id = "curfew_roll~S000123~2026-11-23"
    assert [i.alarm_id for i in store.at_place("BLDG#SB01", "open", limit=10, cursor=None).items] == [alarm_id]
    assert [i.alarm_id for i in store.in_state("open", "curfew_roll", limit=10, cursor=None).items] == [alarm_id]
    assert [i.alarm_id for i in store.of_department(PERSON["department"], "open", limit=10,
                                                    cursor=None).items] == [alarm_id]
    assert actions(alarm_id) == ["raise"]

    # A re-run: the conditional put is refused (billed), the alarm read, nothing written.
    meter.reset()
    assert out_at_curfew(service)[1] is False
    assert (meter.wcu, meter.rcu) == (1, 1.0)
    assert actions(alarm_id) == ["raise"]

    reader = {"check": "silent_reader", "subject": "SB01-A", "period": "2026-11-23", "severity": Severity.WARNING,
              "scope": Scope.building("SB01", "SB"), "details": {"entrance": "A", "last_message_at": None}}
    assert billed(meter, lambda: service.raise_alarm(**reader)) == (3, {"PutItem": 3})  # two lists


def test_an_escalation_step_records_its_notification_with_its_line_then_saves_the_alarm(meter, service):
    alarm, _ = out_at_curfew(service)
    wcu, by_operation = billed(meter, service.escalate_open)
    # the record and its entry in the day's list; the alarm at level 1 and its three list entries (they show it)
    assert (wcu, by_operation) == (6, {"BatchWriteItem": 2, "PutItem": 4})
    lines, sent = store.history(alarm.alarm_id)
    assert [(line["action"], line["reason"]) for line in lines] == [("raise", None),
                                                                    ("escalate", "notify dorm_manager")]
    assert lines[1]["changes"]["escalation_level"] == [0, 1]
    assert [(n["recipient"], n["to"], n["message_id"]) for n in sent] == [("dorm_manager", ["M1"], "msg-1")]
    assert store.get(alarm.alarm_id).escalation_level == 1


def test_a_notification_sent_while_the_alarm_was_acknowledged_is_recorded_and_the_climb_stops(aws, service):
    alarm, _ = out_at_curfew(service)
    seen = list(store.all_in_state("open"))  # what the escalation run read
    service.clock.current = T0 + timedelta(minutes=1)
    service.acknowledge(DESK, alarm.alarm_id)  # meanwhile, on the API
    service.clock.current = T0 + timedelta(minutes=2)
    assert service.escalate(seen) == 1  # published before the alarm's save was refused
    lines, sent = store.history(alarm.alarm_id)
    assert [line["action"] for line in lines] == ["raise", "acknowledge", "escalate"]
    assert [n["recipient"] for n in sent] == ["dorm_manager"]
    stored = store.get(alarm.alarm_id, consistent=True)
    assert (stored.state, stored.escalation_level, stored.version) == ("acknowledged", 0, 2)
    service.clock.advance(hours=2)
    assert service.escalate_open() == 0


def test_an_alarms_life_keeps_every_line_and_its_item_under_one_kilobyte(meter, service):
    alarm, _ = out_at_curfew(service)
    for minutes in (0, 31, 61):  # dorm manager, counsellor, parent
        service.clock.current = T0 + timedelta(minutes=minutes)
        assert service.escalate_open() == 1
    service.clock.current = T0 + timedelta(minutes=65)
    ack = billed(meter, lambda: service.acknowledge(DESK, alarm.alarm_id))
    service.clock.current = T0 + timedelta(minutes=70)
    done = billed(meter, lambda: service.resolve(DESK, alarm.alarm_id, "电话联系，在同学家，明早回"))
    # A change of state and its line in one transaction (twice): the item, its line, three entries moved.
    assert ack == done == (16, {"TransactWriteItems": 16})
    assert stored_size(alarm.alarm_id) < 1024
    lines, sent = store.history(alarm.alarm_id)
    assert [line["action"] for line in lines] == ["raise", "escalate", "escalate", "escalate", "acknowledge",
                                                  "resolve"]
    assert [line["at"] for line in lines] == sorted(line["at"] for line in lines)
    assert [n["recipient"] for n in sent] == ["dorm_manager", "counsellor", "parent"]


def test_a_reopened_alarm_keeps_its_first_opening_in_its_history(aws, service):
    alarm, _ = out_at_curfew(service)
    service.clock.current = T0 + timedelta(minutes=40)
    assert service.auto_resolve(alarm.alarm_id, "back at 23:40 (late return, reader SB01-A)")
    service.clock.current = T0 + timedelta(minutes=70)
    assert out_at_curfew(service)[1] is True
    lines, _ = store.history(alarm.alarm_id)
    assert [(line["action"], line["at"]) for line in lines] == [
        ("raise", to_iso(T0)), ("auto_resolve", to_iso(T0 + timedelta(minutes=40))),
        ("reopen", to_iso(T0 + timedelta(minutes=70)))]


def test_an_alarm_stored_before_lines_were_folded_shows_each_line_once(aws, service):
    """Alarms written by the previous release: the opening line and each escalation's line are EVENT items, and
    the notification records carry no line."""
    alarm, _ = out_at_curfew(service)
    raised = Event(to_iso(T0), "system", "raise", None, "open")
    escalated = Event(to_iso(T0), "system", "escalate", "open", "open", {"escalation_level": [0, 1]},
                      "notify dorm_manager")
    store.AlarmEvent.from_event(alarm.alarm_id, raised, 1, 0).save()
    store.AlarmEvent.from_event(alarm.alarm_id, escalated, 2, 0).save()
    store.NotificationItem.make(rules.notification(alarm, rules.Step(rules.Recipient.DORM_MANAGER, 0)), ["M1"], T0,
                                T0.date(), "msg-0").save()
    lines, sent = store.history(alarm.alarm_id)
    assert [line["action"] for line in lines] == ["raise", "escalate"]
    assert [n["message_id"] for n in sent] == ["msg-0"]
