"""bench/day.py's pure arithmetic: the floor of a known day and its price per 1,000 residents."""

from __future__ import annotations

import pytest

from bench.day import DayEvents, floor, per_thousand, price, priced, read_units


def test_read_units_round_up_per_4_kb_and_halve_when_eventually_consistent() -> None:
    assert read_units(0) == 0.5  # an empty Query still bills its minimum
    assert read_units(4096) == 0.5
    assert read_units(4097) == 1.0
    assert read_units(4097, consistent=True) == 2.0


def test_floor_of_a_known_day() -> None:
    events = DayEvents(residents=1000, new_swipes=4000, repeats=200, presence_changes=3600,
                       roll_reads=(300_000, 300_000), alarms=100, map_reads=(400_000,), report_reads=(8192,),
                       ticket_steps=5, audit_lines=6)
    least = floor(events)
    assert least["swipes"] == {"rcu": 0.0, "wcu": 7600.0}  # a repeat costs nothing; presence 1 WCU a change
    assert least["rolls"] == {"rcu": 2 * 37.0, "wcu": 0.0}  # 300,000 B = 74 started 4 KB units, halved
    assert least["alarms"] == {"rcu": 0.0, "wcu": 100.0}
    assert least["star map"] == {"rcu": 49.0, "wcu": 0.0}  # 98 units, halved
    assert least["dorm report"] == {"rcu": 1.0, "wcu": 0.0}
    assert least["tickets"] == {"rcu": 0.0, "wcu": 11.0}  # one write per step and per audit line


def test_price_per_thousand_residents() -> None:
    assert price(rcu=4_000_000, wcu=2_000_000) == pytest.approx(1.0 + 2.5)  # $0.25 and $1.25 per million
    assert per_thousand(3.5, 10_000) == pytest.approx(0.35)
    assert per_thousand(3.5, 1000) == pytest.approx(3.5)


def test_priced_parts_share_and_ratio() -> None:
    least = floor(DayEvents(residents=2000, new_swipes=800_000, presence_changes=0, ticket_steps=200_000))
    billed = {name: {"rcu": 0.0, "wcu": 0.0} for name in least}
    billed["swipes"] = {"rcu": 0.0, "wcu": 1_600_000.0}  # twice its floor: $2.00
    billed["tickets"] = {"rcu": 2_000_000.0, "wcu": 200_000.0}  # $0.50 + $0.25 against a $0.25 floor
    figures = priced(billed, least, residents=2000)
    swipes, tickets, day = figures["parts"]["swipes"], figures["parts"]["tickets"], figures["day"]
    assert swipes["dollars"] == pytest.approx(2.0) and swipes["ratio"] == pytest.approx(2.0)
    assert tickets["dollars"] == pytest.approx(0.75) and tickets["ratio"] == pytest.approx(3.0)
    assert swipes["share"] == pytest.approx(2.0 / 2.75)
    assert swipes["per_1000"] == pytest.approx(1.0)
    assert day["dollars"] == pytest.approx(2.75) and day["floor_dollars"] == pytest.approx(1.25)
    assert day["ratio"] == pytest.approx(2.2) and day["per_1000"] == pytest.approx(1.375)
    assert figures["parts"]["alarms"]["ratio"] is None  # no floor, no ratio
