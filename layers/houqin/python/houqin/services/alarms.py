"""Alarms: raised and resolved by the checks (houqin/checks/), worked through by people over the API.

``Alarms`` holds the use cases with their ports (houqin.ports): the alarms repository (houqin.store.alarms), the
people an alarm reaches (houqin.store.dorms: dorm managers, counsellors, parents; houqin.store.staff: a worker's
repair point), a Clock and a Notifier (the "notifications" topic). The checks call ``raise_alarm`` /
``auto_resolve``; the escalation check calls ``escalate_open``; the API calls the rest. What each writes (and
bills) is the store's to say (houqin.store.alarms): a raise is one conditional put of the alarm, its opening line
folded into it; an escalation step records the notification once sent, with the step's audit line, then saves
the alarm; a change of state saves the alarm and its audit line in one transaction. The alarm is versioned:
a concurrent change is a 409.

An alarm is addressed to a scope (houqin.domain.alarms.Scope): the scope gives its ladder (``policy``) and whom
each step reaches (``recipients``), so a check names a scope and never a ladder or a recipient of its own.

Who sees an alarm (anything else is 404, as if it did not exist):
- dispatcher (the duty desk), leader, admin: every alarm;
- dorm_manager: the alarms of the buildings they run;
- counsellor: the alarms about students in their scope (department, optionally grades);
- worker: the alarms of their repair point.
Leaders only look: acknowledging and resolving is for those on duty.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, cast

from houqin import contract
from houqin.auth import Principal
from houqin.aws import SnsNotifier
from houqin.clock import Clock, local_day
from houqin.contract import Paging
from houqin.domain import alarms as rules
from houqin.domain.actors import Role
from houqin.domain.alarms import Alarm, AlarmState, EscalationPolicy, Notification, Recipient, Scope, Severity
from houqin.errors import Conflict, Forbidden, NotFound
from houqin.ports import Notifier
from houqin.services.dorm_access import DormAccess
from houqin.settings import settings
from houqin.store import alarms as alarms_store
from houqin.store import dorms as people_store
from houqin.store import staff as staff_store
from houqin.store.base import key
from houqin.store.paging import Page
from houqin.system_clock import SystemClock

SEE_ALL = (Role.DISPATCHER, Role.LEADER, Role.ADMIN)
ON_DUTY = (Role.DISPATCHER, Role.ADMIN, Role.DORM_MANAGER, Role.COUNSELLOR, Role.WORKER)
READERS = (*SEE_ALL, Role.DORM_MANAGER, Role.COUNSELLOR, Role.WORKER)  # each sees their own places' alarms
STATES = tuple(s.value for s in AlarmState)
TOPIC = "notifications"
ID = r"[A-Za-z0-9_-]{1,40}"


# ---------------------------------------------------------------- inputs (declared once: parsed and documented)
@dataclass(frozen=True)
class AlarmQuery(Paging):
    """Alarms newest first: the duty desk's in a state (default open), others those of their own places."""

    state: str | None = contract.text("only alarms in this state", choices=STATES, default=None)
    building_id: str | None = contract.text("one building's alarms", pattern=ID, default=None)
    check: str | None = contract.text("only those of this check (curfew_roll, silent_reader ...)", pattern=ID,
                                      default=None)


@dataclass(frozen=True)
class Resolution:
    note: str = contract.text("what was found and done", max_length=rules.MAX_NOTE)


