"""In-memory repositories of the alarms context: what houqin.services.alarms.Alarms reads and writes through
houqin.store.alarms (alarms, their audit events and notifications) and houqin.store.dorms / houqin.store.staff
(whom an alarm reaches). Alarms are kept as the store's own items (built in memory, never sent anywhere), so the
service sees what it sees in production; a stale version is a Conflict, as in DynamoDB, and the history is put
together as the store does (houqin.store.alarms.trail: the opening line folded into the alarm, escalation lines in
the notification records)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from houqin.domain.alarms import Alarm, Notification
from houqin.domain.audit import Event
from houqin.errors import Conflict
from houqin.store.alarms import AlarmItem, NotificationItem, trail
from houqin.store.paging import Page


@dataclass
class FakeAlarmStore:
    items: dict[str, AlarmItem] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)
    sent: dict[str, list[NotificationItem]] = field(default_factory=dict)

    def get(self, alarm_id: str, consistent: bool = False) -> AlarmItem | None:
        return self.items.get(alarm_id)

    def create(self, alarm: Alarm) -> AlarmItem:
        return self._put(alarm, None)

    def save(self, alarm: Alarm, version: int, events: Iterable[Event]) -> AlarmItem:
        item = self._put(alarm, version)
        self.events.setdefault(alarm.alarm_id, []).extend(events)
        return item

    def escalated(self, alarm: Alarm, version: int, records: Iterable[NotificationItem]) -> AlarmItem:
        self.sent.setdefault(alarm.alarm_id, []).extend(records)  # kept even when the save below is refused
        return self._put(alarm, version)

    def _put(self, alarm: Alarm, version: int | None) -> AlarmItem:
        current = self.items.get(alarm.alarm_id)
        if (int(current.version) if current else None) != version:
            raise Conflict(f"alarm {alarm.alarm_id} changed meanwhile", code="changed_meanwhile")
        item = AlarmItem.from_alarm(alarm, None)
        item.version = (version or 0) + 1
        self.items[alarm.alarm_id] = item
        return item

    def notification_record(self, notification: Notification, to: list[str], at: datetime, day: date,
                            message_id: str | None, line: Event) -> NotificationItem:
        return NotificationItem.make(notification, to, at, day, message_id, line)

    def all_in_state(self, state: str, check: str | None = None) -> Iterator[AlarmItem]:
        return iter([i for i in self.items.values() if i.state == state and (check is None or i.check == check)])

    def history(self, alarm_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return trail(self.items.get(alarm_id), self.events.get(alarm_id, []), self.sent.get(alarm_id, []))

    def in_state(self, state: str, check: str | None = None, *, limit: int, cursor: str | None) -> Page:
        return Page(list(self.all_in_state(state, check))[:limit], None)


@dataclass
class FakePeople:
    """Whom alarms reach (houqin.store.dorms): dorm managers by building, counsellors by department, parents'
    phones by resident, and which buildings let an alarm reach a parent."""

    managers: dict[str, list[str]] = field(default_factory=dict)
    counsellors: dict[str, list[str]] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)
    parent_buildings: set[str] = field(default_factory=set)

    def managers_of(self, building_id: str) -> list[str]:
        return sorted(self.managers.get(building_id, []))

    def counsellors_of(self, department: str, grade: str | None = None) -> list[str]:
        return sorted(self.counsellors.get(department, []))

    def parent_phone(self, resident_id: str) -> str | None:
        return self.parents.get(resident_id)

    def notifies_parent(self, building_id: str | None) -> bool:
        return building_id in self.parent_buildings
