"""Alarms: raised and resolved by the checks (houqin/checks/), worked through by people over the API.

The checks call ``raise_alarm`` / ``auto_resolve``; the escalation check calls ``escalate_open``; the
API calls the rest. Every change is one transaction: the alarm (versioned), its audit events and the
notifications sent for it.

Who sees an alarm (anything else is 404, as if it did not exist):
- dispatcher (the duty desk), leader, admin: every alarm;
- dorm_manager: the alarms of the buildings they run;
- counsellor: the alarms about students in their scope (department, optionally grades);
- worker: the alarms of their repair point.
Leaders only look: acknowledging and resolving is for those on duty.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

import boto3

from houqin.auth import Principal
from houqin.clock import local_day
from houqin.domain import alarms as rules
from houqin.domain.actors import Role
from houqin.domain.alarms import Alarm, AlarmState, EscalationPolicy, Notification, Recipient, Severity
from houqin.errors import Conflict, Forbidden, NotFound, ValidationError
from houqin.services import dorm_access
from houqin.services.tickets import Tickets
from houqin.settings import settings
from houqin.store import alarms as store
from houqin.store import dorms
from houqin.store.base import find, key
from houqin.store.paging import Page

actor = Tickets().actor
SEE_ALL = (Role.DISPATCHER, Role.LEADER, Role.ADMIN)
ON_DUTY = (Role.DISPATCHER, Role.ADMIN, Role.DORM_MANAGER, Role.COUNSELLOR, Role.WORKER)
STATES = tuple(s.value for s in AlarmState)


# ---------------------------------------------------------------- raised and resolved by the checks
def raise_alarm(*, check: str, subject: str, period: str, severity: Severity, at: datetime,
                building_id: str | None = None, campus_id: str | None = None,
                details: Mapping[str, Any] | None = None) -> tuple[Alarm, bool]:
    """Raise (or reopen) the alarm; a re-run finds it and changes nothing. True when something was written.

    A new alarm costs no read: the put is conditional on no alarm having the id; only when one has, it is
    read and the domain decides (unchanged, or reopened if it was resolved automatically)."""
    alarm_id, item = rules.alarm_key(check, subject, period), None
    for _ in range(3):  # lost a race with a concurrent run of the same check: read again, decide again
        alarm, event = rules.raise_alarm(item.to_alarm() if item else None, check=check, subject=subject,
                                         period=period, severity=severity, at=at, campus_id=campus_id,
                                         building_id=building_id, details=details)
        if event is None:
            return alarm, False
        try:
            store.save(alarm, item.version if item else None, [event])
        except Conflict:
            item = store.get(alarm_id, consistent=True)
            continue
        return alarm, True
    raise Conflict(f"alarm {alarm_id} keeps changing: run the check again", code="changed_meanwhile")


def auto_resolve(alarm_id: str, at: datetime, reason: str) -> bool:
    """Close an active alarm whose cause is gone; False when it is not active (nothing to do)."""
    item = store.get(alarm_id, consistent=True)
    if item is None or AlarmState(item.state) not in rules.ACTIVE_STATES:
        return False
    alarm, event = rules.auto_resolve(item.to_alarm(), at, reason)
    store.save(alarm, item.version, [event])
    return True


def active(check: str) -> list[store.AlarmItem]:
    """A check's open and acknowledged alarms (to resolve those whose cause is gone)."""
    return [item for state in rules.ACTIVE_STATES for item in store.all_in_state(state.value, check)]


# ---------------------------------------------------------------- escalation and notifications
Publisher = Callable[[Notification, list[str]], str | None]


def escalate_open(now: datetime, policy_of: Callable[[Alarm], EscalationPolicy],
                  publish: Publisher | None = None) -> int:
    """Take every due step of every open alarm: notify, record, save. Returns how many were sent."""
    publish = publish or publish_to_topic
    sent = 0
    for item in store.all_in_state(AlarmState.OPEN.value):
        current = item.to_alarm()
        alarm, events, notifications = rules.escalate(current, policy_of(current), now)
        if not events:
            continue
        records = []
        for notification in notifications:
            to = recipients(notification.recipient, alarm)
            records.append(store.NotificationItem.make(notification, to, now, local_day(now, settings().tz),
                                                       publish(notification, to)))
        try:
            store.save(alarm, item.version, events, records)
        except Conflict:
            continue  # acknowledged meanwhile: the next run decides again
        sent += len(records)
    return sent


def recipients(recipient: Recipient, alarm: Alarm) -> list[str]:
    """Who a ladder step reaches: dorm managers and counsellors by id, the parent's phone (masked)."""
    if recipient == Recipient.DORM_MANAGER and alarm.building_id:
        found = dorms.ManagerBuilding.by_building.query(key("BLDG", alarm.building_id),
                                                         dorms.ManagerBuilding.gsi1sk.startswith("MANAGER#"))
        return sorted(m.staff_id for m in found)
    if recipient == Recipient.COUNSELLOR and alarm.details.get("department"):
        return dorms.counsellors_of(alarm.details["department"], alarm.details.get("grade"))
    if recipient == Recipient.PARENT:
        resident = find(dorms.Resident, key("RES", alarm.subject), "PROFILE")
        return [mask_phone(resident.parent_phone)] if resident else []
    if recipient == Recipient.REPAIR_POINT and alarm.details.get("repair_point"):
        return [f"team:{alarm.details['repair_point']}"]
    return [recipient.value]


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