# ``contract.day`` is spelt out: the field named ``day`` would hide the bare name.
@dataclass(frozen=True)
class NotificationsQuery(Paging):
    day: date | None = contract.day("the local day they were sent (default: today)", wire="date", default=None)


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def message(notification: Notification, to: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """A notification as published (subscribers fan it out: SMS, e-mail, the duty desk's screen) and the
    attributes their filters read."""
    body = {"alarm_id": notification.alarm_id, "recipient": notification.recipient.value, "to": to,
            "subject": notification.subject, "building_id": notification.building_id,
            "text_zh": notification.text_zh, "text_en": notification.text_en}
    attributes = {"recipient": notification.recipient.value}
    if notification.building_id:
        attributes["building_id"] = notification.building_id
    return body, attributes


def _only(page: Page, check: str | None) -> Page:
    return Page([i for i in page.items if i.check == check], page.cursor) if check else page


class AlarmRepository(Protocol):
    """What the alarms use cases need of storage (houqin.store.alarms in production)."""

    def get(self, alarm_id: str, consistent: bool = False) -> Any: ...
    def create(self, alarm: Alarm) -> Any: ...
    def save(self, alarm: Alarm, version: int, events: Iterable[Any]) -> Any: ...
    def escalated(self, alarm: Alarm, version: int, records: Iterable[Any]) -> Any: ...
    def notification_record(self, notification: Notification, to: list[str], at: datetime, day: date,
                            message_id: str | None, line: Any) -> Any: ...
    def all_in_state(self, state: str, check: str | None = None) -> Iterator[Any]: ...
    def history(self, alarm_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]: ...
    def in_state(self, state: str, check: str | None = None, *, limit: int, cursor: str | None) -> Page: ...
    def at_place(self, place: str, state: str | None, *, limit: int, cursor: str | None) -> Page: ...
    def of_department(self, department: str, state: str | None, *, limit: int, cursor: str | None) -> Page: ...
    def notifications(self, day: date, *, limit: int, cursor: str | None) -> Page: ...


class People(Protocol):
    """Whom an alarm reaches (houqin.store.dorms in production)."""

    def managers_of(self, building_id: str) -> list[str]: ...
    def counsellors_of(self, department: str, grade: str | None = None) -> list[str]: ...
    def parent_phone(self, resident_id: str) -> str | None: ...
    def notifies_parent(self, building_id: str | None) -> bool: ...


class Teams(Protocol):
    """A worker's repair point (houqin.store.staff in production)."""

    def team_of(self, staff_id: str) -> str | None: ...


class Alarms:
    """The alarms' use cases. Repositories are the store modules in production (in tests, the in-memory ones of
    tests/fakes/alarms.py); the clock and the notifier default to the real ones, made on first use."""

    def __init__(self, *, alarms: AlarmRepository | None = None, people: People | None = None,
                 staff: Teams | None = None, clock: Clock | None = None, notifier: Notifier | None = None,
                 access: DormAccess | None = None) -> None:
        self.alarms: AlarmRepository = alarms if alarms is not None else cast(AlarmRepository, alarms_store)
        self.people: People = people if people is not None else cast(People, people_store)
        self.staff: Teams = staff if staff is not None else cast(Teams, staff_store)
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.notifier: Notifier = notifier if notifier is not None else SnsNotifier()  # no client until it is used
        self.access = access if access is not None else DormAccess()  # who may see which building and resident

    # ------------------------------------------------------------ raised and resolved by the checks
    def raise_alarm(self, *, check: str, subject: str, period: str, severity: Severity, scope: Scope,
                    details: Mapping[str, Any] | None = None) -> tuple[Alarm, bool]:
        """Raise (or reopen) the alarm, addressed to ``scope``; a re-run finds it and changes nothing. True when
        something was written.

        A new alarm costs no read: the put is conditional on no alarm having the id; only when one has, it is
        read and the domain decides (unchanged, or reopened if it was resolved automatically)."""
        alarm_id, item, now = rules.alarm_key(check, subject, period), None, self.clock.now()
        for _ in range(3):  # lost a race with a concurrent run of the same check: read again, decide again
            alarm, event = rules.raise_alarm(item.to_alarm() if item else None, check=check, subject=subject,
                                             period=period, severity=severity, at=now, scope=scope, details=details)
            if event is None:
                return alarm, False
            try:
                if item is None:
                    self.alarms.create(alarm)  # its opening line (``event``) is folded into it
                else:
                    self.alarms.save(alarm, item.version, [event])
            except Conflict:
                item = self.alarms.get(alarm_id, consistent=True)
                continue
            return alarm, True
        raise Conflict(f"alarm {alarm_id} keeps changing: run the check again", code="changed_meanwhile")

    def auto_resolve(self, alarm_id: str, reason: str) -> bool:
        """Close an active alarm whose cause is gone; False when it is not active (nothing to do)."""
        item = self.alarms.get(alarm_id, consistent=True)
        if item is None or AlarmState(item.state) not in rules.ACTIVE_STATES:
            return False
        alarm, event = rules.auto_resolve(item.to_alarm(), self.clock.now(), reason)
        self.alarms.save(alarm, item.version, [event])
        return True

    def active(self, check: str) -> list[Any]:
        """A check's open and acknowledged alarms (to resolve those whose cause is gone)."""
        return [item for state in rules.ACTIVE_STATES for item in self.alarms.all_in_state(state.value, check)]

    # ------------------------------------------------------------ escalation and notifications
    def policy(self, alarm: Alarm) -> EscalationPolicy:
        """The ladder of the alarm's scope, with its building's parent policy and the template's desk delay."""
        notify_parent = alarm.scope == rules.ScopeKind.RESIDENT and self.people.notifies_parent(alarm.building_id)
        return rules.ladder(alarm, notify_parent=notify_parent,
                            repair_desk_after=int(settings().overdue_escalate_after.total_seconds() // 60))

    def escalate_open(self) -> int:
        """Take every due step of every open alarm: notify, record, save. Returns how many were sent."""
        return self.escalate(self.alarms.all_in_state(AlarmState.OPEN.value))

    def escalate(self, items: Iterable[Any]) -> int:
        """Take the due steps of these stored alarms (a check may notify its own at once): publish each step's
        notification, then store the records of those sent, each with its step's line, and the alarm at its new
        level. Returns how many were sent."""
        now, sent = self.clock.now(), 0
        for item in items:
            current = item.to_alarm()
            alarm, events, notifications = rules.escalate(current, self.policy(current), now)
            if not events:
                continue
            records = []
            for notification, line in zip(notifications, events, strict=True):  # one notification per step
                to = self.recipients(notification.recipient, alarm)
                body, attributes = message(notification, to)
                message_id = self.notifier.publish(TOPIC, "Houqin alarm", body, attributes)
                records.append(self.alarms.notification_record(notification, to, now, local_day(now, settings().tz),
                                                               message_id, line))
            sent += len(records)
            with contextlib.suppress(Conflict):  # acknowledged meanwhile: what was sent is recorded, the climb stops
                self.alarms.escalated(alarm, item.version, records)
        return sent

    def escalate_now(self, alarm_id: str) -> int:
        """Notify an alarm's due steps now rather than at the next escalation run (a warning that cannot wait)."""
        item = self.alarms.get(alarm_id, consistent=True)
        return self.escalate([item]) if item is not None else 0

    def recipients(self, recipient: Recipient, alarm: Alarm) -> list[str]:
        """Whom a ladder step reaches, from the alarm's scope: dorm managers and counsellors by id, the parent's
        phone (masked), a repair point as "team:<id>", the worker on the job."""
        details = alarm.details
        if recipient == Recipient.DORM_MANAGER and alarm.building_id:
            return self.people.managers_of(alarm.building_id)
        if recipient == Recipient.COUNSELLOR and details.get("department"):
            return self.people.counsellors_of(details["department"], details.get("grade"))
        if recipient == Recipient.PARENT:
            phone = self.people.parent_phone(alarm.subject)
            return [mask_phone(phone)] if phone else []
        if recipient == Recipient.WORKER and details.get("worker_id"):
            return [details["worker_id"]]
        if recipient in (Recipient.REPAIR_POINT, Recipient.WORKER) and details.get("repair_point"):
            return [f"team:{details['repair_point']}"]
        return [recipient.value]

    # ------------------------------------------------------------ the API
    def team_of(self, principal: Principal) -> str | None:
        return self.staff.team_of(principal.person_id) if principal.has_role(Role.WORKER) else None

    def can_see(self, principal: Principal, item: Any) -> bool:
        if principal.has_role(*SEE_ALL):
            return True
        if item.building_id and item.building_id in self.access.managed_buildings(principal):
            return True
        scope = self.access.counsellor_scope(principal)
        if scope is not None and item.department == scope.department and (
                not scope.grades or item.details.get("grade") in scope.grades):
            return True
        return bool(item.repair_point) and self.team_of(principal) == item.repair_point

    def alarm(self, principal: Principal, alarm_id: str) -> Any:
        item = self.alarms.get(alarm_id, consistent=True)
        if item is None or not self.can_see(principal, item):
            raise NotFound(f"no alarm {alarm_id}")
        return item

    def detail(self, principal: Principal, alarm_id: str) -> dict[str, Any]:
        item = self.alarm(principal, alarm_id)
        events, sent = self.alarms.history(alarm_id)
        return {**item.view(), "history": events, "notifications": sent}

    def list_alarms(self, principal: Principal, state: str | None, building_id: str | None, check: str | None,
                    limit: int, cursor: str | None) -> Page:
        """Newest first. The duty desk sees every alarm in a state (default open); others their own places."""
        store = self.alarms
        if building_id:
            if not principal.has_role(*SEE_ALL):  # the desk, leaders and admins see every building
                self.access.building(principal, building_id)
            return _only(store.at_place(key("BLDG", building_id), state, limit=limit, cursor=cursor), check)
        if principal.has_role(*SEE_ALL):
            return store.in_state(state or AlarmState.OPEN.value, check, limit=limit, cursor=cursor)
        mine = self.access.only_building(principal)
        if mine:
            return _only(store.at_place(key("BLDG", mine), state, limit=limit, cursor=cursor), check)
        scope = self.access.counsellor_scope(principal)
        if scope is not None:
            page = store.of_department(scope.department, state, limit=limit, cursor=cursor)
            return _only(Page([i for i in page.items if not scope.grades or i.details.get("grade") in scope.grades],
                              page.cursor), check)
        team_id = self.team_of(principal)
        if team_id:
            return _only(store.at_place(key("POINT", team_id), state, limit=limit, cursor=cursor), check)
        raise Forbidden("alarms are for the duty desk, dorm managers, counsellors, repair points and leaders")

    def acknowledge(self, principal: Principal, alarm_id: str) -> dict[str, Any]:
        return self._act(principal, alarm_id, lambda a: rules.acknowledge(a, principal.person_id, self.clock.now()))

    def resolve(self, principal: Principal, alarm_id: str, note: str) -> dict[str, Any]:
        return self._act(principal, alarm_id, lambda a: rules.resolve(a, principal.person_id, note, self.clock.now()))

    def _act(self, principal: Principal, alarm_id: str,
             change: Callable[[Alarm], tuple[Alarm, Any]]) -> dict[str, Any]:
        item = self.alarm(principal, alarm_id)
        if not principal.has_role(*ON_DUTY):
            raise Forbidden("only those on duty acknowledge or resolve alarms")
        changed, event = change(item.to_alarm())
        return self.alarms.save(changed, item.version, [event]).view()

    def notifications(self, principal: Principal, day: date, limit: int, cursor: str | None) -> Page:
        principal.require_role(*SEE_ALL)
        return self.alarms.notifications(day, limit=limit, cursor=cursor)
