"""The gates API: a resident's entries and exits, unknown cards, reader progress, quarantine, by permission."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from houqin.clock import FixedClock
from houqin.services.swipes import Swipes
from tests.conftest import load_function_module
from tests.integration import dorm_fixture as world
from tests.integration.apigw import Context, User, call
from tests.integration.sqs import batch, message, record, swipe

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


@pytest.fixture
def app(aws, template):
    world.build()
    gate = world.Gate()
    gate.swipe("S1", "out", NOW - timedelta(hours=3))
    gate.swipe("S1", "in", NOW - timedelta(hours=1))
    gate.swipe("S1", "out", NOW - timedelta(days=20))
    gate.swipe("S3", "out", NOW - timedelta(hours=2))
    gate.swipe("V7777777", "in", NOW - timedelta(minutes=30))
    gate.swipe("S5", "in", NOW - timedelta(minutes=20), reader_id="SB02-A")
    gate.swipe("V8888888", "in", NOW - timedelta(minutes=10), reader_id="SB02-A")
    module = load_function_module(template, "GatesFunction")
    module.service = Swipes(clock=FixedClock(NOW))  # the production repositories (moto), a pinned clock
    return module.app


def history(app, user, resident_id="S1", **query):
    return call(app, "GET", "/residents/{resident_id}/swipes", user=user, query=query or None,
                resident_id=resident_id)


def test_a_student_sees_their_own_history_newest_first_and_not_another_students(app):
    mine = history(app, world.STUDENT_1)
    assert mine.status == 200
    assert [s["direction"] for s in mine.body["items"]] == ["in", "out"]  # the last 7 days, newest first
    assert mine.body["items"][0]["reader_id"] == "SB01-A"
    assert history(app, world.STUDENT_2).status == 404
    older = history(app, world.STUDENT_1, **{"from": "2026-10-25", "to": "2026-11-20"})
    assert len(older.body["items"]) == 3


def test_a_parent_sees_only_their_childs_recent_entries_and_exits(app):
    mine = history(app, world.PARENT_1)
    assert mine.status == 200 and [s["direction"] for s in mine.body["items"]] == ["in", "out"]
    assert set(mine.body["items"][0]) == {"ts", "direction", "building_id"}  # no card or reader details
    assert history(app, world.PARENT_2).status == 404
    too_far = history(app, world.PARENT_1, **{"from": "2026-10-25"})
    assert too_far.status == 400 and too_far.body["error"]["field"] == "from"


def test_managers_and_counsellors_see_only_their_residents(app):
    assert history(app, world.MANAGER_1).status == 200
    assert history(app, world.MANAGER_2).status == 404
    assert history(app, world.MANAGER_2, resident_id="S5").status == 200
    assert history(app, world.COUNSELLOR_1).status == 200  # S1 is in 计算机学院
    assert history(app, world.COUNSELLOR_2).status == 404
    assert history(app, world.COUNSELLOR_2, resident_id="S3").status == 200  # 机械工程学院 2025
    assert history(app, world.COUNSELLOR_2, resident_id="S4").status == 404  # grade 2024 is not theirs


@pytest.mark.parametrize("query, field", [({"from": "2026-11-20", "to": "2026-11-01"}, "from"),
                                          ({"from": "2026-01-01", "to": "2026-11-20"}, "from"),
                                          ({"to": "20 Nov"}, "to")])
def test_bad_ranges_are_400_naming_the_field(app, query, field):
    reply = history(app, world.MANAGER_1, **query)
    assert reply.status == 400 and reply.body["error"]["field"] == field


def test_unknown_cards_for_the_duty_desk_and_each_manager_their_own_buildings(app):
    desk = call(app, "GET", "/gates/unknown", user=world.DISPATCHER, query={"campus_id": "SB", "date": "2026-11-20"})
    assert [s["card_id"] for s in desk.body["items"]] == ["V8888888", "V7777777"]
    mine = call(app, "GET", "/gates/unknown", user=world.MANAGER_1, query={"campus_id": "SB"})
    assert [s["card_id"] for s in mine.body["items"]] == ["V7777777"]
    other = call(app, "GET", "/gates/unknown", user=world.MANAGER_2, query={"campus_id": "SB"})
    assert [s["card_id"] for s in other.body["items"]] == ["V8888888"]
    assert call(app, "GET", "/gates/unknown", user=world.STUDENT_1, query={"campus_id": "SB"}).status == 403
    missing = call(app, "GET", "/gates/unknown", user=world.DISPATCHER)
    assert missing.status == 400 and missing.body["error"]["field"] == "campus_id"


def test_reader_progress_for_the_buildings_manager_only(app, template):
    swipes_fn = load_function_module(template, "SwipesFunction")
    reading = message("SB01-B", NOW, [swipe(1, "C0000001", "in", NOW), swipe(4, "C0000002", "in", NOW)])
    swipes_fn.handler(batch(record(reading, NOW)), Context())
    reply = call(app, "GET", "/gates/readers", user=world.MANAGER_1, query={"building_id": "SB01"})
    assert reply.status == 200
    by_id = {r["reader_id"]: r for r in reply.body["items"]}
    assert set(by_id) == {"SB01-A", "SB01-B"}
    assert by_id["SB01-B"]["gaps"] == [{"first": 2, "last": 3, "missing": 2, "since": "2026-11-20T04:00:00.000Z"}]
    assert by_id["SB01-B"]["watermark"] == "2026-11-20T04:00:00.000Z"
    assert by_id["SB01-A"]["watermark"] is None  # its swipes here came from the fixture, not from messages
    assert call(app, "GET", "/gates/readers", user=world.MANAGER_2, query={"building_id": "SB01"}).status == 404
    assert call(app, "GET", "/gates/readers", user=world.DISPATCHER, query={"building_id": "SB01"}).status == 200


def test_quarantine_is_for_admins_and_the_duty_desk(app, template):
    swipes_fn = load_function_module(template, "SwipesFunction")
    swipes_fn.handler(batch(record("garbage", NOW, "m-1")), Context())
    reply = call(app, "GET", "/swipes/quarantine", user=world.ADMIN, query={"date": "2026-11-20"})
    assert reply.status == 200
    [kept] = reply.body["items"]
    assert (kept["raw"], kept["message_id"], kept["reason"]) == ("garbage", "m-1", "the message is not JSON")
    assert call(app, "GET", "/swipes/quarantine", user=world.MANAGER_1).status == 403
    assert call(app, "GET", "/swipes/quarantine", user=User("D2", "dispatcher"),
                query={"date": "2026-11-20"}).body["items"] == [kept]


# ---------------------------------------------------------------- what each route declares
def test_every_route_declares_who_may_call_it_and_what_it_does(app):
    assert {(d.path, d.method) for d in app.declared} == {
        ("/residents/{resident_id}/swipes", "GET"), ("/gates/unknown", "GET"), ("/gates/readers", "GET"),
        ("/swipes/quarantine", "GET")}
    assert all(d.roles and d.view.__doc__ for d in app.declared)  # none is public


@pytest.mark.parametrize(("resource", "query", "field"), [
    ("/residents/{resident_id}/swipes", {"days": "7"}, "days"),
    ("/residents/{resident_id}/swipes", {"from": "2026-11-14", "until": "2026-11-20"}, "until"),
    ("/gates/unknown", {"campus_id": "SB", "building_id": "SB01"}, "building_id"),
    ("/gates/unknown", {"campus_id": "SB", "date": "2026-11-31"}, "date"),
    ("/gates/unknown", {"campus_id": "S B"}, "campus_id"),
    ("/gates/readers", {"building_id": "SB01", "reader_id": "SB01-A"}, "reader_id"),
    ("/swipes/quarantine", {"reader_id": "SB01-A"}, "reader_id"),
    ("/swipes/quarantine", {"limit": "101"}, "limit"),
])
def test_a_parameter_a_route_does_not_declare_or_a_bad_value_is_400_naming_it(app, resource, query, field):
    reply = call(app, "GET", resource, user=world.ADMIN, query=query, resident_id="S1")
    assert reply.status == 400 and reply.body["error"]["field"] == field, reply.body


def test_a_body_on_a_read_is_400(app):
    reply = call(app, "GET", "/gates/readers", user=world.ADMIN, query={"building_id": "SB01"}, body={"x": 1})
    assert reply.status == 400 and reply.body["error"]["field"] == "body"


@pytest.mark.parametrize(("user", "resource", "query"), [
    (User("W1", "worker"), "/residents/{resident_id}/swipes", None),
    (world.DISPATCHER, "/residents/{resident_id}/swipes", None),  # the desk watches gates, not residents
    (world.COUNSELLOR_1, "/gates/unknown", {"campus_id": "SB"}),
    (world.STUDENT_1, "/gates/readers", {"building_id": "SB01"}),
    (world.LEADER, "/swipes/quarantine", None),
])
def test_a_role_the_route_does_not_declare_is_403(app, user, resource, query):
    reply = call(app, "GET", resource, user=user, query=query, resident_id="S1")
    assert reply.status == 403 and reply.body["error"]["code"] == "forbidden"
