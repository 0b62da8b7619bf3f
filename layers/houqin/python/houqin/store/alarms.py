"""The alarms table: alarms with their audit trail and notifications, night rolls and zero reports.

Access patterns (Queries and GetItems only):
- an alarm ............................ pk = "ALARM#<check>#<subject>#<period>", sk = "ALARM"
  (the id is the alarm's identity: a conditional put makes a re-run check harmless)
- its history and notifications ....... same pk, sk begins_with "EVENT#" / "NOTIFY#" (one Query of the partition,
                                        the alarm included: see ``history``)
- alarms of a place, by state ......... GSI1 gsi1pk = "BLDG#<building>" or "POINT#<repair point>",
                                        gsi1sk = "<state>#<opened_at>#<id>"
- alarms in a state, by check ......... GSI2 gsi2pk = "STATE#<state>", gsi2sk = "<check>#<opened_at>#<id>"
  (the duty desk's list; escalation reads "STATE#open"; a check's auto-resolve reads its own prefix)
- alarms of a department's students ... GSI3 gsi3pk = "DEPT#<department>", gsi3sk = "<state>#<opened_at>#<id>"
- notifications of a local day ........ GSI1 gsi1pk = "NOTIFY#<day>", gsi1sk = "<at>#<id>#<recipient>"
- a building's rolls and zero report .. pk = "ROLL#<building>", sk = "<night>#curfew" | "<night>#morning" |
                                        "<night>#zero" (a night, and the night before, in one Query)
- zero reports not signed off ......... GSI1 gsi1pk = "ZERO#UNSIGNED", gsi1sk = "<night>#<building>" (sparse)
- a building's zero reports ........... GSI2 gsi2pk = "ZERO#<building>", gsi2sk = "<night>"

What an alarm's writes bill (on-demand: 1 WCU per started KB of the item, and as much again for each index entry
written; a transaction twice): the item stays under 1 KB through a resident's alarm's life (three steps climbed,
acknowledged, resolved with a note of a dozen characters; its JSON is stored compact), and every index it is in
is a list somebody reads (a resident's alarm is in three: its building's, the desk's, its
department's; a building's or a repair point's in two). An index entry of an item under 1 KB bills 1 WCU whatever
its projection, and the lists show what every change touches (state, escalation level), so the indexes project
ALL: a narrower projection would save no write. So:
- a raise is one conditional put of the alarm, 1 WCU plus 1 per list (4 for a resident); its opening line is
  folded into the item and rebuilt by ``history``; a re-run is the refused put (1 WCU) and a read;
- an escalation step writes the record of the notification sent, carrying the step's audit line (2 WCU with its
  entry in the day's list), then the alarm at its new level (1 WCU plus 1 per list), without a transaction;
- a change of state (acknowledge, resolve, auto-resolve, reopen) is a transaction of the alarm and its line, so
  the two never part; moving between states moves each index entry (a delete and a put): 16 WCU for a resident's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute

from houqin.clock import parse_iso, to_iso
from houqin.domain.alarms import Alarm, AlarmState, Notification, Resolution, ScopeKind, Severity, opening
from houqin.domain.audit import Event, plain
from houqin.domain.roll import Behind, LateReturn, NotReturned, RollKind, RollResult, ZeroReport
from houqin.store.base import (
    CompactJSONAttribute,
    Gsi1,
    Gsi2,
    Gsi3,
    audit_event_model,
    condition_held,
    find,
    key,
    mixed_query,
    save_all,
    save_versioned,
    table_base,
    versioned_transaction,
)
from houqin.store.paging import Page, query_page

AlarmsTable = table_base("AlarmsTable", "alarms")

ALARM_FIELDS = ("check", "subject", "period", "severity", "opened_at", "state", "campus_id", "building_id",
                "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "resolution", "note",
                "escalation_level", "reopen_count", "scope")


class AlarmItem(AlarmsTable):
    alarm_id = UnicodeAttribute()
    check = UnicodeAttribute()
    subject = UnicodeAttribute()
    period = UnicodeAttribute()
    severity = UnicodeAttribute()
    opened_at = UnicodeAttribute()
    state = UnicodeAttribute()
    campus_id = UnicodeAttribute(null=True)
    building_id = UnicodeAttribute(null=True)
    acknowledged_at = UnicodeAttribute(null=True)
    acknowledged_by = UnicodeAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    resolved_by = UnicodeAttribute(null=True)
    resolution = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    escalation_level = NumberAttribute(default=0)
    escalated_at = CompactJSONAttribute(default=list)
    reopen_count = NumberAttribute(default=0)
    details = CompactJSONAttribute(default=dict)  # what the check saw, and the scope's ids (department, repair point)
    scope = UnicodeAttribute(null=True)  # whom it is addressed to (houqin.domain.alarms.ScopeKind)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    by_place = Gsi1()
    by_state = Gsi2()
    by_department = Gsi3()
    version = VersionAttribute()

    @classmethod
    def from_alarm(cls, alarm: Alarm, version: int | None) -> AlarmItem:
        repair_point = alarm.details.get("repair_point")
        department = alarm.details.get("department")
        place = (key("BLDG", alarm.building_id) if alarm.building_id
                 else key("POINT", repair_point) if repair_point else None)
        ordered = key(alarm.state.value, alarm.opened_at, alarm.alarm_id)
        item = cls(pk=key("ALARM", alarm.alarm_id), sk="ALARM", alarm_id=alarm.alarm_id,
                   **{name: plain(getattr(alarm, name)) for name in ALARM_FIELDS},
                   escalated_at=list(alarm.escalated_at), details=dict(alarm.details),
                   gsi1pk=place, gsi1sk=ordered if place else None,
                   gsi2pk=key("STATE", alarm.state.value), gsi2sk=key(alarm.check, alarm.opened_at, alarm.alarm_id),
                   gsi3pk=key("DEPT", department) if department else None, gsi3sk=ordered if department else None)
        if version is not None:
            item.version = version
        return item

    def to_alarm(self) -> Alarm:
        values = {name: getattr(self, name) for name in ALARM_FIELDS}
        values.update(severity=Severity(self.severity), state=AlarmState(self.state),
                      resolution=Resolution(self.resolution) if self.resolution else None,
                      escalation_level=int(self.escalation_level), reopen_count=int(self.reopen_count),
                      scope=self.scope_kind())
        return Alarm(alarm_id=self.alarm_id, escalated_at=tuple(self.escalated_at or ()),
                     details=dict(self.details or {}), **values)

    @property
    def department(self) -> str | None:
        """A resident's or a department's alarm: whose counsellors see it (kept in ``details`` only)."""
        return (self.details or {}).get("department")

    @property
    def repair_point(self) -> str | None:
        """A repair's alarm: the team the ticket is with (kept in ``details`` only)."""
        return (self.details or {}).get("repair_point")

    def scope_kind(self) -> ScopeKind:
        """Its scope; an alarm stored before alarms had one is read by what it carries."""
        if self.scope:
            return ScopeKind(self.scope)
        details = self.details or {}
        if "repair_point" in details:
            return ScopeKind.REPAIR_POINT
        return ScopeKind.RESIDENT if "roll_at" in details or self.department else ScopeKind.BUILDING

    def view(self) -> dict[str, Any]:
        return {"alarm_id": self.alarm_id, **{name: _number(getattr(self, name)) for name in ALARM_FIELDS},
                "scope": self.scope_kind().value,
                "repair_point": self.repair_point, "department": self.department,
                "escalated_at": list(self.escalated_at or ()), "details": dict(self.details or {}),
                "version": self.version}


