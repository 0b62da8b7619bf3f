"""The ticket rules without AWS: state machine, time limits, fees, ratings, KPIs, the public view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from houqin.clock import CAMPUS_TZ
from houqin.domain import tickets as rules
from houqin.domain.actors import Actor, Role
from houqin.domain.tickets import FeeLine, SlaRule, State
from houqin.errors import Conflict, Forbidden, ValidationError

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
STUDENT = Actor("S00001", frozenset({Role.STUDENT}))
WORKER = Actor("E0001", frozenset({Role.WORKER}), team_id="SB-WATER")
DESK = Actor("E0097", frozenset({Role.DISPATCHER}))


def new(severity="minor", rule=SlaRule("water"), team="SB-WATER", at=T0):
    ticket, _ = rules.open_ticket(ticket_id="R1", actor=STUDENT, at=at, tz=CAMPUS_TZ, rule=rule, team_id=team,
                                  channel="web", requester_id="S00001", category="water", severity=severity,
                                  description="漏水", campus_id="SB", building_id="SB01", room_no="101")
    return ticket


def step(ticket, *actions, at=T0, actor=WORKER):
    for action in actions:
        ticket, _ = rules.apply(ticket, action, actor, at)
    return ticket


@pytest.mark.parametrize(("severity", "rule", "at", "deadline"), [
    ("minor", SlaRule("water"), T0, "2026-11-23T03:00:00.000Z"),
    ("major", SlaRule("water"), T0, "2026-11-23T15:59:59.999Z"),  # not overnight: end of the local day
    ("major", SlaRule("water"), datetime(2026, 11, 23, 17, 0, tzinfo=UTC), "2026-11-24T15:59:59.999Z"),
    ("major", SlaRule("water", 30, 240), T0, "2026-11-23T06:00:00.000Z"),
    ("minor", SlaRule("water", 30, 240), T0, "2026-11-23T02:30:00.000Z"),
])
def test_the_deadline_follows_the_category_rule_in_campus_time(severity, rule, at, deadline):
    assert new(severity, rule, at=at).deadline == deadline


def test_without_a_routing_rule_the_ticket_waits_for_the_desk():
    ticket = new(team=None)
    assert ticket.state == State.SUBMITTED and ticket.team_id is None and ticket.owner == "system"


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("action", [a for a in rules.TRANSITIONS if a != "rate"])
def test_every_action_outside_its_states_is_a_conflict_naming_the_state(state, action):
    sources, _ = rules.TRANSITIONS[action]
    if state in sources:
        return
    ticket = new().with_changes(state=state, worker_id="E0001")
    with pytest.raises(Conflict, match=state.value):
        rules.apply(ticket, action, DESK, T0, reason="r", team_id="SB-ELEC")


def test_on_hold_pauses_the_clock_and_moves_the_deadline_by_the_time_held():
    ticket = step(new(), "accept", "start")
    ticket, _ = rules.apply(ticket, "hold", WORKER, T0 + timedelta(minutes=10), reason="等配件")
    paused = rules.sla_view(ticket, T0 + timedelta(hours=5))
    assert paused["paused"] is True and paused["seconds_left"] == 50 * 60
    ticket = step(ticket, "resume", at=T0 + timedelta(minutes=100))
    assert ticket.deadline == "2026-11-23T04:30:00.000Z" and ticket.held_seconds == 90 * 60
    done = step(ticket, "complete", at=T0 + timedelta(minutes=145))
    assert done.sla_met is True and rules.sla_view(done, T0 + timedelta(days=1))["seconds_left"] == 5 * 60


def test_hold_and_cannot_do_need_a_reason_and_redispatch_needs_one_too():
    ticket = step(new(), "accept", "start")
    with pytest.raises(ValidationError, match="reason"):
        rules.apply(ticket, "hold", WORKER, T0)
    with pytest.raises(ValidationError, match="re-dispatch"):
        rules.apply(ticket, "dispatch", DESK, T0, team_id="SB-ELEC")


def test_only_the_right_people_act():
    ticket = new()
    with pytest.raises(Forbidden):
        rules.apply(ticket, "accept", Actor("E0009", frozenset({Role.WORKER}), team_id="SB-ELEC"), T0)
    with pytest.raises(Forbidden):
        rules.apply(ticket, "dispatch", STUDENT, T0, team_id="SB-ELEC", reason="x")
    accepted = step(ticket, "accept")
    with pytest.raises(Forbidden):
        rules.apply(accepted, "start", Actor("E0002", frozenset({Role.WORKER}), team_id="SB-WATER"), T0)
    with pytest.raises(Forbidden):
        rules.apply(step(accepted, "start", "complete"), "auto_confirm", STUDENT, T0)


def test_fees_are_integer_fen_rounded_half_up():
    lines = [FeeLine("labour", "L", "人工", Decimal("1.5"), 1999), FeeLine("material", "M", "胶", Decimal("0.333"), 3)]
    assert [line.amount_fen for line in lines] == [2999, 1]  # 2998.5 -> 2999; 0.999 -> 1
    assert rules.fee_changes(lines)["fee_fen"] == 3000


def test_the_trail_alone_rebuilds_the_hand_overs_and_the_fee_lines():
    ticket, events = rules.open_ticket(ticket_id="R1", actor=DESK, at=T0, tz=CAMPUS_TZ, rule=SlaRule("water"),
                                       team_id=None, channel="phone", requester_id="S00001", category="water",
                                       severity="minor", description="漏水", campus_id="SB", building_id="SB01")
    steps = [lambda t: rules.apply(t, "dispatch", DESK, T0, team_id="SB-WATER"),
             lambda t: rules.apply(t, "accept", WORKER, T0 + timedelta(minutes=5), reason="马上到"),
             lambda t: rules.apply(t, "start", WORKER, T0),
             lambda t: rules.set_fee(t, WORKER, T0, [FeeLine("labour", "L", "人工", Decimal(1), 2000)]),
             lambda t: rules.apply(t, "complete", WORKER, T0, lines=[FeeLine("material", "M", "胶", Decimal(2), 3)])]
    for decide in steps:
        ticket, event = decide(ticket)
        events.append(event)
        assert "handovers" not in event.changes  # the owner change is the hand-over
    trail = [event.as_dict() for event in events]
    assert rules.handovers_of(trail) == ticket.handovers and len(ticket.handovers) == 2
    assert ticket.handovers[1] == {"from": "team:SB-WATER", "to": "E0001", "at": "2026-11-23T02:05:00.000Z",
                                   "by": "E0001", "reason": "马上到"}
    assert rules.lines_of(trail) == ticket.lines and [line["code"] for line in ticket.lines] == ["M"]
    assert rules.lines_of(trail[:-1])[0]["code"] == "L" and rules.lines_of([]) == ()


def test_a_low_score_on_any_dimension_means_rework_otherwise_confirmed():
    done = step(new(), "accept", "start", "complete")
    good = {"attitude": 5, "speed": 3, "quality": 4, "price": 3}
    assert rules.rate(done, STUDENT, T0, good, None)[0].state == State.CONFIRMED
    reworked, event = rules.rate(done, STUDENT, T0, {**good, "price": 2}, "太贵")
    assert reworked.state == State.IN_PROGRESS and reworked.rework_count == 1 and event.action == "rework"
    with pytest.raises(Forbidden):
        rules.rate(done, Actor("S00002", frozenset({Role.STUDENT})), T0, good, None)


def test_a_building_rule_beats_the_campus_rule():
    table = {"water.SB": "SB-WATER", "water.SB.SB09": "SB-WATER-9"}
    assert rules.choose_team(table, "water", "SB", "SB09") == "SB-WATER-9"
    assert rules.choose_team(table, "water", "SB", "SB01") == "SB-WATER"
    assert rules.choose_team(table, "water", "JN", None) is None


def test_the_public_view_has_nothing_personal():
    ticket = step(new(), "accept", "start", "complete").with_changes(contact_phone="13800000000",
                                                                      caller_name="王老师")
    view = rules.public_view(ticket)
    assert set(view) >= {"building_id", "category", "state", "reported_at", "sla_met", "fee_fen", "rating"}
    assert not {"room_no", "description", "requester_id", "worker_id", "contact_phone", "caller_name",
                "place", "handovers"} & set(view)


def test_kpis_of_no_tickets_are_empty_not_errors():
    empty = rules.kpis([])
    assert empty["count"] == 0 and empty["sla_met_rate"] is None and empty["average_rating"]["speed"] is None
