"""Alarms (告警): what a scheduled check raises and the duty desk, dorm managers and counsellors work through.

Pure rules: an ``Alarm`` in, a changed alarm and the audit ``Event`` out (the same ``Event`` as
tickets). No AWS, no clock (the moment is an argument), no environment. Checks are pluggable: a
check is just a name (``curfew_roll``, ``overdue_repair``, ``silent_reader``...) that finds subjects.

Life cycle::

    open -> acknowledged -> resolved      (a person, with a note)
    open | acknowledged  -> resolved      (automatically, when the cause disappears)
    resolved (auto)      -> open          (the cause came back in the same period: reopened)

Identity: one alarm per subject per check per period. ``alarm_key(check, subject, period)`` is the
alarm's id, so the store's conditional put makes re-running a check harmless. When the put finds an
alarm already there, ``raise_alarm(existing, ...)`` decides: an open or acknowledged alarm stays as it
is; one resolved automatically is reopened (the student swiped in at 23:10 and out again at 23:40);
one resolved by a person stays resolved, because somebody looked and decided for that period.

Scopes: a check addresses its alarm to a ``Scope`` (a building, a resident, a department, a repair point,
a job's worker); the scope says whom the alarm reaches and which ladder it climbs (``LADDERS``).

Escalation: an open alarm climbs its scope's ladder, e.g. for a resident the dorm manager at once, the
counsellor after 30 unacknowledged minutes, the parent's contact after 60 when the building's policy
allows it. Minutes count from ``opened_at`` (a reopened alarm starts the ladder again). Each step is
notified once; acknowledging or resolving the alarm stops the climb.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from houqin.clock import parse_iso, to_iso
from houqin.domain.audit import Event, changed
from houqin.errors import Conflict, ValidationError

SYSTEM = "system"
MAX_NOTE = 500
KEY_SEPARATOR = "~"  # URL-safe: the id travels in paths (/alarms/{alarm_id})


class AlarmState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


ACTIVE_STATES = frozenset({AlarmState.OPEN, AlarmState.ACKNOWLEDGED})


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class Resolution(StrEnum):
    PERSON = "person"
    AUTO = "auto"


class Recipient(StrEnum):
    DUTY_DESK = "duty_desk"
    REPAIR_POINT = "repair_point"
    WORKER = "worker"  # the worker on a job (their repair point until somebody accepts it)
    DORM_MANAGER = "dorm_manager"
    COUNSELLOR = "counsellor"
    PARENT = "parent"


class ScopeKind(StrEnum):
    """Whom an alarm is addressed to; each kind has its ladder (``LADDERS``). A new context (a canteen, a boiler
    house) adds a kind, its ladder and how its recipients are found, not a copy of either in its check."""

    BUILDING = "building"  # something at a dorm building (a gate reader): its dorm managers, then the desk
    RESIDENT = "resident"  # a resident: their building's dorm managers, their counsellor, their parent if allowed
    DEPARTMENT = "department"  # a department's students: its counsellors, then the desk
    REPAIR_POINT = "repair_point"  # a repair job: its repair point, then the desk (at once if not dispatched)
    WORKER = "worker"  # a heads-up to the worker on a job: no one above them


# How a notification names a check and a severity; an unknown (newly plugged-in) check shows its own name.
CHECK_TITLES = {"curfew_roll": ("未按时归寝", "not back by curfew"),
                "night_out": ("夜不归宿", "out all night"),
                "overdue_repair": ("维修超时", "repair overdue"),
                "repair_due_soon": ("维修即将超时", "repair due soon"),
                "silent_reader": ("门禁读卡器无数据", "gate reader silent")}
SEVERITY_TITLES = {Severity.INFO: "提示", Severity.WARNING: "警告", Severity.CRITICAL: "紧急"}


def alarm_key(check: str, subject: str, period: str) -> str:
    """The alarm's identity, e.g. ``curfew_roll~S00001~2026-11-23``: the same inputs always give the same key."""
    for name, value in (("check", check), ("subject", subject), ("period", period)):
        if not value or KEY_SEPARATOR in value:
            raise ValidationError(f"{name} must be non-empty and must not contain {KEY_SEPARATOR!r}", field=name)
    return KEY_SEPARATOR.join((check, subject, period))


