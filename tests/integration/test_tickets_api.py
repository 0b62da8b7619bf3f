"""GIVEN the tickets function under moto WHEN people use it through API Gateway events THEN the
life cycle, time limits, fees, ratings, lists, permissions and validation hold."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from houqin.clock import FixedClock
from houqin.services.tickets import Tickets
from tests.conftest import load_function_module
from tests.integration.apigw import Context, User, call

STUDENT, OTHER_STUDENT = User("S00001", "student"), User("S00002", "student")
WORKER, TEAMMATE, ELECTRICIAN = User("E0001", "worker"), User("E0002", "worker"), User("E0009", "worker")
DESK, OTHER_DESK = User("E0097", "dispatcher"), User("E0099", "dispatcher")
LEADER, ADMIN, PARENT = User("E1602", "leader"), User("E1603", "admin"), User("PS00001", "parent", ("S00001",))

# 10:00 in Shanghai on 2026-11-23.
START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
LEAK = {"campus_id": "SB", "building_id": "SB01", "room_no": "101", "category": "water", "severity": "minor",
        "description": "卫生间水龙头漏水", "contact_phone": "13800000000"}
LINES = [{"kind": "labour", "code": "L01", "name": "更换水龙头", "quantity": 1, "unit_price_fen": 2000},
         {"kind": "material", "code": "M17", "name": "水龙头", "quantity": "1", "unit_price_fen": 3550},
         {"kind": "material", "code": "M03", "name": "生料带", "quantity": 2.5, "unit_price_fen": 101,
          "reused": True}]


@pytest.fixture
def api(aws):
    from houqin.store import dorms, staff, tickets

    dorms.Campus.make("SB", "松北").save()
    dorms.Campus.make("JN", "江南").save()
    dorms.Building.make("SB01", "SB", "松北一公寓", 6).save()
    dorms.Room.make("SB01", "101", 1, "M", 4).save()
    for team_id, trade in (("SB-WATER", "水"), ("SB-ELEC", "电")):
        staff.RepairTeam.make(team_id, f"松北{trade}维修点", trade, "SB", "0451-1").save()
    for staff_id, team in (("E0001", "SB-WATER"), ("E0002", "SB-WATER"), ("E0009", "SB-ELEC")):
        staff.StaffMember.make(staff_id, "WY", team, name=staff_id, gender="M", post="维修工", contract="regular",
                               phone="13900000000").save()
    for rule_id, team in (("water.SB", "SB-WATER"), ("electric.SB", "SB-ELEC")):
        tickets.RoutingRule.make(rule_id, team, "E1603", "2026-11-01T00:00:00.000Z").save()
    module = load_function_module(aws, "TicketsFunction")
    module.service = Tickets(clock=FixedClock(START))
    return module


def post(api, user, resource, body=None, **kwargs):
    return call(api.app, "POST", resource, user=user, body=body, **kwargs)


def get(api, user, resource, **kwargs):
    return call(api.app, "GET", resource, user=user, **kwargs)


def act(api, user, ticket_id, action, headers=None, **fields):
    return post(api, user, "/tickets/{ticket_id}/transitions", {"action": action, **fields}, ticket_id=ticket_id,
                headers=headers)


def report(api, user=STUDENT, **overrides):
    reply = post(api, user, "/tickets", {**LEAK, **overrides})
    assert reply.status == 201, reply.body
    return reply.body


def completed(api, **overrides):
    ticket = report(api, **overrides)
    for action in ("accept", "start"):
        assert act(api, WORKER, ticket["ticket_id"], action).status == 200
    reply = act(api, WORKER, ticket["ticket_id"], "complete", lines=LINES)
    assert reply.status == 200, reply.body
    return reply.body


# ---------------------------------------------------------------- the life cycle
def test_a_web_report_is_routed_worked_rated_and_closed_with_a_full_audit_trail(api):
    ticket = report(api)
    assert ticket["state"] == "dispatched" and ticket["team_id"] == "SB-WATER"
    assert ticket["received_by"] == "S00001" and ticket["owner"] == "team:SB-WATER"
    tid = ticket["ticket_id"]

    assert act(api, WORKER, tid, "accept").body["owner"] == "E0001"
    api.service.clock.advance(minutes=5)
    assert act(api, WORKER, tid, "start").body["state"] == "in_progress"
    assert act(api, WORKER, tid, "hold", reason="等配件").body["state"] == "on_hold"
    api.service.clock.advance(minutes=30)
    resumed = act(api, WORKER, tid, "resume").body
    assert resumed["deadline"] == "2026-11-23T03:30:00.000Z"  # 1 h + 30 min on hold
    done = act(api, WORKER, tid, "complete", lines=LINES).body
    assert done["state"] == "completed" and done["sla"]["met"] is True
    assert done["fee_fen"] == 2000 + 3550 + 253  # 2.5 x 101 = 252.5, rounded half up
    assert [line["amount_fen"] for line in done["lines"]] == [2000, 3550, 253]

    rated = post(api, STUDENT, "/tickets/{ticket_id}/rating",
                 {"attitude": 5, "speed": 4, "quality": 5, "price": 4, "comment": "很快"}, ticket_id=tid)
    assert rated.status == 200 and rated.body["state"] == "confirmed"
    closed = act(api, DESK, tid, "close", reason="费用已结清")
    assert closed.body["state"] == "closed" and closed.body["version"] == 8

    detail = get(api, STUDENT, "/tickets/{ticket_id}", ticket_id=tid).body
    trail = detail["audit_trail"]
    assert [e["action"] for e in trail] == ["submit", "dispatch", "accept", "start", "hold", "resume", "complete",
                                           "rate", "close"]
    assert trail[1]["by"] == "system" and trail[2]["by"] == "E0001" and trail[-1]["by"] == "E0097"
    assert trail[4]["changes"]["reason"] == [None, "等配件"]
    assert [(h["from"], h["to"]) for h in detail["handovers"]] == [("system", "team:SB-WATER"),
                                                                   ("team:SB-WATER", "E0001")]


def test_an_illegal_transition_is_409_naming_the_current_state(api):
    ticket = completed(api)
    reply = act(api, WORKER, ticket["ticket_id"], "start")
    assert reply.status == 409
    assert reply.body["error"]["code"] == "illegal_transition"
    assert "completed" in reply.body["error"]["message"]


def test_a_stale_version_is_409_and_changes_nothing(api):
    ticket = report(api)  # the worker reads version 1 ...
    assert ticket["version"] == 1
    act(api, DESK, ticket["ticket_id"], "dispatch", team_id="SB-WATER", worker_id="E0002", reason="指派")
    stale = act(api, TEAMMATE, ticket["ticket_id"], "accept", headers={"If-Match": '"1"'})  # ... the desk moved it on
    assert stale.status == 409 and stale.body["error"]["code"] == "version_conflict"
    assert get(api, DESK, "/tickets/{ticket_id}", ticket_id=ticket["ticket_id"]).body["worker_id"] == "E0002"
    fresh = act(api, TEAMMATE, ticket["ticket_id"], "accept", headers={"If-Match": '"2"'})
    assert fresh.status == 200 and fresh.headers["ETag"] == '"3"'
    assert act(api, TEAMMATE, ticket["ticket_id"], "start", headers={"If-Match": "two"}).body["error"]["field"] == \
        "If-Match"


def test_two_concurrent_writers_of_one_version_one_wins_the_other_gets_409(api):
    from houqin.domain import tickets as rules
    from houqin.domain.tickets import Actor
    from houqin.errors import Conflict
    from houqin.store import tickets as store

    ticket, version = store.get(report(api)["ticket_id"])
    first, event1 = rules.apply(ticket, "dispatch", Actor("E0097", frozenset({"dispatcher"})), START,
                                team_id="SB-ELEC", reason="是电路问题")
    second, event2 = rules.apply(ticket, "cancel", Actor("S00001"), START)
    store.save(first, version, [event1])
    with pytest.raises(Conflict):
        store.save(second, version, [event2])
    assert store.get(ticket.ticket_id)[0].state == "dispatched"
    assert [e["action"] for e in store.audit_trail(ticket.ticket_id)] == ["submit", "dispatch", "dispatch"]


def test_an_unsatisfactory_rating_reopens_the_ticket_as_rework(api):
    tid = completed(api)["ticket_id"]
    reply = post(api, STUDENT, "/tickets/{ticket_id}/rating",
                 {"attitude": 4, "speed": 4, "quality": 2, "price": 4, "comment": "还在漏"}, ticket_id=tid)
    assert reply.body["state"] == "in_progress" and reply.body["rework_count"] == 1
    assert reply.body["worker_id"] == "E0001" and reply.body["reason"] == "还在漏"
    assert act(api, WORKER, tid, "complete").body["state"] == "completed"
    trail = get(api, STUDENT, "/tickets/{ticket_id}", ticket_id=tid).body["audit_trail"]
    assert [e["action"] for e in trail][-2:] == ["rework", "complete"]


def test_cancel_before_work_only_and_cannot_do_reaches_the_requester(api):
    tid = report(api)["ticket_id"]
    assert act(api, STUDENT, tid, "cancel").body["state"] == "cancelled"

    tid = report(api)["ticket_id"]
    act(api, WORKER, tid, "accept")
    act(api, WORKER, tid, "start")
    refused = act(api, STUDENT, tid, "cancel")
    assert refused.status == 409 and "in_progress" in refused.body["error"]["message"]
    assert act(api, WORKER, tid, "cannot_do").body["error"]["field"] == "reason"
    assert act(api, WORKER, tid, "cannot_do", reason="需要更换整段管道,转维修中心").body["state"] == "cannot_do"
    seen = get(api, STUDENT, "/tickets/{ticket_id}", ticket_id=tid).body
    assert seen["reason"] == "需要更换整段管道,转维修中心"
    assert act(api, DESK, tid, "dispatch", team_id="SB-ELEC").body["error"]["field"] == "reason"
    redispatched = act(api, DESK, tid, "dispatch", team_id="SB-ELEC", worker_id="E0009", reason="转电工")
    assert redispatched.body["state"] == "dispatched" and redispatched.body["owner"] == "team:SB-ELEC"
    assert act(api, WORKER, tid, "accept").status == 404  # no longer E0001's team: not even visible
    assert act(api, ELECTRICIAN, tid, "accept").body["owner"] == "E0009"


# ---------------------------------------------------------------- intake channels and routing
def test_the_duty_desk_enters_a_phone_report_and_owns_it_until_dispatch(api, aws):
    reply = post(api, DESK, "/tickets", {**LEAK, "channel": "phone", "caller_name": "王老师",
                                          "requester_id": "S00002"})
    ticket = reply.body
    # water.SB has a routing rule, but the desk dispatches a phone report by trade
    assert reply.status == 201 and ticket["state"] == "submitted"
    assert ticket["received_by"] == "E0097" and ticket["owner"] == "E0097" and ticket["channel"] == "phone"
    assert [t["ticket_id"] for t in get(api, OTHER_DESK, "/tickets/open").body["items"]] == [ticket["ticket_id"]]
    assert get(api, OTHER_STUDENT, "/tickets/mine").body["items"][0]["ticket_id"] == ticket["ticket_id"]
    dispatched = act(api, DESK, ticket["ticket_id"], "dispatch", team_id="SB-WATER").body
    assert dispatched["handovers"][0] == {"from": "E0097", "to": "team:SB-WATER", "at": "2026-11-23T02:00:00.000Z",
                                          "by": "E0097", "reason": None}

    student_phone = post(api, STUDENT, "/tickets", {**LEAK, "channel": "phone"})
    assert student_phone.status == 403


def test_admins_edit_routing_and_a_building_rule_beats_the_campus_rule(api):
    assert call(api.app, "PUT", "/routing-rules/{rule_id}", user=DESK, body={"team_id": "SB-ELEC"},
                rule_id="water.SB.SB01").status == 403
    put = call(api.app, "PUT", "/routing-rules/{rule_id}", user=ADMIN, body={"team_id": "SB-ELEC"},
               rule_id="water.SB.SB01")
    assert put.status == 200 and put.body["updated_by"] == "E1603"
    assert report(api)["team_id"] == "SB-ELEC"
    assert report(api, building_id=None, room_no=None, place="一食堂")["team_id"] == "SB-WATER"
    assert call(api.app, "PUT", "/routing-rules/{rule_id}", user=ADMIN, body={"team_id": "NOPE"},
                rule_id="water.SB").body["error"]["field"] == "team_id"
    assert call(api.app, "PUT", "/routing-rules/{rule_id}", user=ADMIN, body={"team_id": "SB-ELEC"},
                rule_id="water.SB.XX99").body["error"]["field"] == "building_id"
    assert call(api.app, "DELETE", "/routing-rules/{rule_id}", user=ADMIN, rule_id="water.SB.SB01").status == 204
    assert {r["rule_id"] for r in get(api, DESK, "/routing-rules").body["items"]} == {"water.SB", "electric.SB"}


def test_sla_rules_set_the_deadline_per_category(api):
    assert report(api)["deadline"] == "2026-11-23T03:00:00.000Z"  # minor: 1 hour
    major = report(api, severity="major")
    assert major["deadline"] == "2026-11-23T15:59:59.999Z"  # the end of the local day, "不过夜"
    assert call(api.app, "PUT", "/sla-rules/{category}", user=STUDENT, body={"minor_minutes": 30},
                category="water").status == 403
    changed = call(api.app, "PUT", "/sla-rules/{category}", user=ADMIN,
                   body={"minor_minutes": 30, "major_minutes": 240}, category="water")
    assert changed.status == 200 and changed.body["default"] is False
    assert report(api)["deadline"] == "2026-11-23T02:30:00.000Z"
    assert report(api, severity="major")["deadline"] == "2026-11-23T06:00:00.000Z"
    new = call(api.app, "PUT", "/sla-rules/{category}", user=ADMIN, body={"name": "电梯", "minor_minutes": 120},
               category="elevator")
    assert new.status == 200
    assert "elevator" in {r["category"] for r in get(api, STUDENT, "/sla-rules").body["items"]}
    assert report(api, category="elevator")["state"] == "submitted"  # no routing rule yet


def test_the_sla_clock_shows_overdue_and_completion_records_the_miss(api):
    tid = report(api)["ticket_id"]
    act(api, WORKER, tid, "accept")
    act(api, WORKER, tid, "start")
    api.service.clock.advance(minutes=75)
    late = get(api, STUDENT, "/tickets/{ticket_id}", ticket_id=tid).body["sla"]
    assert late["seconds_overdue"] == 15 * 60 and late["seconds_left"] == 0
    assert act(api, WORKER, tid, "complete").body["sla"]["met"] is False


# ---------------------------------------------------------------- permissions: two users of one role
def test_a_student_never_sees_or_changes_another_students_ticket(api):
    tid = completed(api)["ticket_id"]
    assert get(api, OTHER_STUDENT, "/tickets/{ticket_id}", ticket_id=tid).status == 404
    rating = {"attitude": 1, "speed": 1, "quality": 1, "price": 1}
    assert post(api, OTHER_STUDENT, "/tickets/{ticket_id}/rating", rating, ticket_id=tid).status == 404
    assert act(api, OTHER_STUDENT, tid, "cancel").status == 404
    assert get(api, OTHER_STUDENT, "/tickets/mine").body["items"] == []
    assert get(api, PARENT, "/tickets/{ticket_id}", ticket_id=tid).status == 404


def test_workers_see_their_repair_points_tickets_and_only_the_assigned_one_works_them(api):
    tid = report(api)["ticket_id"]
    assert get(api, ELECTRICIAN, "/tickets/{ticket_id}", ticket_id=tid).status == 404
    assert act(api, ELECTRICIAN, tid, "accept").status == 404
    assert get(api, TEAMMATE, "/tickets/{ticket_id}", ticket_id=tid).status == 200
    act(api, WORKER, tid, "accept")
    assert act(api, TEAMMATE, tid, "start").status == 403
    assert call(api.app, "PUT", "/tickets/{ticket_id}/fee", user=TEAMMATE, body={"lines": LINES},
                ticket_id=tid).status == 403
    assert get(api, ELECTRICIAN, "/teams/{team_id}/tickets", team_id="SB-WATER").status == 403
    assert get(api, TEAMMATE, "/teams/{team_id}/tickets", team_id="SB-WATER").status == 200
    assert get(api, TEAMMATE, "/tickets/jobs").body["items"] == []
    assert [t["ticket_id"] for t in get(api, WORKER, "/tickets/jobs").body["items"]] == [tid]


def test_a_student_cannot_set_state_assignee_or_fee(api):
    for field, value in (("state", "closed"), ("worker_id", "E0001"), ("fee_fen", 0), ("team_id", "SB-ELEC")):
        reply = post(api, STUDENT, "/tickets", {**LEAK, field: value})
        assert reply.status == 400 and reply.body["error"]["field"] == field
    tid = report(api)["ticket_id"]
    assert act(api, STUDENT, tid, "dispatch", team_id="SB-ELEC", reason="x").status == 403
    assert act(api, STUDENT, tid, "accept").status == 403
    assert call(api.app, "PUT", "/tickets/{ticket_id}/fee", user=STUDENT, body={"lines": LINES},
                ticket_id=tid).status == 403
    assert get(api, STUDENT, "/tickets/open").status == 403
    assert post(api, PARENT, "/tickets", LEAK).status == 403


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(("change", "field"), [
    ({"building_id": "SB99"}, "building_id"),
    ({"room_no": "999"}, "room_no"),
    ({"campus_id": "XX"}, "campus_id"),
    ({"description": "   "}, "description"),
    ({"description": "漏" * 1001}, "description"),
    ({"severity": 5}, "severity"),
    ({"severity": "urgent"}, "severity"),
    ({"category": "plumbing"}, "category"),
    ({"contact_phone": "call me"}, "contact_phone"),
    ({"building_id": None, "room_no": None}, "place"),
    ({"colour": "red"}, "colour"),
])
def test_bad_intake_is_400_naming_the_field_and_nothing_is_written(api, change, field):
    reply = post(api, STUDENT, "/tickets", {**LEAK, **change})
    assert reply.status == 400, reply.body
    assert reply.body["error"]["field"] == field
    assert get(api, STUDENT, "/tickets/mine").body["items"] == []


def test_bad_ratings_fees_and_bodies_are_400_naming_the_field(api):
    tid = completed(api)["ticket_id"]
    rating = {"attitude": 6, "speed": 4, "quality": 4, "price": 4}
    assert post(api, STUDENT, "/tickets/{ticket_id}/rating", rating, ticket_id=tid).body["error"]["field"] == \
        "attitude"
    assert post(api, STUDENT, "/tickets/{ticket_id}/rating", {**rating, "attitude": "5"},
                ticket_id=tid).body["error"]["field"] == "attitude"
    assert post(api, STUDENT, "/tickets/{ticket_id}/rating", {**rating, "attitude": 5, "comment": "x" * 501},
                ticket_id=tid).body["error"]["field"] == "comment"
    assert post(api, STUDENT, "/tickets", "{not json").body["error"]["field"] == "body"
    # bytes that are not UTF-8 reach the function replaced by U+FFFD (API Gateway's text bodies): a 400, not stored
    garbled = json.dumps({**LEAK, "description": "水龙头\ufffd\ufffd漏水"}, ensure_ascii=False)
    reply = post(api, STUDENT, "/tickets", garbled)
    assert (reply.status, reply.body["error"]["field"]) == (400, "body"), reply.body
    assert "UTF-8" in reply.body["error"]["message"]
    other = report(api)["ticket_id"]
    act(api, WORKER, other, "accept")
    for line, field in (({"quantity": 0}, "lines[0].quantity"), ({"quantity": "1.0001"}, "lines[0].quantity"),
                        ({"unit_price_fen": 1.5}, "lines[0].unit_price_fen"), ({"kind": "tip"}, "lines[0].kind"),
                        ({"discount": 1}, "lines[0].discount")):
        reply = call(api.app, "PUT", "/tickets/{ticket_id}/fee", user=WORKER, body={"lines": [{**LINES[0], **line}]},
                     ticket_id=other)
        assert reply.status == 400 and reply.body["error"]["field"] == field, reply.body
    assert act(api, WORKER, other, "fly").body["error"]["field"] == "action"
    assert get(api, WORKER, "/tickets/{ticket_id}", ticket_id="R000000-NOPE").status == 404


# ---------------------------------------------------------------- photos
def test_photos_get_a_presigned_post_limited_in_size_and_type(api):
    tid = report(api)["ticket_id"]
    reply = post(api, STUDENT, "/tickets/{ticket_id}/photos", {"content_type": "image/jpeg", "size_bytes": 800_000},
                 ticket_id=tid)
    assert reply.status == 201
    assert reply.body["key"].startswith(f"tickets/{tid}/1-") and reply.body["fields"]["Content-Type"] == "image/jpeg"
    assert post(api, STUDENT, "/tickets/{ticket_id}/photos", {"content_type": "application/pdf", "size_bytes": 10},
                ticket_id=tid).body["error"]["field"] == "content_type"
    assert post(api, STUDENT, "/tickets/{ticket_id}/photos", {"content_type": "image/png", "size_bytes": 6_000_000},
                ticket_id=tid).body["error"]["field"] == "size_bytes"
    assert post(api, OTHER_STUDENT, "/tickets/{ticket_id}/photos", {"content_type": "image/png", "size_bytes": 10},
                ticket_id=tid).status == 404
    for _ in range(5):
        post(api, STUDENT, "/tickets/{ticket_id}/photos", {"content_type": "image/png", "size_bytes": 10},
             ticket_id=tid)
    seventh = post(api, STUDENT, "/tickets/{ticket_id}/photos", {"content_type": "image/png", "size_bytes": 10},
                   ticket_id=tid)
    assert seventh.status == 409
    detail = get(api, STUDENT, "/tickets/{ticket_id}", ticket_id=tid).body
    assert len(detail["photos"]) == 6 and len(detail["photo_urls"]) == 6


def test_an_uploaded_photo_lands_in_the_bucket_under_its_key(api, aws):
    import boto3

    tid = report(api)["ticket_id"]
    upload = post(api, STUDENT, "/tickets/{ticket_id}/photos", {"content_type": "image/png", "size_bytes": 4},
                  ticket_id=tid).body
    s3 = boto3.client("s3")
    bucket = aws.physical_name("AttachmentsBucket")
    s3.put_object(Bucket=bucket, Key=upload["key"], Body=b"\x89PNG", ContentType="image/png")
    assert s3.head_object(Bucket=bucket, Key=upload["key"])["ContentLength"] == 4
    assert upload["url"].endswith(bucket) or bucket in upload["url"]


# ---------------------------------------------------------------- lists, board, KPIs
def test_lists_page_with_opaque_cursors_and_refuse_a_tampered_one(api):
    ids = [report(api)["ticket_id"] for _ in range(5)]
    first = get(api, STUDENT, "/tickets/mine", query={"limit": "2"}).body
    second = get(api, STUDENT, "/tickets/mine", query={"limit": "2", "cursor": first["cursor"]}).body
    third = get(api, STUDENT, "/tickets/mine", query={"limit": "2", "cursor": second["cursor"]}).body
    seen = [t["ticket_id"] for page in (first, second, third) for t in page["items"]]
    assert sorted(seen) == sorted(ids) and len(set(seen)) == 5
    assert third["cursor"] is None
    assert get(api, OTHER_STUDENT, "/tickets/mine", query={"cursor": first["cursor"]}).body["error"]["field"] == \
        "cursor"
    assert get(api, STUDENT, "/tickets/mine", query={"cursor": "!!"}).status == 400
    assert get(api, STUDENT, "/tickets/mine", query={"limit": "500"}).body["error"]["field"] == "limit"


def test_the_desk_sees_open_tickets_overdue_first_and_a_team_queue_by_state(api):
    minor = report(api)["ticket_id"]
    major = report(api, severity="major")["ticket_id"]
    api.service.clock.advance(minutes=1)
    later_minor = report(api)["ticket_id"]
    act(api, WORKER, later_minor, "accept")
    completed_id = completed(api)["ticket_id"]
    assert [t["ticket_id"] for t in get(api, DESK, "/tickets/open").body["items"]] == [minor, later_minor, major]
    queue = get(api, WORKER, "/teams/{team_id}/tickets", team_id="SB-WATER", query={"state": "dispatched"}).body
    assert [t["ticket_id"] for t in queue["items"]] == [minor, major]
    accepted = get(api, DESK, "/teams/{team_id}/tickets", team_id="SB-WATER", query={"state": "accepted"}).body
    assert [t["ticket_id"] for t in accepted["items"]] == [later_minor]
    assert completed_id not in {t["ticket_id"] for t in get(api, DESK, "/teams/{team_id}/tickets",
                                                                team_id="SB-WATER").body["items"]}
    assert get(api, DESK, "/teams/{team_id}/tickets", team_id="SB-WATER",
               query={"state": "closed"}).body["error"]["field"] == "state"


def test_the_public_board_needs_no_login_and_shows_nothing_personal(api):
    tid = completed(api)["ticket_id"]
    post(api, STUDENT, "/tickets/{ticket_id}/rating", {"attitude": 5, "speed": 5, "quality": 5, "price": 4},
         ticket_id=tid)
    reply = call(api.app, "GET", "/public/tickets")
    assert reply.status == 200 and reply.body["month"] == "2026-11" and reply.body["previous_month"] == "2026-10"
    (entry,) = reply.body["items"]
    assert entry["building_id"] == "SB01" and entry["category"] == "water" and entry["fee_fen"] == 5803
    assert entry["sla_met"] is True and entry["rating"] == {"attitude": 5, "speed": 5, "quality": 5, "price": 4}
    text = str(entry)
    for private in ("S00001", "101", "13800000000", "水龙头", "E0001", "room_no", "description", "requester"):
        assert private not in text
    assert call(api.app, "GET", "/public/tickets", query={"month": "2026-13"}).body["error"]["field"] == "month"


def test_kpis_per_repair_point_and_worker(api):
    good = completed(api)["ticket_id"]
    post(api, STUDENT, "/tickets/{ticket_id}/rating", {"attitude": 5, "speed": 5, "quality": 5, "price": 5},
         ticket_id=good)
    reworked = completed(api)["ticket_id"]
    post(api, STUDENT, "/tickets/{ticket_id}/rating", {"attitude": 4, "speed": 2, "quality": 3, "price": 4},
         ticket_id=reworked)
    api.service.clock.advance(hours=2)
    act(api, WORKER, reworked, "complete")
    post(api, STUDENT, "/tickets/{ticket_id}/rating", {"attitude": 4, "speed": 3, "quality": 4, "price": 4},
         ticket_id=reworked)
    report(api)  # still open
    period = {"from": "2026-11-01", "to": "2026-11-30"}
    team = get(api, DESK, "/kpis/teams/{team_id}", team_id="SB-WATER", query=period).body
    assert team["count"] == 3 and team["completed"] == 2 and team["open"] == 1
    assert team["sla_met_rate"] == 0.5  # the rework finished two hours late
    assert team["first_time_fix_rate"] == 0.5 and team["reopen_rate"] == 0.5
    assert team["average_rating"] == {"attitude": 4.5, "speed": 4.0, "quality": 4.5, "price": 4.5}
    assert team["mean_minutes_to_complete"] == 60.0
    worker = get(api, WORKER, "/kpis/workers/{staff_id}", staff_id="E0001", query=period).body
    assert worker["completed"] == 2
    assert get(api, TEAMMATE, "/kpis/workers/{staff_id}", staff_id="E0001", query=period).status == 403
    assert get(api, ELECTRICIAN, "/kpis/teams/{team_id}", team_id="SB-WATER", query=period).status == 403
    assert get(api, DESK, "/kpis/teams/{team_id}", team_id="SB-WATER",
               query={"from": "2026-11-01"}).body["error"]["field"] == "to"
    empty = get(api, LEADER, "/kpis/teams/{team_id}", team_id="SB-WATER",
                query={"from": "2026-10-01", "to": "2026-10-31"}).body
    assert empty["count"] == 0 and empty["sla_met_rate"] is None


# ---------------------------------------------------------------- the scheduled check
def test_unrated_tickets_confirm_after_three_days_by_the_schedule(api, aws):
    old = completed(api)["ticket_id"]
    api.service.clock.advance(days=2)
    recent = completed(api)["ticket_id"]
    api.service.clock.advance(days=1, minutes=1)
    schedule = load_function_module(aws, "TicketsScheduleFunction")
    schedule.service = Tickets(clock=api.service.clock)
    assert schedule.auto_confirm({"source": "aws.scheduler"}, Context()) == {"confirmed": 1, "skipped": 0}
    assert get(api, STUDENT, "/tickets/{ticket_id}", ticket_id=old).body["state"] == "confirmed"
    assert get(api, STUDENT, "/tickets/{ticket_id}", ticket_id=recent).body["state"] == "completed"
    trail = get(api, STUDENT, "/tickets/{ticket_id}", ticket_id=old).body["audit_trail"]
    assert trail[-1]["action"] == "auto_confirm" and trail[-1]["by"] == "system"
    assert schedule.auto_confirm({}, Context()) == {"confirmed": 0, "skipped": 0}  # re-running changes nothing



def test_the_sample_events_run_against_the_function(api, aws):
    import json

    from tests.conftest import ROOT
    from tests.integration.apigw import Context

    def sample(name):
        return json.loads((ROOT / "events/tickets" / name).read_text())

    created = api.app(sample("create.json"), Context())
    assert created["statusCode"] == 201
    assert api.app(sample("public_board.json"), Context())["statusCode"] == 200
    missing = api.app(sample("transition.json"), Context())
    assert missing["statusCode"] == 404  # the sample names a ticket this table does not hold
    schedule = load_function_module(aws, "TicketsScheduleFunction")
    assert schedule.auto_confirm(sample("auto_confirm_schedule.json"), Context()) == {"confirmed": 0, "skipped": 0}


# ---------------------------------------------------------------- what each route declares (houqin.api)
def test_a_route_refuses_a_query_parameter_or_a_body_it_does_not_declare(api):
    unknown = get(api, STUDENT, "/tickets/mine", query={"page": "2"})
    assert (unknown.status, unknown.body["error"]["field"]) == (400, "page")
    assert get(api, STUDENT, "/tickets/mine", query={"limit": "5"}).status == 200
    with_body = call(api.app, "DELETE", "/routing-rules/{rule_id}", user=ADMIN, body={"team_id": "SB-WATER"},
                     rule_id="water.SB")
    assert (with_body.status, with_body.body["error"]["field"]) == (400, "body")
    sneaky = post(api, STUDENT, "/tickets", {**LEAK, "state": "closed"})
    assert (sneaky.status, sneaky.body["error"]["field"]) == (400, "state")


def test_a_route_admits_only_the_roles_it_declares_before_reading_the_request(api):
    refused = get(api, STUDENT, "/tickets/jobs", query={"limit": "nonsense"})
    assert (refused.status, refused.body["error"]["code"]) == (403, "forbidden")
    assert get(api, PARENT, "/tickets/open").status == 403
    assert post(api, PARENT, "/tickets", LEAK).status == 403
    assert get(api, WORKER, "/tickets/jobs").status == 200
