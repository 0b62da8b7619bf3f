"""The opinion board's rules: types, the complaint workflow, who may step it, the rate limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from houqin.domain import opinions as rules
from houqin.domain.actors import Actor, Role
from houqin.errors import Conflict, Forbidden, ValidationError

T0 = datetime(2025, 3, 1, 2, 3, 4, tzinfo=UTC)


def person(person_id: str, *roles: Role) -> Actor:
    return Actor(person_id=person_id, roles=frozenset(roles))


# ---------------------------------------------------------------- posting
def test_a_complaint_starts_at_intake_and_other_types_are_open():
    assert rules.initial_state(rules.COMPLAINT) == rules.INTAKE
    for opinion_type in (rules.ENQUIRY, rules.SUGGESTION, rules.CRITICISM):
        assert rules.initial_state(opinion_type) == rules.OPEN


def test_only_a_complaint_has_a_category():
    rules.check_category(rules.COMPLAINT, "buck_passing")
    rules.check_category(rules.COMPLAINT, None)
    rules.check_category(rules.ENQUIRY, None)
    with pytest.raises(ValidationError) as error:
        rules.check_category(rules.SUGGESTION, "delay")
    assert error.value.field == "category"


def test_categories_include_buck_passing_delay_and_refusal():
    assert {"buck_passing", "delay", "refusal"} <= set(rules.CATEGORIES)


# ---------------------------------------------------------------- replies
def test_a_reply_answers_an_enquiry_but_leaves_a_complaint_in_its_workflow():
    assert rules.state_after_reply(rules.ENQUIRY, rules.OPEN) == rules.REPLIED
    assert rules.state_after_reply(rules.CRITICISM, rules.REPLIED) == rules.REPLIED
    assert rules.state_after_reply(rules.COMPLAINT, rules.INVESTIGATING) == rules.INVESTIGATING


def test_an_archived_complaint_or_a_full_thread_takes_no_reply():
    rules.check_reply(rules.FIXED, 0)
    with pytest.raises(Conflict, match="archived"):
        rules.check_reply(rules.ARCHIVED, 0)
    with pytest.raises(Conflict) as error:
        rules.check_reply(rules.OPEN, rules.MAX_REPLIES)
    assert error.value.field == "replies"


# ---------------------------------------------------------------- complaint workflow
def test_the_complaint_workflow_in_order():
    state = rules.INTAKE
    for action, expected, needs in [("assign", rules.INVESTIGATING, "monitor_id"),
                                    ("refer", rules.WITH_UNIT, "department_id"),
                                    ("fix", rules.FIXED, "note"), ("archive", rules.ARCHIVED, None)]:
        assert rules.required_field(action) == needs
        state = rules.next_state(rules.COMPLAINT, state, action)
        assert state == expected


@pytest.mark.parametrize(("state", "action"), [
    (rules.INTAKE, "refer"), (rules.INTAKE, "fix"), (rules.INTAKE, "archive"),
    (rules.INVESTIGATING, "assign"), (rules.WITH_UNIT, "archive"), (rules.ARCHIVED, "assign"),
    (rules.FIXED, "fix"),
])
def test_an_illegal_step_is_a_conflict_naming_the_current_state(state, action):
    with pytest.raises(Conflict, match=f"that is {state}") as error:
        rules.next_state(rules.COMPLAINT, state, action)
    assert error.value.status == 409 and error.value.field == "state"


def test_only_complaints_have_a_workflow():
    with pytest.raises(Conflict, match="only complaints .* is open"):
        rules.next_state(rules.ENQUIRY, rules.OPEN, "assign")


def test_an_unknown_action_names_the_field():
    with pytest.raises(ValidationError) as error:
        rules.next_state(rules.COMPLAINT, rules.INTAKE, "escalate")
    assert error.value.field == "action"


def test_leaders_assign_and_archive_the_assigned_monitor_refers_and_fixes():
    leader, admin = person("E1", Role.LEADER), person("E2", Role.ADMIN)
    monitor, other = person("E7", Role.DISPATCHER), person("E8", Role.DISPATCHER)
    for action in rules.ACTIONS:
        rules.require_workflow_actor(action, leader, "E7")
        rules.require_workflow_actor(action, admin, None)
    for action in ("refer", "fix"):
        rules.require_workflow_actor(action, monitor, "E7")
        with pytest.raises(Forbidden, match="assigned"):
            rules.require_workflow_actor(action, other, "E7")
        with pytest.raises(Forbidden):
            rules.require_workflow_actor(action, monitor, None)  # nobody assigned yet
    for action in ("assign", "archive"):
        with pytest.raises(Forbidden, match="leader or admin"):
            rules.require_workflow_actor(action, monitor, "E7")


# ---------------------------------------------------------------- rate limit
def test_five_posts_per_window_then_limited():
    assert rules.RATE_LIMIT == 5 and rules.RATE_WINDOW == timedelta(minutes=10)
    assert [rules.allows(n) for n in range(7)] == [True] * 5 + [False] * 2


def test_windows_are_fixed_ten_minute_slots():
    window = rules.rate_window(datetime(2025, 3, 1, 2, 14, 59, 999000, tzinfo=UTC))
    assert window.start == datetime(2025, 3, 1, 2, 10, tzinfo=UTC)
    assert window.end == datetime(2025, 3, 1, 2, 20, tzinfo=UTC)
    assert window.key == "2025-03-01T02:10:00.000Z"
    assert rules.rate_window(datetime(2025, 3, 1, 2, 19, 59, tzinfo=UTC)) == window
    assert rules.rate_window(datetime(2025, 3, 1, 2, 20, tzinfo=UTC)).key == "2025-03-01T02:20:00.000Z"
    # kept one more window after it closes, then expired by TTL
    assert window.expires_at == int(datetime(2025, 3, 1, 2, 30, tzinfo=UTC).timestamp())


def test_the_window_is_the_same_in_any_time_zone_and_refuses_naive_times():
    from houqin.clock import CAMPUS_TZ

    assert rules.rate_window(T0.astimezone(CAMPUS_TZ)) == rules.rate_window(T0)
    with pytest.raises(ValueError, match="naive"):
        rules.rate_window(datetime(2025, 3, 1, 2, 3))


def test_limited_says_when_to_retry():
    window = rules.rate_window(T0)  # 02:00 - 02:10, now 02:03:04
    error = rules.rate_limited(window, T0)
    assert error.status == 429 and error.code == "rate_limited"
    assert error.retry_after == 416
    assert "5 posts per 10 minutes" in error.message
    assert window.retry_after(window.end) == 1  # never "retry in 0 seconds"


def test_client_key():
    assert rules.client_key(" 203.0.113.7 ") == "203.0.113.7"
    assert rules.client_key(None) == rules.client_key("") == "unknown"
    assert len(rules.client_key("x" * 500)) == 64