@dataclass(frozen=True)
class Alarm:
    alarm_id: str  # alarm_key(check, subject, period)
    check: str
    subject: str  # a resident, ticket or reader id
    period: str  # the local night ("2026-11-23"), hour ("2026-11-23T22"), ... the check counts in
    severity: Severity
    opened_at: str
    state: AlarmState = AlarmState.OPEN
    campus_id: str | None = None
    building_id: str | None = None
    acknowledged_at: str | None = None
    acknowledged_by: str | None = None
    resolved_at: str | None = None
    resolved_by: str | None = None
    resolution: Resolution | None = None
    note: str | None = None  # the person's note, or why the system resolved it
    escalation_level: int = 0  # how many steps of the ladder have been notified
    escalated_at: tuple[str, ...] = ()  # when each of those steps was notified
    reopen_count: int = 0
    details: dict[str, Any] = field(default_factory=dict)  # what the check saw (last swipe, deadline...)
    scope: ScopeKind = ScopeKind.BUILDING  # whom it is addressed to: its ladder and its recipients

    def with_changes(self, **changes: Any) -> Alarm:
        return dataclasses.replace(self, **changes)


# ---------------------------------------------------------------- scopes: whom an alarm is addressed to
@dataclass(frozen=True)
class Scope:
    """An alarm's address: a kind (its ladder) and the ids its recipients are found by. Build one with the
    class methods; ``Scope.building(...)`` for a gate reader, ``Scope.resident(...)`` for a student..."""

    kind: ScopeKind
    building_id: str | None = None
    campus_id: str | None = None
    department: str | None = None
    grade: str | None = None
    repair_point: str | None = None
    worker_id: str | None = None

    @classmethod
    def building(cls, building_id: str, campus_id: str | None = None) -> Scope:
        return cls(ScopeKind.BUILDING, building_id=building_id, campus_id=campus_id)

    @classmethod
    def resident(cls, building_id: str, campus_id: str | None, department: str | None,
                 grade: str | None = None) -> Scope:
        return cls(ScopeKind.RESIDENT, building_id=building_id, campus_id=campus_id, department=department,
                   grade=grade)

    @classmethod
    def department_of(cls, department: str, grade: str | None = None) -> Scope:
        return cls(ScopeKind.DEPARTMENT, department=department, grade=grade)

    @classmethod
    def repair(cls, repair_point: str | None) -> Scope:
        """A job's repair point (None: not dispatched yet, the desk answers for it)."""
        return cls(ScopeKind.REPAIR_POINT, repair_point=repair_point)

    @classmethod
    def worker(cls, repair_point: str | None, worker_id: str | None) -> Scope:
        return cls(ScopeKind.WORKER, repair_point=repair_point, worker_id=worker_id)

    def details(self) -> dict[str, Any]:
        """What the alarm carries for its recipients and lists (a repair point's list, a counsellor's)."""
        found: dict[str, Any] = {}
        if self.kind in (ScopeKind.RESIDENT, ScopeKind.DEPARTMENT):
            found.update({"department": self.department, "grade": self.grade})
        if self.kind in (ScopeKind.REPAIR_POINT, ScopeKind.WORKER):
            found["repair_point"] = self.repair_point
        if self.kind == ScopeKind.WORKER:
            found["worker_id"] = self.worker_id
        return {k: v for k, v in found.items() if v is not None or k == "repair_point"}


# ---------------------------------------------------------------- the life cycle
def raise_alarm(existing: Alarm | None, *, check: str, subject: str, period: str, severity: Severity, at: datetime,
                scope: Scope | None = None, campus_id: str | None = None, building_id: str | None = None,
                details: Mapping[str, Any] | None = None) -> tuple[Alarm, Event | None]:
    """A check found its cause. With ``existing`` (the alarm stored under the same key) nothing is duplicated:
    the alarm comes back unchanged with no event, or, if it was resolved automatically, reopened. ``scope``
    addresses it (its building, campus and the details its recipients are found by); without one, the building."""
    key = alarm_key(check, subject, period)
    now = to_iso(at)
    if scope is not None:
        campus_id, building_id = scope.campus_id, scope.building_id
        details = {**(details or {}), **scope.details()}
    kind = scope.kind if scope is not None else ScopeKind.BUILDING
    if existing is None:
        alarm = Alarm(alarm_id=key, check=check, subject=subject, period=period, severity=Severity(severity),
                      opened_at=now, campus_id=campus_id, building_id=building_id, details=dict(details or {}),
                      scope=kind)
        return alarm, opening(alarm)
    if existing.alarm_id != key:
        raise ValidationError(f"alarm {existing.alarm_id!r} is not {key!r}", field="alarm_id")
    if existing.state in ACTIVE_STATES or existing.resolution == Resolution.PERSON:
        return existing, None
    changes = {"state": AlarmState.OPEN, "opened_at": now, "severity": Severity(severity), "scope": kind,
               "details": dict(details or {}), "acknowledged_at": None, "acknowledged_by": None,
               "resolved_at": None, "resolved_by": None, "resolution": None, "note": None,
               "escalation_level": 0, "escalated_at": (), "reopen_count": existing.reopen_count + 1}
    return changed(existing, "reopen", SYSTEM, now, changes, "the cause came back in the same period")


