"""The leave API (请假): students apply, counsellors decide by scope, dorm managers register for their
buildings, lists per role, and the store's indexes the night roll and the counsellors read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from houqin.clock import FixedClock, to_iso
from houqin.domain import leave as rules
from houqin.domain.actors import Actor, Role
from houqin.domain.leave import on_leave
from houqin.errors import Conflict
from houqin.services.leave import Leaves
from houqin.store import leave as store
from localcloud import demo, demo_leave
from tests.conftest import load_function_module
from tests.integration import dorm_fixture as world
from tests.integration.apigw import User, call

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # Friday 12:00 in Shanghai
WEEKEND = {"start": "2026-11-21", "end": "2026-11-22", "reason": "回家 family visit"}  # Sat 00:00 to Mon 00:00
STUDENT_3, STUDENT_4, STUDENT_6 = User("S3", "student"), User("S4", "student"), User("S6", "student")
WORKER = User("W1", "worker")


@pytest.fixture
def api(aws, template):
    world.build()
    module = load_function_module(template, "LeaveFunction")
    module.service = Leaves(clock=FixedClock(NOW))  # the production repositories (moto), a pinned clock
    return module


@pytest.fixture
def app(api):
    return api.app


def apply(app, user=world.STUDENT_1, **body):
    return call(app, "POST", "/leave-requests", user=user, body={**WEEKEND, **body})


def apply_in_turn(api, user=world.STUDENT_1, **body):
    """Apply a minute after the previous one (lists ordered by application time have one answer)."""
    api.service.clock.advance(minutes=1)
    return apply(api.app, user, **body)


def act(app, user, leave_id, action, **body):
    return call(app, "POST", "/leave-requests/{leave_id}/{action}", user=user, body=body or None,
                leave_id=leave_id, action=action)


def get(app, user, leave_id):
    return call(app, "GET", "/leave-requests/{leave_id}", user=user, leave_id=leave_id)


def listed(app, user, **query):
    return call(app, "GET", "/leave-requests", user=user, query=query or None)


def ids(reply):
    return [item["leave_id"] for item in reply.body["items"]]


def pending_ids(department):
    return [item.leave_id for item in store.pending_of(department, limit=100, cursor=None).items]


# ---------------------------------------------------------------- applying
def test_a_student_applies_for_themselves_with_local_dates_and_the_leave_waits_for_a_counsellor(app):
    reply = apply(app)
    assert reply.status == 201
    leave = reply.body
    assert (leave["state"], leave["resident_id"], leave["applied_by"], leave["version"]) == ("pending", "S1", "S1", 1)
    assert (leave["start"], leave["end"]) == ("2026-11-20T16:00:00.000Z", "2026-11-22T16:00:00.000Z")  # 2 nights
    assert (leave["building_id"], leave["department"], leave["grade"]) == ("SB01", "计算机学院", "2025")
    assert leave["applied_at"] == to_iso(NOW) and leave["decided_by"] is None
    assert leave["leave_id"].startswith("L261120-")
    assert apply(app, resident_id="S1").status == 201  # naming themselves is fine too
    timed = apply(app, start="2026-11-21T08:00:00+08:00", end="2026-11-21T20:00:00Z")
    assert (timed.body["start"], timed.body["end"]) == ("2026-11-21T00:00:00.000Z", "2026-11-21T20:00:00.000Z")


def test_a_student_cannot_apply_for_someone_else_and_other_roles_do_not_apply(app):
    assert apply(app, resident_id="S2").status == 404  # another student is not theirs to see
    assert apply(app, user=world.PARENT_1, resident_id="S1").status == 403
    assert apply(app, user=world.COUNSELLOR_1, resident_id="S1").status == 403
    assert apply(app, user=WORKER, resident_id="S1").status == 403
    note = apply(app, note="approved by phone")
    assert note.status == 400 and note.body["error"]["field"] == "note"
    assert listed(app, world.STUDENT_2).body["items"] == []


@pytest.mark.parametrize(("body", "field"), [
    ({"start": "2026-11-32"}, "start"),
    ({"start": "next friday"}, "start"),
    ({"start": "2026-11-21T08:00:00"}, "start"),  # no offset
    ({"end": "21/11/2026"}, "end"),
    ({"end": "2026-11-20"}, "end"),  # before the start
    ({"start": "2026-11-10", "end": "2026-11-19"}, "end"),  # over already
    ({"end": "2028-01-01"}, "end"),  # longer than a year
    ({"start": None}, "start"),
    ({"end": 20261122}, "end"),
    ({"reason": "  "}, "reason"),
    ({"state": "approved"}, "state"),  # not a field a student may set
])
def test_bad_input_is_400_naming_the_field(app, body, field):
    reply = apply(app, **body)
    assert reply.status == 400, reply.body
    assert reply.body["error"]["field"] == field


def test_an_unplaced_student_applies_too_and_only_the_counsellor_sees_it_in_the_pending_list(app):
    reply = apply(app, user=STUDENT_6)
    assert reply.status == 201 and reply.body["building_id"] is None
    assert pending_ids("计算机学院") == [reply.body["leave_id"]]
    assert store.leaves_of_building("SB01", NOW) == []


# ---------------------------------------------------------------- deciding
def test_only_the_counsellor_whose_scope_covers_the_resident_approves_and_only_once(app):
    leave_id = apply(app).body["leave_id"]
    assert pending_ids("计算机学院") == [leave_id]
    assert act(app, world.COUNSELLOR_2, leave_id, "approve").status == 404  # 机械工程学院: not theirs
    assert act(app, world.STUDENT_1, leave_id, "approve").status == 403  # sees it, not a counsellor
    assert act(app, world.MANAGER_1, leave_id, "approve").status == 403
    approved = act(app, world.COUNSELLOR_1, leave_id, "approve", note="注意安全")
    assert approved.status == 200
    decision = (approved.body["state"], approved.body["decided_by"], approved.body["note"])
    assert decision == ("approved", "T1", "注意安全")
    assert approved.body["decided_at"] == to_iso(NOW) and approved.body["version"] == 2
    assert pending_ids("计算机学院") == []  # the sparse index no longer holds it
    again = act(app, world.COUNSELLOR_1, leave_id, "approve")
    assert again.status == 409 and again.body["error"]["code"] == "illegal_transition"
    assert act(app, world.COUNSELLOR_1, leave_id, "reject", note="no").status == 409
    assert get(app, world.STUDENT_1, leave_id).body["state"] == "approved"


def test_a_counsellor_of_some_grades_decides_only_for_those(app):
    mine = apply(app, user=STUDENT_3).body["leave_id"]  # 机械工程学院 2025
    older = apply(app, user=STUDENT_4).body["leave_id"]  # 机械工程学院 2024
    assert ids(listed(app, world.COUNSELLOR_2)) == [mine]  # the pending list keeps to their grades
    assert act(app, world.COUNSELLOR_2, older, "approve").status == 404
    assert act(app, world.COUNSELLOR_1, mine, "approve").status == 404
    assert act(app, world.COUNSELLOR_2, mine, "approve").status == 200


def test_a_rejection_needs_a_note_for_the_student(app):
    leave_id = apply(app).body["leave_id"]
    for body in ({}, {"note": "   "}):
        reply = act(app, world.COUNSELLOR_1, leave_id, "reject", **body)
        assert reply.status == 400 and reply.body["error"]["field"] == "note"
    rejected = act(app, world.COUNSELLOR_1, leave_id, "reject", note="期末考试周，不批")
    assert rejected.status == 200
    assert (rejected.body["state"], rejected.body["note"]) == ("rejected", "期末考试周，不批")
    assert pending_ids("计算机学院") == []
    unknown = act(app, world.COUNSELLOR_1, leave_id, "reject", reason="x")
    assert unknown.status == 400 and unknown.body["error"]["field"] == "reason"


def test_two_decisions_on_the_same_copy_do_not_both_win(app):
    leave_id = apply(app).body["leave_id"]
    first, second = store.get(leave_id), store.get(leave_id)  # two counsellors read it at once
    assert act(app, world.COUNSELLOR_1, leave_id, "approve").status == 200  # the first one's write
    other = Actor("T1", frozenset({Role.COUNSELLOR}))
    with pytest.raises(Conflict) as lost:  # the second one's write, decided on the copy it read
        store.save_change(second, rules.reject(store.to_domain(second), other, NOW, "no"))
    assert lost.value.status == 409 and lost.value.code == "version_conflict"
    assert store.get(leave_id).state == "approved" and int(first.version) == 1


def test_an_unknown_action_is_404_naming_it(app):
    leave_id = apply(app).body["leave_id"]
    reply = act(app, world.COUNSELLOR_1, leave_id, "postpone", note="x")
    assert reply.status == 404 and "postpone" in reply.body["error"]["message"]
    assert act(app, world.PARENT_1, leave_id, "postpone").status == 403  # parents decide nothing


# ---------------------------------------------------------------- what each route declares
def test_every_route_declares_who_may_call_it_and_what_it_does(api):
    declared = api.app.declared
    assert {(d.path, d.method) for d in declared} == {
        ("/leave-requests", "POST"), ("/leave-requests", "GET"), ("/leave-requests/{leave_id}", "GET"),
        ("/leave-requests/{leave_id}/{action}", "POST")}
    assert all(d.roles for d in declared)  # none is public
    assert all(d.view.__doc__ for d in declared)


@pytest.mark.parametrize(("method", "resource", "request_", "field"), [
    ("POST", "/leave-requests", {"body": {**WEEKEND, "leave_id": "L1"}}, "leave_id"),
    ("POST", "/leave-requests", {"body": WEEKEND, "query": {"resident_id": "S1"}}, "resident_id"),
    ("GET", "/leave-requests", {"query": {"department": "计算机学院"}}, "department"),
    ("GET", "/leave-requests/{leave_id}", {"query": {"version": "1"}}, "version"),
    ("GET", "/leave-requests/{leave_id}", {"body": {"state": "approved"}}, "body"),
    ("POST", "/leave-requests/{leave_id}/{action}", {"body": {"note": "好", "state": "approved"}}, "state"),
    ("POST", "/leave-requests/{leave_id}/{action}", {"body": {"note": 7}}, "note"),
])
def test_a_field_or_parameter_a_route_does_not_declare_is_400_naming_it(app, method, resource, request_, field):
    leave_id = apply(app).body["leave_id"]
    reply = call(app, method, resource, user=world.STUDENT_1, leave_id=leave_id, action="cancel", **request_)
    assert reply.status == 400 and reply.body["error"]["field"] == field, reply.body
    assert get(app, world.STUDENT_1, leave_id).body["state"] == "pending"  # nothing changed
    assert len(listed(app, world.STUDENT_1).body["items"]) == 1  # nothing applied


def test_a_role_the_route_does_not_declare_is_403(app):
    leave_id = apply(app).body["leave_id"]
    assert listed(app, WORKER, building_id="SB01").status == 403
    assert act(app, world.LEADER, leave_id, "approve").status == 403  # leaders see leaves, they do not decide
    assert apply(app, user=User("F1", "finance"), resident_id="S1").status == 403
    assert get(app, world.STUDENT_1, leave_id).body["state"] == "pending"


# ---------------------------------------------------------------- cancelling
def test_the_applicant_cancels_a_pending_leave_and_nobody_else_does(app):
    leave_id = apply(app).body["leave_id"]
    assert act(app, world.STUDENT_2, leave_id, "cancel").status == 404
    assert act(app, world.COUNSELLOR_1, leave_id, "cancel").status == 403  # sees it, did not apply
    assert act(app, world.PARENT_1, leave_id, "cancel").status == 403
    cancelled = act(app, world.STUDENT_1, leave_id, "cancel", note="plans changed")
    assert cancelled.status == 200
    assert (cancelled.body["state"], cancelled.body["decided_by"], cancelled.body["note"]) == ("cancelled", "S1",
                                                                                              "plans changed")
    assert pending_ids("计算机学院") == []
    assert act(app, world.STUDENT_1, leave_id, "cancel").status == 409
    assert act(app, world.COUNSELLOR_1, leave_id, "approve").status == 409


def test_an_approved_leave_is_cancelled_only_before_it_starts(api, app):
    early, late = (apply(app).body["leave_id"] for _ in range(2))
    for leave_id in (early, late):
        assert act(app, world.COUNSELLOR_1, leave_id, "approve").status == 200
    assert act(app, world.STUDENT_1, early, "cancel").body["state"] == "cancelled"  # Friday noon: not started
    api.service.clock.current = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)  # Saturday 09:00: under way
    started = act(app, world.STUDENT_1, late, "cancel")
    assert started.status == 409 and started.body["error"]["code"] == "leave_started"


# ---------------------------------------------------------------- dorm managers register
def test_a_dorm_manager_registers_an_approved_leave_only_for_their_buildings(app):
    reply = apply(app, user=world.MANAGER_1, resident_id="S1", note="家长电话请假")
    assert reply.status == 201
    assert (reply.body["state"], reply.body["applied_by"], reply.body["decided_by"], reply.body["note"]) == (
        "approved", "M1", "M1", "家长电话请假")
    assert pending_ids("计算机学院") == []  # approved at once: never pending
    assert apply(app, user=world.MANAGER_2, resident_id="S1").status == 404  # S1 lives in SB01
    other = apply(app, user=world.MANAGER_2, resident_id="S5")
    assert other.status == 201 and other.body["building_id"] == "SB02"
    assert apply(app, user=world.MANAGER_1, resident_id="S6").status == 404  # no bed: not in their buildings
    missing = apply(app, user=world.MANAGER_1)
    assert missing.status == 400 and missing.body["error"]["field"] == "resident_id"
    assert apply(app, user=world.LEADER, resident_id="S1").status == 403
    assert ids(listed(app, world.STUDENT_1)) == [reply.body["leave_id"]]  # the student sees it


# ---------------------------------------------------------------- seeing
def test_who_sees_a_leave(app):
    leave_id = apply(app).body["leave_id"]
    for user in (world.STUDENT_1, world.PARENT_1, world.COUNSELLOR_1, world.MANAGER_1, world.LEADER, world.ADMIN):
        assert get(app, user, leave_id).status == 200, user
    for user in (world.STUDENT_2, world.PARENT_2, world.COUNSELLOR_2, world.MANAGER_2):
        assert get(app, user, leave_id).status == 404, user
    assert get(app, WORKER, leave_id).status == 403  # no role that sees leaves: refused whatever the id
    assert get(app, world.ADMIN, "L000000-NOPE").status == 404
    assert get(app, world.ADMIN, "no such id!").status == 404


def test_lists_per_role(api, app):
    s1 = apply_in_turn(api).body["leave_id"]
    s2 = apply_in_turn(api, world.STUDENT_2).body["leave_id"]
    s3 = apply(app, user=STUDENT_3).body["leave_id"]
    s5 = apply(app, user=world.MANAGER_2, resident_id="S5").body["leave_id"]
    assert ids(listed(app, world.STUDENT_1)) == [s1]
    assert listed(app, world.STUDENT_1, resident_id="S2").status == 404
    assert ids(listed(app, world.PARENT_1)) == [s1] and ids(listed(app, world.PARENT_2)) == [s2]
    assert listed(app, world.PARENT_1, resident_id="S2").status == 404
    twins = User("P3", "parent", ("S1", "S2"))
    assert listed(app, twins).body["error"]["field"] == "resident_id"
    assert ids(listed(app, twins, resident_id="S2")) == [s2]
    assert ids(listed(app, world.COUNSELLOR_1)) == [s1, s2]  # pending, oldest first
    assert ids(listed(app, world.COUNSELLOR_1, state="pending")) == [s1, s2]
    assert ids(listed(app, world.COUNSELLOR_2)) == [s3]
    assert listed(app, world.COUNSELLOR_1, state="approved").body["error"]["field"] == "state"
    assert ids(listed(app, world.COUNSELLOR_1, resident_id="S2")) == [s2]
    assert listed(app, world.COUNSELLOR_1, resident_id="S3").status == 404
    assert listed(app, world.COUNSELLOR_2, resident_id="S5", state="approved").body["items"][0]["leave_id"] == s5
    assert set(ids(listed(app, world.MANAGER_1, building_id="SB01"))) == {s1, s2, s3}
    assert ids(listed(app, world.MANAGER_1, building_id="SB01", state="pending")) != []
    assert listed(app, world.MANAGER_1, building_id="SB02").status == 404
    assert listed(app, world.MANAGER_1).body["error"]["field"] == "building_id"
    assert ids(listed(app, world.MANAGER_2, building_id="SB02")) == [s5]
    assert ids(listed(app, world.LEADER, building_id="SB02")) == [s5]
    assert listed(app, world.LEADER, building_id="SB99").status == 404
    assert listed(app, WORKER).status == 403
    assert listed(app, world.STUDENT_1, state="maybe").body["error"]["field"] == "state"


def test_a_managers_building_list_keeps_the_leaves_ending_from_today_on(app):
    over = apply(app, user=world.MANAGER_1, resident_id="S1", start="2026-11-10", end="2026-11-19").body["leave_id"]
    today = apply(app, user=world.MANAGER_1, resident_id="S2", start="2026-11-19", end="2026-11-20").body["leave_id"]
    assert ids(listed(app, world.MANAGER_1, building_id="SB01")) == [today]
    assert over in ids(listed(app, world.STUDENT_1))


def test_lists_are_paged_with_a_cursor(api, app):
    made = [apply_in_turn(api, start=f"2026-12-0{day}", end=f"2026-12-0{day}").body["leave_id"] for day in (1, 2, 3)]
    first = listed(app, world.STUDENT_1, limit="2")
    assert ids(first) == [made[2], made[1]] and first.body["cursor"]  # latest start first
    second = listed(app, world.STUDENT_1, limit="2", cursor=first.body["cursor"])
    assert ids(second) == [made[0]] and second.body["cursor"] is None
    pending = listed(app, world.COUNSELLOR_1, limit="2")
    assert ids(pending) == made[:2]
    assert ids(listed(app, world.COUNSELLOR_1, limit="2", cursor=pending.body["cursor"])) == made[2:]
    foreign = listed(app, world.STUDENT_2, limit="2", cursor=first.body["cursor"])
    assert foreign.status == 400 and foreign.body["error"]["field"] == "cursor"
    assert listed(app, world.STUDENT_1, limit="0").body["error"]["field"] == "limit"


# ---------------------------------------------------------------- the night roll's query
def test_leaves_of_building_are_those_ending_after_the_moment_in_every_state(app):
    weekend = apply(app, user=world.MANAGER_1, resident_id="S1", start="2026-11-20").body  # Fri to Mon 00:00 local
    pending = apply(app, user=world.STUDENT_2, start="2026-11-20", end="2026-11-20").body  # to Saturday 00:00
    short = apply(app, user=world.MANAGER_1, resident_id="S3", start="2026-11-20T20:00:00+08:00",
                  end="2026-11-20T23:00:00+08:00").body
    apply(app, user=world.MANAGER_2, resident_id="S5")  # another building
    friday_roll = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 23:00 local
    found = store.leaves_of_building("SB01", friday_roll)
    assert {leave.leave_id for leave in found} == {weekend["leave_id"], pending["leave_id"]}  # ends at 23:00: out
    assert {leave.state.value for leave in found} == {"approved", "pending"}
    assert on_leave(found, "S1", friday_roll) and not on_leave(found, "S2", friday_roll)
    earlier = store.leaves_of_building("SB01", friday_roll - timedelta(hours=1))
    assert short["leave_id"] in {leave.leave_id for leave in earlier}
    assert on_leave(earlier, "S3", friday_roll - timedelta(hours=1))
    saturday_roll = friday_roll + timedelta(days=1)
    assert [leave.leave_id for leave in store.leaves_of_building("SB01", saturday_roll)] == [weekend["leave_id"]]
    assert store.leaves_of_building("SB01", datetime(2026, 11, 22, 16, 0, tzinfo=UTC)) == []
    domain = found[0] if found[0].leave_id == weekend["leave_id"] else found[1]
    assert (domain.start, domain.end) == (datetime(2026, 11, 19, 16, 0, tzinfo=UTC),
                                          datetime(2026, 11, 22, 16, 0, tzinfo=UTC))


# ---------------------------------------------------------------- demo data
def test_the_demo_leaves_load_where_the_roll_and_the_counsellors_find_them(app):
    data = demo.generate()
    for resident in data.residents[:demo_leave.CANDIDATES]:
        demo.resident_item(resident).save()
    assert demo_leave.load(NOW) == 8
    tonight = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 23:00 local
    home = data.residents[0]["building_id"]
    assert on_leave(store.leaves_of_building(home, tonight), "S00001", tonight)
    assert len(pending_ids("计算机学院")) == 2 and len(pending_ids("机械工程学院")) == 1
    mine = listed(app, User("S00001", "student"))
    assert [item["state"] for item in mine.body["items"]] == ["approved"]
    assert mine.body["items"][0]["decided_by"] == "E0723"  # 松北's demo manager