AlarmEvent = audit_event_model(AlarmsTable, "ALARM")  # the same audit lines as tickets


class NotificationItem(AlarmsTable):
    """What was sent to the notifications topic for an alarm's escalation step (the local cloud keeps these
    too: with no phone network, this is where a notification can be read). Written once the topic took it, with
    the step's audit line (``line``; a record written before records carried it has its line as an EVENT item)."""

    alarm_id = UnicodeAttribute()
    recipient = UnicodeAttribute()
    to = CompactJSONAttribute(default=list)  # whom the step reaches (dorm managers, counsellors, a parent's phone)
    subject = UnicodeAttribute()
    building_id = UnicodeAttribute(null=True)
    text_zh = UnicodeAttribute()
    text_en = UnicodeAttribute()
    at = UnicodeAttribute()
    message_id = UnicodeAttribute(null=True)  # the topic's MessageId
    line = CompactJSONAttribute(null=True)  # the escalation step's audit line (houqin.domain.audit.Event)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_day = Gsi1()

    @classmethod
    def make(cls, notification: Notification, to: list[str], at: datetime, day: date, message_id: str | None,
             line: Event | None = None) -> NotificationItem:
        stamp = to_iso(at)
        return cls(key("ALARM", notification.alarm_id), key("NOTIFY", stamp, notification.recipient.value),
                   alarm_id=notification.alarm_id, recipient=notification.recipient.value, to=to,
                   subject=notification.subject, building_id=notification.building_id, text_zh=notification.text_zh,
                   text_en=notification.text_en, at=stamp, message_id=message_id,
                   line=line.as_dict() if line else None,
                   gsi1pk=key("NOTIFY", day.isoformat()),
                   gsi1sk=key(stamp, notification.alarm_id, notification.recipient.value))

    def view(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ("alarm_id", "recipient", "to", "subject", "building_id",
                                                       "text_zh", "text_en", "at", "message_id")}


