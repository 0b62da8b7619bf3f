"""EventBridge for the template's ``Schedule`` (rules, UTC) and ``ScheduleV2`` (Scheduler,
with ``ScheduleExpressionTimezone``) events: each fires by its expression, as an asynchronous
invocation, and ``fire_now`` fires one on demand (``houqin fire``).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localcloud import schedule
from localcloud.clock import real_now
from localcloud.template import ACCOUNT, Event, Function

log = logging.getLogger("localcloud.scheduler")


@dataclass(frozen=True)
class ScheduledEvent:
    function: Function
    event: Event
    expression: schedule.Schedule
    timezone: str

    @classmethod
    def of(cls, function: Function, event: Event) -> ScheduledEvent:
        props = event.properties
        expression = props.get("Schedule") if event.type == "Schedule" else props.get("ScheduleExpression")
        timezone = props.get("ScheduleExpressionTimezone", "UTC") if event.type == "ScheduleV2" else "UTC"
        return cls(function, event, schedule.parse(expression), timezone)

    @property
    def enabled(self) -> bool:
        props = self.event.properties
        return props.get("Enabled", True) is not False and props.get("State", "ENABLED") != "DISABLED"

    def payload(self, now: datetime, region: str) -> Any:
        """The event Lambda receives: the Input if the template gives one, else a Scheduled Event."""
        if "Input" in self.event.properties:
            return json.loads(self.event.properties["Input"])
        v2 = self.event.type == "ScheduleV2"
        resource = (f"arn:aws:scheduler:{region}:{ACCOUNT}:schedule/default/{self.function.logical_id}{self.event.name}"
                    if v2 else f"arn:aws:events:{region}:{ACCOUNT}:rule/{self.function.logical_id}{self.event.name}")
        return {
            "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
            "source": "aws.scheduler" if v2 else "aws.events", "account": ACCOUNT,
            "time": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "region": region,
            "resources": [resource], "detail": {},
        }


def scheduled_events(functions: list[Function]) -> list[ScheduledEvent]:
    return [ScheduledEvent.of(f, e) for f in functions for e in f.events_of("Schedule", "ScheduleV2")]


class Scheduler:
    def __init__(self, events: list[ScheduledEvent], submit: Callable[[str, Any], str], region: str,
                 now: Callable[[], datetime] = real_now) -> None:
        self.events = [e for e in events if e.enabled]
        self._submit = submit
        self._region = region
        self._now = now
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self.next_fire: dict[tuple[str, str], datetime | None] = {}

    def start(self) -> None:
        start = self._now()
        for item in self.events:
            self.next_fire[self._key(item)] = item.expression.next_after(start, item.timezone)
        if self.events:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def wake(self) -> None:
        """Look at the schedules again now (the clock moved forward)."""
        self._wake.set()

    def tick(self) -> list[str]:
        """Fire everything due now; returns the request ids. The loop calls it; tests may too."""
        now = self._now()
        fired = []
        for item in self.events:
            key = self._key(item)
            due = self.next_fire.get(key)
            if due is not None and due <= now:
                fired.append(self._fire(item, due))
                self.next_fire[key] = item.expression.next_after(max(due, now), item.timezone)
        return fired

    def fire_now(self, function_name: str, event_name: str | None = None) -> list[str]:
        """Fire every schedule of one function now (by logical id or physical name), or the one named."""
        matching = [e for e in self.events if function_name in (e.function.logical_id, e.function.name)
                    and event_name in (None, e.event.name)]
        return [self._fire(item, self._now()) for item in matching]

    def _fire(self, item: ScheduledEvent, at: datetime) -> str:
        log.info("schedule %s.%s fires (%s)", item.function.logical_id, item.event.name, item.expression.expression)
        return self._submit(item.function.logical_id, item.payload(at, self._region))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.tick()
            upcoming = [d for d in self.next_fire.values() if d is not None]
            delay = (min(upcoming) - self._now()).total_seconds() if upcoming else 60.0
            self._wake.wait(timeout=min(max(delay, 0.05), 60.0))
            self._wake.clear()

    @staticmethod
    def _key(item: ScheduledEvent) -> tuple[str, str]:
        return item.function.logical_id, item.event.name
