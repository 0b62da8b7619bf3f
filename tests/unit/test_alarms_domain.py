"""The alarm rules without AWS: life cycle, identity and re-runs, the reopen rule, escalation timing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from houqin.domain import alarms as rules
from houqin.domain.alarms import AlarmState, EscalationPolicy, Recipient, Resolution, Severity, Step
from houqin.errors import Conflict, ValidationError

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai: the curfew roll
KEY = "curfew_roll~S00001~2026-11-23"
WITH_PARENT = EscalationPolicy(notify_parent=True)


def new(existing=None, at=T0, **overrides):
    args = {"check": "curfew_roll", "subject": "S00001", "period": "2026-11-23", "severity": Severity.WARNING,
            "at": at, "campus_id": "SB", "building_id": "SB01", "details": {"last_swipe": "out"}} | overrides
    return rules.raise_alarm(existing, **args)


def minutes(n):
    return T0 + timedelta(minutes=n)


def test_a_new_alarm_is_open_under_its_deterministic_key():
    alarm, event = new()
    assert alarm.alarm_id == KEY == rules.alarm_key("curfew_roll", "S00001", "2026-11-23")
    assert alarm.state == AlarmState.OPEN and alarm.opened_at == "2026-11-23T15:00:00.000Z"
    assert alarm.building_id == "SB01" and alarm.details == {"last_swipe": "out"}
    assert (event.action, event.by, event.from_state, event.to_state) == ("raise", "system", None, "open")


@pytest.mark.parametrize(("check", "subject", "period"), [("", "S1", "d"), ("c", "S~1", "d"), ("c", "S1", "")])
def test_a_key_part_must_be_non_empty_and_free_of_the_separator(check, subject, period):
    with pytest.raises(ValidationError):
        rules.alarm_key(check, subject, period)


def test_the_full_life_cycle_by_a_person():
    alarm, _ = new()
    alarm, ack = rules.acknowledge(alarm, "E0042", minutes(5))
    assert alarm.state == AlarmState.ACKNOWLEDGED and alarm.acknowledged_by == "E0042"
    assert (ack.from_state, ack.to_state, ack.by) == ("open", "acknowledged", "E0042")
    alarm, done = rules.resolve(alarm, "E0042", "  已电话联系，学生在图书馆  ", minutes(20))
    assert alarm.state == AlarmState.RESOLVED and alarm.resolution == Resolution.PERSON
    assert alarm.resolved_by == "E0042" and alarm.note == "已电话联系，学生在图书馆"
    assert done.changes["resolution"] == [None, "person"] and done.reason == alarm.note


def test_an_open_alarm_can_be_resolved_without_acknowledgement():
    alarm, _ = new()
    alarm, _ = rules.resolve(alarm, "E0042", "false alarm", minutes(1))
    assert alarm.state == AlarmState.RESOLVED and alarm.acknowledged_at is None


@pytest.mark.parametrize("state", [AlarmState.ACKNOWLEDGED, AlarmState.OPEN])
def test_auto_resolve_closes_an_active_alarm_as_the_system(state):
    alarm = new()[0].with_changes(state=state)
    alarm, event = rules.auto_resolve(alarm, minutes(12), "swiped in at 23:12")
    assert (alarm.state, alarm.resolution, alarm.resolved_by) == (AlarmState.RESOLVED, Resolution.AUTO, "system")
    assert event.action == "auto_resolve" and alarm.note == "swiped in at 23:12"


@pytest.mark.parametrize(("state", "call"), [
    (AlarmState.ACKNOWLEDGED, lambda a: rules.acknowledge(a, "E1", T0)),
    (AlarmState.RESOLVED, lambda a: rules.acknowledge(a, "E1", T0)),
    (AlarmState.RESOLVED, lambda a: rules.resolve(a, "E1", "note", T0)),
    (AlarmState.RESOLVED, lambda a: rules.auto_resolve(a, T0, "gone")),
])
def test_illegal_transitions_are_conflicts_naming_the_state(state, call):
    alarm = new()[0].with_changes(state=state)
    with pytest.raises(Conflict, match=state.value) as caught:
        call(alarm)
    assert caught.value.code == "illegal_transition"


@pytest.mark.parametrize("note", [None, "", "   ", "x" * 501])
def test_a_person_must_leave_a_note_of_at_most_500_characters(note):
    with pytest.raises(ValidationError) as caught:
        rules.resolve(new()[0], "E1", note, T0)
    assert caught.value.field == "note"
    assert rules.resolve(new()[0], "E1", "x" * 500, T0)[0].state == AlarmState.RESOLVED


@pytest.mark.parametrize("state", [AlarmState.OPEN, AlarmState.ACKNOWLEDGED])
def test_re_running_a_check_never_duplicates_an_active_alarm(state):
    first = new()[0].with_changes(state=state)
    again, event = new(first, at=minutes(10), severity=Severity.CRITICAL, details={"other": 1})
    assert again is first and event is None


def test_an_alarm_resolved_by_a_person_stays_resolved_when_the_check_runs_again():
    resolved, _ = rules.resolve(new()[0], "E0042", "请假已批准", minutes(5))
    again, event = new(resolved, at=minutes(30))
    assert again is resolved and event is None


def test_an_alarm_resolved_automatically_is_reopened_when_the_cause_returns_in_the_same_period():
    alarm, _ = new()
    alarm, _, _ = rules.escalate(alarm, WITH_PARENT, minutes(30))
    alarm, _ = rules.auto_resolve(alarm, minutes(40), "swiped in")
    reopened, event = new(alarm, at=minutes(70), details={"last_swipe": "out again"})
    assert reopened.state == AlarmState.OPEN and reopened.alarm_id == KEY and reopened.reopen_count == 1
    assert reopened.opened_at == "2026-11-23T16:10:00.000Z" and reopened.resolution is None
    assert reopened.escalation_level == 0 and reopened.escalated_at == () and reopened.note is None
    assert (event.action, event.from_state, event.to_state) == ("reopen", "resolved", "open")
    # The ladder starts again from the reopening.
    assert rules.due_escalations(reopened, WITH_PARENT, minutes(70)) == [Step(Recipient.DORM_MANAGER, 0)]



def test_the_opening_line_is_rebuilt_from_the_alarm_at_its_first_opening_even_after_reopens():
    """The store folds a new alarm's line into the alarm; ``opening`` gives back the very line ``raise_alarm``
    answered, also once reopens have moved ``opened_at`` (the first reopen's line holds the first opening)."""
    alarm, raised = new()
    assert rules.opening(alarm) == raised
    later = []
    for at in (40, 70):
        alarm, resolved = rules.auto_resolve(alarm, minutes(at), "swiped in")
        alarm, reopened = new(alarm, at=minutes(at + 20))
        later += [resolved, reopened]
    assert alarm.reopen_count == 2 and alarm.opened_at == "2026-11-23T16:30:00.000Z" != raised.at
    assert rules.opening(alarm, later) == raised


def test_an_existing_alarm_under_another_key_is_refused():
    with pytest.raises(ValidationError):
        new(new()[0], subject="S00002")


# ---------------------------------------------------------------- escalation
@pytest.mark.parametrize(("after", "without_parent", "with_parent"), [
    (0, ["dorm_manager"], ["dorm_manager"]),
    (29, ["dorm_manager"], ["dorm_manager"]),
    (30, ["dorm_manager", "counsellor"], ["dorm_manager", "counsellor"]),
    (59, ["dorm_manager", "counsellor"], ["dorm_manager", "counsellor"]),
    (60, ["dorm_manager", "counsellor"], ["dorm_manager", "counsellor", "parent"]),
])
def test_the_ladder_is_due_by_minutes_open_and_the_parent_only_by_policy(after, without_parent, with_parent):
    alarm, _ = new()
    assert [s.recipient for s in rules.due_escalations(alarm, EscalationPolicy(), minutes(after))] == without_parent
    assert [s.recipient for s in rules.due_escalations(alarm, WITH_PARENT, minutes(after))] == with_parent


def test_escalating_minute_by_minute_notifies_each_step_once_at_its_time():
    alarm, _ = new()
    sent = []
    for minute in range(0, 121):
        alarm, events, notes = rules.escalate(alarm, WITH_PARENT, minutes(minute))
        sent += [(minute, n.recipient.value) for n in notes]
        assert len(events) == len(notes)
    assert sent == [(0, "dorm_manager"), (30, "counsellor"), (60, "parent")]
    assert alarm.escalation_level == 3
    assert alarm.escalated_at == ("2026-11-23T15:00:00.000Z", "2026-11-23T15:30:00.000Z", "2026-11-23T16:00:00.000Z")


def test_a_late_run_sends_every_overdue_step_at_once_with_one_event_each():
    alarm, events, notes = rules.escalate(new()[0], WITH_PARENT, minutes(75))
    assert [n.recipient for n in notes] == [Recipient.DORM_MANAGER, Recipient.COUNSELLOR, Recipient.PARENT]
    assert [e.changes["escalation_level"] for e in events] == [[0, 1], [1, 2], [2, 3]]
    assert rules.escalate(alarm, WITH_PARENT, minutes(200)) == (alarm, [], [])


def test_acknowledgement_stops_the_escalation():
    alarm, _, _ = rules.escalate(new()[0], WITH_PARENT, minutes(0))
    alarm, _ = rules.acknowledge(alarm, "E0042", minutes(10))
    for after in (30, 60, 600):
        assert rules.due_escalations(alarm, WITH_PARENT, minutes(after)) == []
        assert rules.escalate(alarm, WITH_PARENT, minutes(after)) == (alarm, [], [])


def test_a_resolved_alarm_never_escalates():
    alarm, _ = rules.auto_resolve(new()[0], minutes(1), "swiped in")
    assert rules.due_escalations(alarm, WITH_PARENT, minutes(90)) == []


def test_a_configured_policy_and_its_validation():
    policy = EscalationPolicy.from_dict({"steps": [["duty_desk", 0], ["dorm_manager", 15], ["parent", 45]]})
    assert [s.recipient for s in policy.ladder] == [Recipient.DUTY_DESK, Recipient.DORM_MANAGER]
    assert EscalationPolicy.from_dict({}) == EscalationPolicy()
    assert EscalationPolicy.from_dict({"notify_parent": True}).ladder == rules.DEFAULT_LADDER
    for bad in ({"steps": [["janitor", 0]]}, {"steps": [["counsellor", 30], ["dorm_manager", 0]]},
                {"steps": [["counsellor", -1]]}, {"steps": [["counsellor"]]}):
        with pytest.raises(ValidationError):
            EscalationPolicy.from_dict(bad)


def test_notifications_speak_chinese_and_english():
    _, _, notes = rules.escalate(new()[0], EscalationPolicy(), minutes(30))
    manager, counsellor = notes
    assert manager.text_zh == "【警告】未按时归寝：S00001（2026-11-23，楼栋 SB01）"
    assert counsellor.text_en == ("[warning] not back by curfew: S00001 (2026-11-23, building SB01), "
                                  "unacknowledged for 30 minutes")
    assert (counsellor.recipient, counsellor.alarm_id, counsellor.subject) == (Recipient.COUNSELLOR, KEY, "S00001")
    reader, _ = new(check="silent_reader_v2", subject="R-SB01-A", period="2026-11-23T22", building_id=None)
    assert rules.notification(reader, Step(Recipient.DUTY_DESK, 0)).text_en == (
        "[warning] silent reader v2: R-SB01-A (2026-11-23T22)")


def test_the_rules_are_deterministic():
    def run():
        alarm, first = new()
        alarm, events, notes = rules.escalate(alarm, WITH_PARENT, minutes(45))
        alarm, ack = rules.acknowledge(alarm, "E0042", minutes(50))
        return alarm, [first, *events, ack], notes

    assert run() == run()