class RollItem(AlarmsTable):
    """A building's roll of one night, as last evaluated."""

    building_id = UnicodeAttribute()
    night = UnicodeAttribute()
    kind = UnicodeAttribute()
    at = UnicodeAttribute()
    evaluated_at = UnicodeAttribute()
    evaluations = NumberAttribute(default=1)
    expected = NumberAttribute()
    present = NumberAttribute()
    on_leave = JSONAttribute(default=list)
    not_returned = JSONAttribute(default=list)
    late_returns = JSONAttribute(default=list)
    readers_behind = JSONAttribute(default=list)

    @classmethod
    def make(cls, result: RollResult, night: date, evaluated_at: datetime, evaluations: int) -> RollItem:
        return cls(key("ROLL", result.building_id), key(night.isoformat(), result.kind.value),
                   building_id=result.building_id, night=night.isoformat(), kind=result.kind.value,
                   at=to_iso(result.at), evaluated_at=to_iso(evaluated_at), evaluations=evaluations,
                   expected=result.expected, present=result.present, on_leave=list(result.on_leave),
                   not_returned=[{"resident_id": n.resident_id, "last_exit": _iso(n.last_exit), "nights": n.nights,
                                  "returned_at": _iso(n.returned_at), "reader_id": n.reader_id}
                                 for n in result.not_returned],
                   late_returns=[{"resident_id": r.resident_id, "at": to_iso(r.at), "reader_id": r.reader_id}
                                 for r in result.late_returns],
                   readers_behind=[{"reader_id": b.reader_id, "watermark": b.watermark} for b in result.readers_behind])

    def result(self) -> RollResult:
        return RollResult(
            building_id=self.building_id, kind=RollKind(self.kind), at=parse_iso(self.at), expected=int(self.expected),
            present=int(self.present), on_leave=tuple(self.on_leave),
            not_returned=tuple(NotReturned(n["resident_id"], _moment(n["last_exit"]), int(n["nights"]),
                                           _moment(n["returned_at"]), n.get("reader_id"))
                               for n in self.not_returned),
            late_returns=tuple(LateReturn(r["resident_id"], parse_iso(r["at"]), r["reader_id"])
                               for r in self.late_returns),
            readers_behind=tuple(Behind(b["reader_id"], b["watermark"]) for b in self.readers_behind))

    def view(self) -> dict[str, Any]:
        result = self.result()
        return {"building_id": self.building_id, "night": self.night, "kind": self.kind, "at": self.at,
                "evaluated_at": self.evaluated_at, "evaluations": int(self.evaluations),
                "provisional": result.provisional, "counts": result.counts, "on_leave": list(self.on_leave),
                "not_returned": list(self.not_returned), "late_returns": list(self.late_returns),
                "readers_behind": list(self.readers_behind)}


