"""The demo tickets: a realistic, deterministic month of work that the real rules produced."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from houqin.domain import tickets as rules
from houqin.domain.tickets import OPEN_STATES, State
from localcloud import demo, demo_tickets

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def test_demo_tickets_spread_over_states_channels_and_both_demo_students():
    data = demo.generate()
    tickets = [t for t, _ in demo_tickets.generate(data, NOW)]
    states = Counter(t.state for t in tickets)
    assert 300 <= len(tickets) <= 600
    assert states[State.CONFIRMED] + states[State.CLOSED] > len(tickets) // 2
    assert sum(states[s] for s in OPEN_STATES) >= 3 and states[State.COMPLETED] >= 3
    assert {"web", "phone"} == {t.channel for t in tickets}
    assert any(t.rework_count for t in tickets) and any(t.sla_met is False for t in tickets)
    assert {"S00001", "S00002"} <= {t.requester_id for t in tickets}
    assert len({t.ticket_id for t in tickets}) == len(tickets)
    assert all(t.created_at < "2026-11-23T06:00:00.000Z" for t in tickets)


def test_demo_tickets_are_the_same_on_every_start_and_trails_replay_the_life_cycle():
    data = demo.generate()
    first = list(demo_tickets.generate(data, NOW))
    assert first == list(demo_tickets.generate(data, NOW))
    for ticket, events in first:
        assert events[0].action == "submit" and events[-1].to_state == ticket.state.value
        assert all(a.to_state == b.from_state for a, b in zip(events, events[1:], strict=False))


def test_each_demo_trail_rebuilds_its_tickets_hand_overs_and_fee_lines():
    """The store keeps both in the trail only (houqin/store/tickets.py): phone tickets, rework and fees too."""
    tickets = list(demo_tickets.generate(demo.generate(), NOW))
    for ticket, events in tickets:
        trail = [event.as_dict() for event in events]
        assert (rules.handovers_of(trail), rules.lines_of(trail)) == (ticket.handovers, ticket.lines)
    assert any(len(t.handovers) >= 2 for t, _ in tickets) and any(t.lines for t, _ in tickets)


def test_every_demo_team_has_a_routing_rule_for_its_trade_and_campus():
    data = demo.generate()
    rules = demo_tickets.routing_rules(data.teams)
    assert rules["water.SB"] == "SB-WATER" and rules["doors_locks.JN"] == "JN-DOOR"
    assert sorted(rules.values()) == sorted(t["team_id"] for t in data.teams)