def opening(alarm: Alarm, later: Iterable[Event] = ()) -> Event:
    """The line that opened ``alarm`` (what ``raise_alarm`` answers for a new one), given its ``later`` lines. The
    store folds it into the alarm (a raise is one write) and rebuilds it here: it is at the first opening, which
    a reopen moved from ``opened_at`` into its own line's changes."""
    reopened = [e for e in later if e.action == "reopen" and "opened_at" in e.changes]
    at = reopened[0].changes["opened_at"][0] if reopened else alarm.opened_at
    return Event(at=at, by=SYSTEM, action="raise", from_state=None, to_state=AlarmState.OPEN.value)


def acknowledge(alarm: Alarm, who: str, at: datetime) -> tuple[Alarm, Event]:
    """Somebody is on it: the escalation stops here."""
    _require(alarm, "acknowledge", frozenset({AlarmState.OPEN}))
    now = to_iso(at)
    return changed(alarm, "acknowledge", who, now,
                    {"state": AlarmState.ACKNOWLEDGED, "acknowledged_at": now, "acknowledged_by": who}, None)


def resolve(alarm: Alarm, who: str, note: str, at: datetime) -> tuple[Alarm, Event]:
    """A person closes the alarm and says what they found (required, at most 500 characters)."""
    _require(alarm, "resolve", ACTIVE_STATES)
    return _resolved(alarm, who, Resolution.PERSON, _note(note, "note"), at)


def auto_resolve(alarm: Alarm, at: datetime, reason: str) -> tuple[Alarm, Event]:
    """The check no longer sees the cause (the student swiped in, the ticket was completed...)."""
    _require(alarm, "auto-resolve", ACTIVE_STATES)
    return _resolved(alarm, SYSTEM, Resolution.AUTO, _note(reason, "reason"), at)


def _resolved(alarm: Alarm, who: str, resolution: Resolution, note: str, at: datetime) -> tuple[Alarm, Event]:
    now = to_iso(at)
    changes = {"state": AlarmState.RESOLVED, "resolved_at": now, "resolved_by": who, "resolution": resolution,
               "note": note}
    return changed(alarm, "resolve" if resolution == Resolution.PERSON else "auto_resolve", who, now, changes, note)


def _require(alarm: Alarm, action: str, states: frozenset[AlarmState]) -> None:
    if alarm.state not in states:
        raise Conflict(f"cannot {action} an alarm that is {alarm.state.value}", code="illegal_transition")