class ZeroReportItem(AlarmsTable):
    building_id = UnicodeAttribute()
    night = UnicodeAttribute()
    rows = JSONAttribute(default=list)
    counts = JSONAttribute(default=dict)
    produced_at = UnicodeAttribute()
    signed_by = UnicodeAttribute(null=True)
    signed_at = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    unsigned = Gsi1()
    by_building = Gsi2()

    @classmethod
    def make(cls, report: ZeroReport, produced_at: datetime) -> ZeroReportItem:
        night = report.night.isoformat()
        return cls(key("ROLL", report.building_id), key(night, "zero"), building_id=report.building_id, night=night,
                   rows=list(report.rows), counts=dict(report.counts), produced_at=to_iso(produced_at),
                   gsi1pk="ZERO#UNSIGNED", gsi1sk=key(night, report.building_id),
                   gsi2pk=key("ZERO", report.building_id), gsi2sk=night)

    def report(self) -> ZeroReport:
        return ZeroReport(self.building_id, date.fromisoformat(self.night), tuple(self.rows), dict(self.counts),
                          self.signed_by, parse_iso(self.signed_at) if self.signed_at else None)

    def view(self) -> dict[str, Any]:
        report = self.report()
        return {"building_id": self.building_id, "night": self.night, "rows": list(self.rows),
                "counts": dict(self.counts), "nothing_to_report": report.nothing_to_report,
                "provisional": report.provisional, "produced_at": self.produced_at, "signed_by": self.signed_by,
                "signed_at": self.signed_at}


# ---------------------------------------------------------------- alarms
def get(alarm_id: str, consistent: bool = False) -> AlarmItem | None:
    return find(AlarmItem, key("ALARM", alarm_id), "ALARM", consistent_read=consistent)


def create(alarm: Alarm) -> AlarmItem:
    """A new alarm: one conditional put, a Conflict if an alarm has its id. Its opening line is the item itself
    (``history`` rebuilds it), so a raise writes nothing else."""
    return save_versioned(AlarmItem.from_alarm(alarm, None), f"alarm {alarm.alarm_id} exists: read it",
                          code="changed_meanwhile")


def save(alarm: Alarm, version: int, events: Iterable[Event]) -> AlarmItem:
    """A change of the alarm's state and its audit lines in one transaction, so they never part; a 409 if someone
    changed it first."""
    item = AlarmItem.from_alarm(alarm, version)
    with versioned_transaction(AlarmItem, f"alarm {alarm.alarm_id} changed meanwhile: reload and try again",
                               code="changed_meanwhile") as transaction:
        transaction.save(item)
        for sequence, event in enumerate(events):
            transaction.save(AlarmEvent.from_event(alarm.alarm_id, event, version + 1, sequence))
    return item  # its version is the one written


def escalated(alarm: Alarm, version: int, records: Iterable[NotificationItem]) -> AlarmItem:
    """The escalation steps taken: the records of the notifications sent, each carrying its step's line, then the
    alarm at its new level (a 409 if it changed meanwhile, e.g. acknowledged). Not a transaction: a record is
    written only for a notification the topic took, so one kept before a failed save is still true, and a failure
    before the save leaves the step due, sent and recorded again by the next run."""
    save_all(NotificationItem, records)
    return save_versioned(AlarmItem.from_alarm(alarm, version),
                          f"alarm {alarm.alarm_id} changed meanwhile: reload and try again", code="changed_meanwhile")


def notification_record(notification: Notification, to: list[str], at: datetime, day: date,
                        message_id: str | None, line: Event) -> NotificationItem:
    """What is kept of a notification sent, with the line of the escalation step that sent it."""
    return NotificationItem.make(notification, to, at, day, message_id, line)