@cache
def _sns() -> Any:
    return boto3.client("sns", region_name=settings().region)


def publish_to_topic(notification: Notification, to: list[str]) -> str | None:
    """One message on the notifications topic (subscribers fan it out: SMS, e-mail, the duty desk's screen)."""
    body = {"alarm_id": notification.alarm_id, "recipient": notification.recipient.value, "to": to,
            "subject": notification.subject, "building_id": notification.building_id,
            "text_zh": notification.text_zh, "text_en": notification.text_en}
    attributes = {"recipient": {"DataType": "String", "StringValue": notification.recipient.value}}
    if notification.building_id:
        attributes["building_id"] = {"DataType": "String", "StringValue": notification.building_id}
    response = _sns().publish(TopicArn=settings().topics["notifications"], Subject="Houqin alarm",
                              Message=json.dumps(body, ensure_ascii=False), MessageAttributes=attributes)
    return response.get("MessageId")


# ---------------------------------------------------------------- the API
def can_see(principal: Principal, item: store.AlarmItem) -> bool:
    if principal.has_role(*SEE_ALL):
        return True
    if item.building_id and item.building_id in dorm_access.managed_buildings(principal):
        return True
    scope = dorm_access.counsellor_scope(principal)
    if scope is not None and item.department == scope.department and (
            not scope.grades or item.details.get("grade") in scope.grades):
        return True
    if principal.has_role(Role.WORKER) and item.repair_point:
        return actor(principal).team_id == item.repair_point
    return False


def check_building(principal: Principal, building_id: str) -> None:
    """The duty desk, leaders and admins see every building's alarms and rolls; a dorm manager their own;
    anyone else is answered 404."""
    if not principal.has_role(*SEE_ALL):
        dorm_access.building(principal, building_id)


def alarm(principal: Principal, alarm_id: str) -> store.AlarmItem:
    item = store.get(alarm_id, consistent=True)
    if item is None or not can_see(principal, item):
        raise NotFound(f"no alarm {alarm_id}")
    return item


def detail(principal: Principal, alarm_id: str) -> dict[str, Any]:
    item = alarm(principal, alarm_id)
    events, sent = store.history(alarm_id)
    return {**item.view(), "history": events, "notifications": sent}


def list_alarms(principal: Principal, state: str | None, building_id: str | None, check: str | None,
                limit: int, cursor: str | None) -> Page:
    """Newest first. The duty desk sees every alarm in a state (default open); others their own places."""
    if building_id:
        check_building(principal, building_id)
        return _only(store.at_place(key("BLDG", building_id), state, limit=limit, cursor=cursor), check)
    if principal.has_role(*SEE_ALL):
        return store.in_state(state or AlarmState.OPEN.value, check, limit=limit, cursor=cursor)
    mine = dorm_access.only_building(principal)
    if mine:
        return _only(store.at_place(key("BLDG", mine), state, limit=limit, cursor=cursor), check)
    scope = dorm_access.counsellor_scope(principal)
    if scope is not None:
        page = store.of_department(scope.department, state, limit=limit, cursor=cursor)
        return _only(Page([i for i in page.items if not scope.grades or i.details.get("grade") in scope.grades],
                          page.cursor), check)
    team_id = actor(principal).team_id if principal.has_role(Role.WORKER) else None
    if team_id:
        return _only(store.at_place(key("POINT", team_id), state, limit=limit, cursor=cursor), check)
    raise Forbidden("alarms are for the duty desk, dorm managers, counsellors, repair points and leaders")


def _only(page: Page, check: str | None) -> Page:
    return Page([i for i in page.items if i.check == check], page.cursor) if check else page


def acknowledge(principal: Principal, alarm_id: str, now: datetime) -> dict[str, Any]:
    return _act(principal, alarm_id, lambda a: rules.acknowledge(a, principal.person_id, now))


def resolve(principal: Principal, alarm_id: str, note: str, now: datetime) -> dict[str, Any]:
    return _act(principal, alarm_id, lambda a: rules.resolve(a, principal.person_id, note, now))


def _act(principal: Principal, alarm_id: str, change: Callable[[Alarm], tuple[Alarm, Any]]) -> dict[str, Any]:
    item = alarm(principal, alarm_id)
    if not principal.has_role(*ON_DUTY):
        raise Forbidden("only those on duty acknowledge or resolve alarms")
    changed, event = change(item.to_alarm())
    return store.save(changed, item.version, [event]).view()


def notifications(principal: Principal, day: date, limit: int, cursor: str | None) -> Page:
    principal.require_role(*SEE_ALL)
    return store.notifications(day, limit=limit, cursor=cursor)


def parse_state(value: str | None) -> str | None:
    if value is not None and value not in STATES:
        raise ValidationError(f"state must be one of {', '.join(STATES)}", field="state")
    return value
