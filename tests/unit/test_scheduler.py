"""The local EventBridge fires each schedule by its expression and time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from localcloud.scheduler import ScheduledEvent, Scheduler
from localcloud.template import Event, Function


def function(*events: Event) -> Function:
    return Function("AlarmsFunction", "houqin-AlarmsFunction", "arn:fn", None, "app.handler", "python3.12", 10,
                    128, {}, events, 2, None, None)


CURFEW = Event("Curfew", "ScheduleV2", {"ScheduleExpression": "cron(0 23 * * ? *)",
                                        "ScheduleExpressionTimezone": "Asia/Shanghai"})
HOURLY = Event("Hourly", "Schedule", {"Schedule": "rate(1 hour)", "Input": '{"check": "overdue"}'})
OFF = Event("Off", "ScheduleV2", {"ScheduleExpression": "rate(1 minute)", "State": "DISABLED"})


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_each_schedule_fires_when_due_in_its_time_zone():
    clock = Clock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))  # 18:00 in Shanghai
    fired: list[tuple[str, dict]] = []
    fn = function(CURFEW, HOURLY, OFF)
    events = [ScheduledEvent.of(fn, e) for e in fn.events]
    scheduler = Scheduler(events, lambda name, event: fired.append((name, event)) or "id", "us-east-1", clock)
    scheduler.start()
    assert scheduler.next_fire[("AlarmsFunction", "Curfew")] == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert ("AlarmsFunction", "Off") not in scheduler.next_fire
    assert scheduler.tick() == []

    clock.now += timedelta(hours=1)
    scheduler.tick()
    assert fired == [("AlarmsFunction", {"check": "overdue"})]  # the template's Input, verbatim

    clock.now = datetime(2026, 11, 23, 15, 0, 30, tzinfo=UTC)  # 23:00:30 in Shanghai
    scheduler.tick()
    assert [e for _, e in fired].count({"check": "overdue"}) == 2  # missed hours fire once, not in a burst
    event = next(e for _, e in fired if "detail-type" in e)
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.scheduler"
    assert event["time"] == "2026-11-23T15:00:00Z"  # the scheduled time, as EventBridge sends
    assert scheduler.next_fire[("AlarmsFunction", "Curfew")] == datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def test_fire_now_fires_every_schedule_of_one_function():
    fired: list[str] = []
    fn = function(CURFEW, HOURLY)
    scheduler = Scheduler([ScheduledEvent.of(fn, e) for e in fn.events],
                          lambda name, event: fired.append(name) or "id", "us-east-1")
    assert scheduler.fire_now("houqin-AlarmsFunction") == ["id", "id"]
    assert scheduler.fire_now("Nobody") == []