def history(alarm_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An alarm's audit lines and its notifications, oldest first (one Query of its partition)."""
    models = {"ALARM": AlarmItem, "EVENT": AlarmEvent, "NOTIFY": NotificationItem}
    items = list(mixed_query(AlarmEvent, key("ALARM", alarm_id), lambda sk: models.get(sk.split("#", 1)[0])))
    alarm = next((i for i in items if isinstance(i, AlarmItem)), None)
    stored = [i for i in items if isinstance(i, AlarmEvent)]
    records = [i for i in items if isinstance(i, NotificationItem)]
    opened = any(e.sk.startswith(key("EVENT", f"{1:08d}", "")) for e in stored)  # stored before lines were folded
    return trail(alarm, [Event(**e.as_dict()) for e in stored], records, opening_stored=opened)


def trail(alarm: AlarmItem | None, stored: list[Event], records: list[NotificationItem],
          opening_stored: bool = False) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The audit trail from where its lines are kept: the stored lines (changes of state), the lines of the
    escalation steps (in their notification records) and the opening line (folded into the alarm, unless
    ``opening_stored``), in time order; and the notifications sent."""
    lines = [*stored, *(Event(**r.line) for r in records if r.line)]
    if alarm is not None and not opening_stored:
        lines.insert(0, opening(alarm.to_alarm(), stored))
    lines.sort(key=lambda e: e.at)  # stable: at the same moment, the opening, then changes, then escalation
    return [e.as_dict() for e in lines], [r.view() for r in records]


def in_state(state: str, check: str | None = None, *, limit: int, cursor: str | None) -> Page:
    condition = AlarmItem.gsi2sk.startswith(check + "#") if check else None
    return query_page(AlarmItem.by_state.query, "gsi2pk", key("STATE", state), limit=limit, cursor=cursor,
                      range_key_condition=condition, scan_index_forward=False)


def all_in_state(state: str, check: str | None = None) -> Iterator[AlarmItem]:
    condition = AlarmItem.gsi2sk.startswith(check + "#") if check else None
    return AlarmItem.by_state.query(key("STATE", state), condition)


def at_place(place: str, state: str | None, *, limit: int, cursor: str | None) -> Page:
    """``place``: "BLDG#<building>" or "POINT#<repair point>"."""
    condition = AlarmItem.gsi1sk.startswith(state + "#") if state else None
    return query_page(AlarmItem.by_place.query, "gsi1pk", place, limit=limit, cursor=cursor,
                      range_key_condition=condition, scan_index_forward=False)


def of_department(department: str, state: str | None, *, limit: int, cursor: str | None) -> Page:
    condition = AlarmItem.gsi3sk.startswith(state + "#") if state else None
    return query_page(AlarmItem.by_department.query, "gsi3pk", key("DEPT", department), limit=limit,
                      cursor=cursor, range_key_condition=condition, scan_index_forward=False)


def notifications(day: date, *, limit: int, cursor: str | None) -> Page:
    return query_page(NotificationItem.by_day.query, "gsi1pk", key("NOTIFY", day.isoformat()), limit=limit,
                      cursor=cursor, scan_index_forward=False)


# ---------------------------------------------------------------- rolls and zero reports
def night_items(building_id: str, first: date, last: date,
                consistent: bool = True) -> dict[tuple[str, str], AlarmsTable]:
    """A building's rolls and zero reports from night ``first`` to ``last``, by (night, kind) (one Query)."""
    condition = RollItem.sk.between(first.isoformat(), last.isoformat() + "#~")
    items = mixed_query(RollItem, key("ROLL", building_id),
                        lambda sk: ZeroReportItem if sk.endswith("#zero") else RollItem, condition,
                        consistent_read=consistent)
    return {tuple(item.sk.split("#", 1)): item for item in items}


def save_roll(item: RollItem) -> None:
    item.save()


def save_zero_report(item: ZeroReportItem) -> bool:
    """Write the night's report unless it was signed off meanwhile (a signed report never changes)."""
    return condition_held(lambda: item.save(condition=ZeroReportItem.signed_by.does_not_exist()))


def sign_zero_report(building_id: str, night: date, who: str, at: datetime) -> bool:
    """Record the sign-off once; False if somebody signed first. Leaves the unsigned list (sparse index)."""
    item = ZeroReportItem(key("ROLL", building_id), key(night.isoformat(), "zero"))
    return condition_held(lambda: item.update(
        actions=[ZeroReportItem.signed_by.set(who), ZeroReportItem.signed_at.set(to_iso(at)),
                 ZeroReportItem.gsi1pk.remove(), ZeroReportItem.gsi1sk.remove()],
        condition=ZeroReportItem.pk.exists() & ZeroReportItem.signed_by.does_not_exist()))


def zero_report(building_id: str, night: date) -> ZeroReportItem | None:
    return find(ZeroReportItem, key("ROLL", building_id), key(night.isoformat(), "zero"), consistent_read=True)


def unsigned_reports(*, limit: int, cursor: str | None) -> Page:
    return query_page(ZeroReportItem.unsigned.query, "gsi1pk", "ZERO#UNSIGNED", limit=limit, cursor=cursor,
                      scan_index_forward=False)


def reports_of_building(building_id: str, *, limit: int, cursor: str | None) -> Page:
    return query_page(ZeroReportItem.by_building.query, "gsi2pk", key("ZERO", building_id), limit=limit,
                      cursor=cursor, scan_index_forward=False)


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) else value


def _iso(moment: datetime | None) -> str | None:
    return to_iso(moment) if moment else None


def _moment(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None
