"""The opinion board's use cases (houqin.services.opinions.Opinions) over in-memory fakes: no moto, no network.

GIVEN the board with two leaders and two quality monitors of the same roles WHEN opinions are posted, replied to
and complaints worked through THEN the rate limit, the workflow's steps and who may take them, a monitor's view
of only their own complaints and the version check on stale copies hold."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from houqin.clock import FixedClock
from houqin.contract import parse
from houqin.domain.actors import Actor, Role
from houqin.domain.opinions import RATE_LIMIT, RateLimited
from houqin.errors import Conflict, Forbidden, NotFound
from houqin.services.opinions import Opinions, Post, ReplyInput, StaffQuery, Transition
from tests.fakes.opinions import FakeOpinions, FakeRateSlots

T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)  # the start of a rate window
IP_A, IP_B = "203.0.113.7", "198.51.100.9"
LEADER = Actor("E0001", frozenset({Role.LEADER}), "李主任")
LEADER_B = Actor("E0002", frozenset({Role.LEADER}), "周主任")
DISPATCHER = Actor("E0201", frozenset({Role.DISPATCHER}), "token name")
MONITOR_A = Actor("E0101", frozenset({Role.STAFF}))
MONITOR_B = Actor("E0102", frozenset({Role.STAFF}))


@pytest.fixture
def board():
    store = FakeOpinions(staff={"E0101": "钱监督", "E0102": "孙监督", "E0201": "王调度"},
                         departments={"WY": "物业中心"})
    return Opinions(opinions=store, rates=FakeRateSlots(), clock=FixedClock(T0))


def post(board: Opinions, ip: str = IP_A, **fields) -> dict:
    return board.post(parse(Post, {"type": "complaint", "text": "报修三天没人来", "contact": "13800001111",
                                   "category": "delay", **fields}), ip)


def step(board: Opinions, caller: Actor, opinion_id: str, version: int | None = None, **body) -> dict:
    return board.transition(caller, opinion_id, parse(Transition, body), version)


def staff_list(board: Opinions, caller: Actor, **query: str) -> dict:
    """The staff list for a query string as the route reads it."""
    return board.staff_list(caller, parse(StaffQuery, query, from_text=True))


def test_a_client_posts_at_most_the_limit_per_window(board):
    posted = [post(board) for _ in range(RATE_LIMIT)]
    assert [p["state"] for p in posted] == ["intake"] * RATE_LIMIT
    assert "contact" not in posted[0]  # the public never sees it
    board.clock.advance(minutes=4)
    with pytest.raises(RateLimited) as limited:
        post(board)
    assert limited.value.retry_after == 6 * 60  # until the window ends
    assert post(board, IP_B)["state"] == "intake"  # another client
    board.clock.advance(minutes=6)
    assert post(board)["state"] == "intake"  # the next window
    assert len(board.opinions.items) == RATE_LIMIT + 2


def test_a_complaint_goes_assign_refer_fix_archive_each_by_who_may(board):
    opinion_id = post(board)["opinion_id"]
    with pytest.raises(Forbidden):
        step(board, MONITOR_A, opinion_id, action="assign", monitor_id="E0101")  # leaders assign
    assert step(board, LEADER, opinion_id, action="assign", monitor_id="E0101")["monitor_name"] == "钱监督"
    with pytest.raises(Forbidden):
        step(board, MONITOR_B, opinion_id, action="refer", department_id="WY")  # not B's complaint
    referred = step(board, MONITOR_A, opinion_id, action="refer", department_id="WY")
    assert (referred["state"], referred["department_name"]) == ("with_unit", "物业中心")
    with pytest.raises(Conflict):
        step(board, LEADER, opinion_id, action="archive")  # not fixed yet
    fixed = step(board, MONITOR_A, opinion_id, action="fix", note="已派维修工上门")
    assert fixed["actions"] == []  # a monitor does not archive
    with pytest.raises(Forbidden):
        step(board, MONITOR_A, opinion_id, action="archive")
    archived = step(board, LEADER_B, opinion_id, action="archive")  # any leader may

    assert archived["state"] == "archived" and archived["version"] == 5
    assert [(h["action"], h["to_state"], h["by_id"]) for h in archived["history"]] == [
        ("posted", "intake", None), ("assign", "investigating", "E0001"), ("refer", "with_unit", "E0101"),
        ("fix", "fixed", "E0101"), ("archive", "archived", "E0002")]
    assert archived["history"][3]["text"] == "已派维修工上门" and archived["history"][2]["by_name"] == "钱监督"


def test_a_quality_monitor_sees_only_the_complaints_assigned_to_them(board):
    mine, theirs = post(board)["opinion_id"], post(board)["opinion_id"]
    step(board, LEADER, mine, action="assign", monitor_id="E0101")
    step(board, LEADER, theirs, action="assign", monitor_id="E0102")

    assert [o["opinion_id"] for o in staff_list(board, MONITOR_A, assigned="me")["items"]] == [mine]
    assert board.get(MONITOR_A, mine)["contact"] == "13800001111"
    with pytest.raises(NotFound):
        board.get(MONITOR_A, theirs)  # as if it did not exist
    with pytest.raises(Forbidden):
        staff_list(board, MONITOR_A)  # the whole list is for the desk and leaders
    assert len(staff_list(board, LEADER, state="investigating")["items"]) == 2


def test_of_two_leaders_on_the_same_version_the_second_change_is_refused(board):
    opinion_id = post(board)["opinion_id"]
    seen_a, seen_b = board.get(LEADER, opinion_id), board.get(LEADER_B, opinion_id)
    step(board, LEADER, opinion_id, seen_a["version"], action="assign", monitor_id="E0101")
    with pytest.raises(Conflict) as stale:
        step(board, LEADER_B, opinion_id, seen_b["version"], action="assign", monitor_id="E0102")
    assert stale.value.code == "version_conflict"
    assert board.get(LEADER, opinion_id)["monitor_id"] == "E0101"


def test_a_staff_reply_answers_an_enquiry_signed_with_the_staff_records_name(board):
    opinion_id = post(board, type="enquiry", category=None)["opinion_id"]
    assert post(board, type="enquiry", category=None)["state"] == "open"
    with pytest.raises(Forbidden):
        board.reply(MONITOR_A, opinion_id, parse(ReplyInput, {"text": "x"}), None)
    replied = board.reply(DISPATCHER, opinion_id, parse(ReplyInput, {"text": "周三上午处理"}), None)
    assert replied["state"] == "replied"
    assert board.public(opinion_id)["replies"] == [{"text": "周三上午处理", "by_name": "王调度",
                                                    "at": "2025-03-03T01:00:00.000Z"}]