def _note(text: str | None, name: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(f"a {name} is required", field=name)
    if len(text) > MAX_NOTE:
        raise ValidationError(f"the {name} has {len(text)} characters, at most {MAX_NOTE}", field=name)
    return text


# ---------------------------------------------------------------- escalation
@dataclass(frozen=True)
class Step:
    """Notify ``recipient`` once the alarm has been open, unacknowledged, for ``after_minutes``."""

    recipient: Recipient
    after_minutes: int


DEFAULT_LADDER = (Step(Recipient.DORM_MANAGER, 0), Step(Recipient.COUNSELLOR, 30), Step(Recipient.PARENT, 60))
DESK_AFTER = 30  # minutes unacknowledged before the duty desk hears of a building's or a department's alarm
LADDERS: dict[ScopeKind, tuple[Step, ...]] = {
    ScopeKind.BUILDING: (Step(Recipient.DORM_MANAGER, 0), Step(Recipient.DUTY_DESK, DESK_AFTER)),
    ScopeKind.RESIDENT: DEFAULT_LADDER,
    ScopeKind.DEPARTMENT: (Step(Recipient.COUNSELLOR, 0), Step(Recipient.DUTY_DESK, DESK_AFTER)),
    ScopeKind.REPAIR_POINT: (Step(Recipient.REPAIR_POINT, 0), Step(Recipient.DUTY_DESK, 60)),
    ScopeKind.WORKER: (Step(Recipient.WORKER, 0),),
}


@dataclass(frozen=True)
class EscalationPolicy:
    """A building's ladder. Parent steps are skipped unless the building enables them (off by default:
    a parent is called only where the building's policy says so)."""

    steps: tuple[Step, ...] = DEFAULT_LADDER
    notify_parent: bool = False

    def __post_init__(self) -> None:
        minutes = [s.after_minutes for s in self.steps]
        if any(m < 0 for m in minutes) or minutes != sorted(minutes):
            raise ValidationError("escalation steps need minutes >= 0, in increasing order", field="steps")

    @property
    def ladder(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if self.notify_parent or s.recipient != Recipient.PARENT)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EscalationPolicy:
        """``{"steps": [["dorm_manager", 0], ["counsellor", 30]], "notify_parent": true}``; both optional."""
        try:
            steps = tuple(Step(Recipient(r), int(m)) for r, m in data["steps"]) if "steps" in data else DEFAULT_LADDER
        except (TypeError, ValueError):
            raise ValidationError("steps must be [recipient, minutes] pairs with a known recipient",
                                  field="steps") from None
        return cls(steps, bool(data.get("notify_parent", False)))


def ladder(alarm: Alarm, *, notify_parent: bool = False, repair_desk_after: int | None = None) -> EscalationPolicy:
    """The ladder an alarm climbs, from its scope: ``notify_parent`` is its building's policy (residents only),
    ``repair_desk_after`` the minutes before the desk hears of a repair point's alarm (the template's setting).
    A repair job not dispatched yet has no repair point: the desk hears of it at once."""
    if alarm.scope == ScopeKind.REPAIR_POINT:
        if not alarm.details.get("repair_point"):
            return EscalationPolicy((Step(Recipient.DUTY_DESK, 0),))
        if repair_desk_after is not None:
            return EscalationPolicy((Step(Recipient.REPAIR_POINT, 0), Step(Recipient.DUTY_DESK, repair_desk_after)))
    return EscalationPolicy(LADDERS[alarm.scope], notify_parent=notify_parent and alarm.scope == ScopeKind.RESIDENT)


@dataclass(frozen=True)
class Notification:
    recipient: Recipient
    alarm_id: str
    subject: str
    building_id: str | None
    text_zh: str
    text_en: str


def due_escalations(alarm: Alarm, policy: EscalationPolicy, now: datetime) -> list[Step]:
    """The steps to notify at ``now`` that have not been notified yet; none once acknowledged or resolved.
    ``escalation_level`` counts steps of the ladder already done, so a step is never notified twice."""
    if alarm.state != AlarmState.OPEN:
        return []
    open_for = now - parse_iso(alarm.opened_at)
    return [s for s in policy.ladder[alarm.escalation_level:] if open_for >= timedelta(minutes=s.after_minutes)]


def escalate(alarm: Alarm, policy: EscalationPolicy, now: datetime) -> tuple[Alarm, list[Event], list[Notification]]:
    """Take every due step: the alarm with its new level, one audit event and one notification per step.
    Nothing due gives the alarm back unchanged with empty lists (a scheduled run may call this every minute)."""
    events: list[Event] = []
    notifications: list[Notification] = []
    stamp = to_iso(now)
    for step in due_escalations(alarm, policy, now):
        changes = {"escalation_level": alarm.escalation_level + 1, "escalated_at": (*alarm.escalated_at, stamp)}
        alarm, event = changed(alarm, "escalate", SYSTEM, stamp, changes, f"notify {step.recipient.value}")
        events.append(event)
        notifications.append(notification(alarm, step))
    return alarm, events, notifications


def notification(alarm: Alarm, step: Step) -> Notification:
    """What the recipient reads: the check, the subject, where and when, in Chinese and English."""
    title_zh, title_en = CHECK_TITLES.get(alarm.check, (alarm.check, alarm.check.replace("_", " ")))
    where_zh = f"，楼栋 {alarm.building_id}" if alarm.building_id else ""
    where_en = f", building {alarm.building_id}" if alarm.building_id else ""
    late_zh = f"，已 {step.after_minutes} 分钟未确认" if step.after_minutes else ""
    late_en = f", unacknowledged for {step.after_minutes} minutes" if step.after_minutes else ""
    return Notification(
        recipient=step.recipient, alarm_id=alarm.alarm_id, subject=alarm.subject, building_id=alarm.building_id,
        text_zh=f"【{SEVERITY_TITLES[alarm.severity]}】{title_zh}：{alarm.subject}（{alarm.period}{where_zh}）{late_zh}",
        text_en=f"[{alarm.severity.value}] {title_en}: {alarm.subject} ({alarm.period}{where_en}){late_en}",
    )
