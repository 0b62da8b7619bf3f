"""GIVEN the dorms function under moto and the known dorm world (tests/integration/dorm_fixture.py)
WHEN managers, counsellors, students, parents and leaders use it through API Gateway events
THEN the room-status map, free beds, records, permissions, bed changes (with their races) and
automatic assignment (with its idempotency) hold."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from houqin.clock import FixedClock
from houqin.services import dorms as dorms_service
from houqin.services.dorms import Dorms
from tests.conftest import load_function_module
from tests.integration import dorm_fixture as world
from tests.integration.apigw import User, call
from tests.integration.dorm_fixture import (
    ADMIN,
    COUNSELLOR_1,
    COUNSELLOR_2,
    DISPATCHER,
    LEADER,
    MANAGER_1,
    MANAGER_2,
    PARENT_1,
    PARENT_2,
    STUDENT_1,
    STUDENT_2,
)

# 21:00 in Shanghai on 2026-09-01.
START = datetime(2026, 9, 1, 13, 0, tzinfo=UTC)


@pytest.fixture
def api(aws):
    world.build()
    module = load_function_module(aws, "DormsFunction")
    module.service = Dorms(clock=FixedClock(START))  # the production repositories (moto), a pinned clock
    return module


def get(api, user, resource, **kwargs):
    return call(api.app, "GET", resource, user=user, **kwargs)


def post(api, user, resource, body, **kwargs):
    return call(api.app, "POST", resource, user=user, body=body, **kwargs)


def check_in(api, user, resident_id, building_id, room_no, bed_no):
    return post(api, user, "/residents/{resident_id}/check-in",
                {"building_id": building_id, "room_no": room_no, "bed_no": bed_no}, resident_id=resident_id)


def room_change(api, user, resident_id, building_id, room_no, bed_no, reason="调整宿舍"):
    return post(api, user, "/residents/{resident_id}/room-change",
                {"building_id": building_id, "room_no": room_no, "bed_no": bed_no, "reason": reason},
                resident_id=resident_id)


def check_out(api, user, resident_id, reason="毕业离校"):
    return post(api, user, "/residents/{resident_id}/check-out", {"reason": reason}, resident_id=resident_id)


def building_map(api, building_id, user=MANAGER_1):
    reply = get(api, user, "/buildings/{building_id}/map", building_id=building_id)
    assert reply.status == 200, reply.body
    return reply.body


def bed(the_map, room_no, bed_no):
    room = next(r for r in the_map["rooms"] if r["room_no"] == room_no)
    return next(b for b in room["beds"] if b["bed_no"] == bed_no)


def history(api, resident_id, user=ADMIN, **query):
    reply = get(api, user, "/residents/{resident_id}/bed-history", resident_id=resident_id, query=query or None)
    assert reply.status == 200, reply.body
    return reply.body


def error(reply, status):
    assert reply.status == status, reply.body
    return reply.body["error"]


# ---------------------------------------------------------------- the room-status map (房态图)
def test_the_map_shows_every_room_and_bed_with_resident_and_last_entry_or_exit(api):
    gate = world.Gate()
    gate.swipe("S1", "in", datetime(2026, 9, 1, 10, 0, tzinfo=UTC))
    gate.swipe("S1", "out", datetime(2026, 9, 1, 11, 30, tzinfo=UTC), reader_id="SB01-B")
    gate.swipe("S2", "in", datetime(2026, 9, 1, 12, 15, tzinfo=UTC))
    gate.swipe("S1", "in", datetime(2026, 9, 1, 9, 0, tzinfo=UTC))  # a late upload: older, changes nothing

    the_map = building_map(api, "SB01")

    assert the_map["building"]["name"] == "松北一公寓"
    assert [(r["room_no"], r["gender"], r["capacity"]) for r in the_map["rooms"]] == [
        ("101", "M", 2), ("102", "M", 2), ("201", "F", 2)]
    s1 = bed(the_map, "101", 1)
    assert s1["resident"] == {"resident_id": "S1", "name": "王伟", "class_name": "软件工程2501"}
    assert s1["presence"] == {"state": "out", "last_ts": "2026-09-01T11:30:00.000Z", "reader_id": "SB01-B",
                              "building_id": "SB01"}
    assert bed(the_map, "101", 2)["presence"]["state"] == "in"
    assert bed(the_map, "101", 2)["presence"]["last_ts"] == "2026-09-01T12:15:00.000Z"
    assert bed(the_map, "102", 1)["resident"]["name"] == "张磊" and bed(the_map, "102", 1)["presence"] is None
    assert bed(the_map, "102", 2) == {"bed_no": 2, "empty": True, "resident": None, "presence": None}
    assert bed(the_map, "201", 1)["resident"]["resident_id"] == "S4" and bed(the_map, "201", 2)["empty"]
    assert the_map["counts"] == {"rooms": 3, "beds": 6, "occupied": 4, "free": 2, "free_by_gender": {"M": 1, "F": 1}}


def test_the_map_is_built_from_one_query_of_the_building_and_one_of_its_residents(api, monkeypatch):
    from pynamodb.connection.base import Connection

    operations = []
    original = Connection.dispatch

    def counting(self, operation_name, operation_kwargs, *args, **kwargs):
        operations.append((operation_name, operation_kwargs.get("IndexName")))
        return original(self, operation_name, operation_kwargs, *args, **kwargs)

    monkeypatch.setattr(Connection, "dispatch", counting)
    building_map(api, "SB01", user=ADMIN)
    assert ("Scan", None) not in operations
    queries = [index for name, index in operations if name == "Query"]
    assert sorted(queries, key=str) == ["GSI1", None]  # the partition, then the residents by building


def test_managers_see_only_their_own_building_map(api):
    assert building_map(api, "SB02", user=MANAGER_2)["rooms"][0]["beds"][0]["resident"]["resident_id"] == "S5"
    assert error(get(api, MANAGER_2, "/buildings/{building_id}/map", building_id="SB01"), 404)["code"] == \
        "not_found"
    assert get(api, MANAGER_1, "/buildings/{building_id}/map", building_id="SB02").status == 404
    # No building's map is for a student or the duty desk: the role is refused before any building is read.
    assert error(get(api, STUDENT_1, "/buildings/{building_id}/map", building_id="SB01"), 403)["code"] == \
        "forbidden"
    assert get(api, DISPATCHER, "/buildings/{building_id}/map", building_id="SB01").status == 403
    assert get(api, LEADER, "/buildings/{building_id}/map", building_id="SB02").status == 200
    assert get(api, ADMIN, "/buildings/{building_id}/map", building_id="SB99").status == 404


# ---------------------------------------------------------------- buildings and free beds
def test_buildings_list_free_beds_per_building_and_campus_by_role(api):
    everything = get(api, LEADER, "/buildings")
    assert everything.status == 200, everything.body
    counts = {b["building_id"]: (b["beds"], b["occupied"], b["free"]) for b in everything.body["items"]}
    assert counts == {"SB01": (6, 4, 2), "SB02": (2, 1, 1)}
    assert everything.body["campuses"] == [{"campus_id": "SB", "name": "松北", "buildings": 2, "beds": 8,
                                            "occupied": 5, "free": 3, "free_by_gender": {"M": 2, "F": 1}}]
    assert get(api, DISPATCHER, "/buildings", query={"campus_id": "SB"}).body == everything.body

    mine = get(api, MANAGER_1, "/buildings").body
    assert [b["building_id"] for b in mine["items"]] == ["SB01"]
    assert mine["campuses"][0]["free"] == 2
    assert [b["building_id"] for b in get(api, MANAGER_2, "/buildings").body["items"]] == ["SB02"]

    assert check_in(api, MANAGER_1, "S6", "SB01", "102", 2).status == 200
    assert get(api, MANAGER_1, "/buildings").body["items"][0]["free_by_gender"] == {"M": 0, "F": 1}

    assert error(get(api, LEADER, "/buildings", query={"campus_id": "XX"}), 400)["field"] == "campus_id"
    assert get(api, STUDENT_1, "/buildings").status == 403
    assert get(api, COUNSELLOR_1, "/buildings").status == 403


def listed_counts(api) -> dict[str, dict]:
    """GET /buildings's counts by building (as a leader: every building)."""
    reply = get(api, LEADER, "/buildings")
    assert reply.status == 200, reply.body
    return {b["building_id"]: {k: b[k] for k in ("rooms", "beds", "occupied", "free", "free_by_gender")}
            for b in reply.body["items"]}


def test_every_bed_change_keeps_the_listed_counts_equal_to_a_recount_from_the_beds(api):
    """Check-in, check-out, moves (between buildings, within one, from a women's room to a men's) and an assignment
    over two buildings change the counts kept on the building items, which the list shows without reading a room or
    bed: they stay what the beds say (the map's counts, from the building's partition, and the store's recount)."""
    from houqin.store import dorms

    world.add_newcomers()  # SB01's empty rooms 301, 302 (men) and 401 (women)
    planned = intake_building("SB03", "M" * 10) + intake_building("SB04", "M" * 5)
    students = first_years(50)
    # S4 sleeps in women's room 201; her record, fixed by hand, now says M: moving her out frees a women's bed.
    dorms.resident("S4").update(actions=[dorms.Resident.gender.set("M")])

    assert check_in(api, MANAGER_1, "S6", "SB01", "102", 2).status == 200
    assert check_out(api, MANAGER_1, "S1").status == 200
    assert room_change(api, ADMIN, "S5", "SB01", "101", 1).status == 200  # from SB02 into S1's bed
    assert room_change(api, MANAGER_1, "S4", "SB01", "301", 1).status == 200  # women's room 201 -> men's 301
    assert room_change(api, MANAGER_1, "S3", "SB01", "302", 1).status == 200  # men's to men's, one building
    # Classes fill SB03 (40 beds), the rest goes to SB04: by resident id the students of both buildings mix.
    reply = assign(api, body={"request_id": "bulk-0002", "residents": students, "rooms": planned})
    assert reply.status == 200, reply.body
    assert reply.body["placed_count"] == 50

    listed = listed_counts(api)
    assert listed["SB01"] == {"rooms": 6, "beds": 18, "occupied": 5, "free": 13, "free_by_gender": {"M": 7, "F": 6}}
    assert listed["SB02"] == {"rooms": 1, "beds": 2, "occupied": 0, "free": 2, "free_by_gender": {"M": 2, "F": 0}}
    assert (listed["SB03"]["occupied"], listed["SB04"]["occupied"], listed["SB04"]["free_by_gender"]["M"]) == \
        (40, 10, 10)
    for building_id, counts in listed.items():
        assert building_map(api, building_id, ADMIN)["counts"] == counts, building_id
        assert dorms_service.counts_view(dorms.recount(building_id)) == counts, building_id


def test_the_demo_loaders_counts_are_those_recount_finds(api):
    """The demo loader (and bench.roll) set the counts from the rooms and beds it writes, without reading them back."""
    from houqin.store import dorms
    from houqin.store.base import save_all
    from localcloud import demo

    data = demo.generate()
    wanted = {"JN05", "JN06"}  # the JN campus's last two buildings: one partly filled, one empty
    rooms = [dorms.Room.make(**r) for r in data.rooms if r["building_id"] in wanted]
    beds = [dorms.Bed.make(**b) for b in data.beds if b["building_id"] in wanted]
    counts = dorms.counts_by_building(rooms, beds)
    save_all(dorms.Campus, [dorms.Campus.make("JN", "江南")])
    save_all(dorms.Building, [dorms.Building.make(**b, counts=counts[b["building_id"]]) for b in data.buildings
                              if b["building_id"] in wanted])
    save_all(dorms.Room, rooms)
    save_all(dorms.Bed, beds)

    listed = listed_counts(api)
    assert {b: listed[b] for b in wanted} == {b: dorms_service.counts_view(dorms.recount(b)) for b in wanted}
    assert 0 < listed["JN05"]["free"] < listed["JN06"]["free"]  # free beds (by gender) are compared too


def test_the_list_of_buildings_reads_no_room_or_bed(api):
    """One Query for the campuses and one for the campus's buildings, whose items carry the counts."""
    from pynamodb.models import Model

    from localcloud.costmeter import CostMeter
    from tests.integration.conftest import _reset_connections

    _reset_connections(Model)  # clients made inside the block are metered
    with CostMeter.installed() as meter:
        assert listed_counts(api)["SB01"]["beds"] == 6
    assert meter.by_operation() == {"Query": {"rcu": 1.0, "wcu": 0, "calls": 2}}


# ---------------------------------------------------------------- building settings
def test_the_buildings_manager_sets_curfew_and_gate_hours(api):
    times = {"curfew": "22:30", "morning_roll": "06:30", "opens": "06:00", "closes": "23:30"}
    reply = call(api.app, "PUT", "/buildings/{building_id}/settings", user=MANAGER_1, body=times,
                 building_id="SB01")
    assert reply.status == 200, reply.body
    assert reply.body["settings"] == {**times, "notify_parent": False}
    assert building_map(api, "SB01")["building"]["settings"] == {**times, "notify_parent": False}

    def put(user, body, building_id="SB01"):
        return call(api.app, "PUT", "/buildings/{building_id}/settings", user=user, body=body,
                    building_id=building_id)

    assert put(MANAGER_2, times).status == 404
    assert error(put(LEADER, times), 403)["code"] == "forbidden"
    assert put(ADMIN, {**times, "curfew": "23:00"}, "SB02").status == 200
    assert error(put(MANAGER_1, {**times, "curfew": "24:00"}), 400)["field"] == "curfew"
    assert error(put(MANAGER_1, {**times, "opens": "6:00"}), 400)["field"] == "opens"
    assert error(put(MANAGER_1, {k: v for k, v in times.items() if k != "closes"}), 400)["field"] == "closes"
    assert error(put(MANAGER_1, {**times, "alarm": "23:10"}), 400)["field"] == "alarm"


# ---------------------------------------------------------------- residents: records by permission
def test_a_resident_record_has_the_seeds_fields_and_where_they_sleep(api):
    world.Gate().swipe("S1", "in", datetime(2026, 9, 1, 12, 0, tzinfo=UTC))
    record = get(api, MANAGER_1, "/residents/{resident_id}", resident_id="S1").body
    assert {k: record[k] for k in ("name", "gender", "birth_month", "department", "grade", "major", "class_name",
                                   "position", "hometown", "parent_phone", "building_id", "room_no", "bed_no")} == {
        "name": "王伟", "gender": "M", "birth_month": "2006-05", "department": "计算机学院", "grade": "2025",
        "major": "软件工程", "class_name": "软件工程2501", "position": None, "hometown": "黑龙江",
        "parent_phone": "13800000000", "building_id": "SB01", "room_no": "101", "bed_no": 1}
    assert record["presence"]["state"] == "in" and record["card_id"] == "C0000001"


@pytest.mark.parametrize(("user", "visible", "hidden"), [
    (STUDENT_1, "S1", "S2"), (STUDENT_2, "S2", "S1"),
    (PARENT_1, "S1", "S2"), (PARENT_2, "S2", "S1"),
    (COUNSELLOR_1, "S1", "S3"),  # 计算机学院, every grade
    (COUNSELLOR_2, "S3", "S4"),  # 机械工程学院 2025 only: S4 is 2024
    (COUNSELLOR_2, "S5", "S1"),
    (MANAGER_1, "S4", "S5"), (MANAGER_2, "S5", "S1"),
])
def test_each_caller_sees_only_their_residents_and_the_others_are_404(api, user, visible, hidden):
    assert get(api, user, "/residents/{resident_id}", resident_id=visible).status == 200
    assert error(get(api, user, "/residents/{resident_id}", resident_id=hidden), 404)["code"] == "not_found"
    assert get(api, user, "/residents/{resident_id}/bed-history", resident_id=hidden).status == 404


def test_a_parent_sees_their_childs_record_and_phone_but_not_the_gate_card(api):
    record = get(api, PARENT_1, "/residents/{resident_id}", resident_id="S1").body
    assert record["parent_phone"] == "13800000000" and record["room_no"] == "101"
    assert "card_id" not in record
    assert get(api, STUDENT_1, "/residents/{resident_id}", resident_id="S1").body["card_id"] == "C0000001"
    assert "card_id" not in get(api, COUNSELLOR_1, "/residents/{resident_id}", resident_id="S1").body
    assert get(api, LEADER, "/residents/{resident_id}", resident_id="S6").body["building_id"] is None
    assert get(api, ADMIN, "/residents/{resident_id}", resident_id="S99").status == 404


# ---------------------------------------------------------------- check-in, room change, check-out
def home_of(card_id):
    from houqin.store import dorms

    card = dorms.cards([card_id])[card_id]
    return card.resident_id, card.building_id


def test_check_in_room_change_and_check_out_keep_beds_residents_presence_and_history_in_step(api):
    from houqin.store import dorms

    reply = check_in(api, MANAGER_1, "S6", "SB01", "102", 2)
    assert reply.status == 200, reply.body
    assert reply.body["resident"]["building_id"] == "SB01" and reply.body["event"]["action"] == "check_in"
    assert bed(building_map(api, "SB01"), "102", 2)["resident"]["name"] == "杨洋"
    card = reply.body["resident"]["card_id"]
    assert home_of(card) == ("S6", "SB01")  # the swipes find the holder and their home on the card item
    world.Gate().swipe("S6", "in", datetime(2026, 9, 1, 12, 40, tzinfo=UTC))  # fixture knows S6 as unplaced ...
    dorms.set_presence("SB01", "S6", "in", "2026-09-01T12:40:00.000Z", "SB01-A", "SB01")  # ... so set it here

    api.service.clock.advance(minutes=10)
    moved = room_change(api, ADMIN, "S6", "SB02", "101", 2)
    assert moved.status == 200, moved.body
    assert (moved.body["resident"]["building_id"], moved.body["resident"]["bed_no"]) == ("SB02", 2)
    assert bed(building_map(api, "SB01"), "102", 2)["empty"]
    new_bed = bed(building_map(api, "SB02", user=MANAGER_2), "101", 2)
    assert new_bed["resident"]["resident_id"] == "S6"
    assert new_bed["presence"]["last_ts"] == "2026-09-01T12:40:00.000Z"  # presence moved with them
    assert dorms.presence("SB01", "S6") is None
    assert home_of(card) == ("S6", "SB02")

    api.service.clock.advance(minutes=10)
    out = check_out(api, MANAGER_2, "S6", reason="退学")
    assert out.status == 200, out.body
    assert out.body["resident"]["building_id"] is None and out.body["resident"]["bed_no"] is None
    assert bed(building_map(api, "SB02", user=MANAGER_2), "101", 2)["empty"]
    assert "S6" not in {r.resident_id for r in dorms.residents_of_building("SB02")}  # index keys removed
    assert dorms.presence("SB02", "S6") is None
    assert home_of(card) == ("S6", None)  # still their card, no home building

    lines = history(api, "S6")["items"]
    assert [(e["action"], e["by"]) for e in lines] == [("check_out", "M2"), ("room_change", "A1"),
                                                      ("check_in", "M1")]
    assert lines[1] == {"action": "room_change", "at": "2026-09-01T13:10:00.000Z", "by": "A1",
                        "building_id": "SB01", "room_no": "102", "bed_no": 2, "to_building_id": "SB02",
                        "to_room_no": "101", "to_bed_no": 2, "reason": "调整宿舍"}
    assert lines[0]["reason"] == "退学" and lines[0]["building_id"] == "SB02"

    first = history(api, "S6", limit="2")
    assert len(first["items"]) == 2 and first["cursor"]
    rest = history(api, "S6", limit="2", cursor=first["cursor"])
    assert [e["action"] for e in rest["items"]] == ["check_in"] and rest["cursor"] is None
    assert error(get(api, ADMIN, "/residents/{resident_id}/bed-history", resident_id="S6",
                     query={"cursor": first["cursor"][:-3] + "xyz"}), 400)["field"] == "cursor"


def test_check_in_rules_bed_must_exist_be_empty_and_match_the_gender(api):
    assert error(check_in(api, MANAGER_1, "S6", "SB01", "201", 2), 400) == {
        "code": "gender_mismatch", "field": "room_no",
        "message": "room 201 of SB01 is for gender F, S6 is M: genders never share a room"}
    assert error(check_in(api, MANAGER_1, "S6", "SB01", "101", 1), 409)["code"] == "bed_taken"
    assert error(check_in(api, MANAGER_1, "S6", "SB01", "999", 1), 400)["field"] == "room_no"
    assert error(check_in(api, MANAGER_1, "S6", "SB01", "102", 3), 400)["field"] == "bed_no"
    assert error(check_in(api, MANAGER_1, "S1", "SB01", "102", 2), 409)["code"] == "already_placed"
    assert error(check_in(api, MANAGER_2, "S1", "SB02", "101", 2), 404)["code"] == "not_found"  # not theirs
    assert check_in(api, MANAGER_1, "S99", "SB01", "102", 2).status == 404
    assert history(api, "S6")["items"] == []  # nothing written by the refusals


def test_only_the_dorm_managers_of_the_buildings_involved_or_an_admin_change_beds(api):
    assert check_in(api, MANAGER_2, "S6", "SB01", "102", 2).status == 404  # another manager's building
    assert error(check_in(api, LEADER, "S6", "SB01", "102", 2), 403)["code"] == "forbidden"
    assert check_in(api, STUDENT_1, "S6", "SB01", "102", 2).status == 403
    assert check_out(api, MANAGER_2, "S1").status == 404
    assert check_out(api, COUNSELLOR_1, "S1").status == 403
    assert room_change(api, MANAGER_1, "S3", "SB02", "101", 2).status == 404  # the new building is not theirs
    assert room_change(api, MANAGER_2, "S3", "SB02", "101", 2).status == 404  # the resident is not theirs
    assert room_change(api, MANAGER_1, "S3", "SB01", "102", 2).status == 200  # within their building
    assert error(check_out(api, MANAGER_1, "S6"), 404)["code"] == "not_found"  # unplaced: not in their building
    assert error(check_out(api, ADMIN, "S6"), 409)["code"] == "not_placed"
    assert error(room_change(api, ADMIN, "S3", "SB01", "102", 2), 400)["field"] == "bed_no"  # already there


def test_two_managers_racing_for_one_bed_get_one_200_and_one_409(api, monkeypatch):
    world.add_newcomers()
    store = api.service.dorms  # the production repository: the store module
    real_check_in = store.check_in
    rival = []

    def slow_check_in(*args, **kwargs):
        if not rival:  # the first request has read the bed as empty; the rival does it all meanwhile
            rival.append(None)
            rival[0] = check_in(api, ADMIN, "S7", "SB01", "102", 2)
        return real_check_in(*args, **kwargs)

    monkeypatch.setattr(store, "check_in", slow_check_in)
    loser = check_in(api, MANAGER_1, "S6", "SB01", "102", 2)

    assert rival[0].status == 200, rival[0].body
    assert error(loser, 409)["code"] == "changed_meanwhile"
    assert bed(building_map(api, "SB01"), "102", 2)["resident"]["resident_id"] == "S7"
    assert get(api, ADMIN, "/residents/{resident_id}", resident_id="S6").body["building_id"] is None
    assert history(api, "S6")["items"] == []  # all or nothing: no history line for the loser


def test_a_check_out_racing_a_room_change_leaves_one_consistent_placement(api, monkeypatch):
    store = api.service.dorms
    real_move = store.move
    rival = []

    def slow_move(*args, **kwargs):
        rival.append(check_out(api, MANAGER_1, "S3"))  # check-out does not move: no re-entry here
        return real_move(*args, **kwargs)

    monkeypatch.setattr(store, "move", slow_move)
    assert room_change(api, MANAGER_1, "S3", "SB01", "102", 2).status == 409
    assert rival[0].status == 200
    the_map = building_map(api, "SB01")
    assert bed(the_map, "102", 1)["empty"] and bed(the_map, "102", 2)["empty"]


BAD_CHECK_INS = [
    ({"building_id": "SB01", "room_no": "102"}, "bed_no"),
    ({"building_id": "SB01", "room_no": "102", "bed_no": "2"}, "bed_no"),
    ({"building_id": "SB01", "room_no": "102", "bed_no": 0}, "bed_no"),
    ({"building_id": "SB01", "room_no": "102", "bed_no": 2, "resident_id": "S1"}, "resident_id"),
    ({"building_id": "", "room_no": "102", "bed_no": 2}, "building_id"),
    ({"building_id": "SB01", "room_no": "1 02", "bed_no": 2}, "room_no"),
    ("[1, 2]", "body"),
]


def test_a_bad_check_in_is_400_naming_the_field(api):
    for body, field in BAD_CHECK_INS:
        reply = post(api, MANAGER_1, "/residents/{resident_id}/check-in", body, resident_id="S6")
        assert error(reply, 400)["field"] == field, body
    assert history(api, "S6")["items"] == []


def test_check_out_and_room_change_need_a_reason(api):
    assert error(post(api, MANAGER_1, "/residents/{resident_id}/check-out", {}, resident_id="S1"), 400)[
        "field"] == "reason"
    body = {"building_id": "SB01", "room_no": "102", "bed_no": 2}
    assert error(post(api, MANAGER_1, "/residents/{resident_id}/room-change", body, resident_id="S1"), 400)[
        "field"] == "reason"
    assert error(get(api, ADMIN, "/residents/{resident_id}/bed-history", resident_id="S1",
                     query={"limit": "0"}), 400)["field"] == "limit"


# ---------------------------------------------------------------- automatic bed assignment (自动分房)
PLAN = {"request_id": "intake-2026-sb01",
        "residents": ["S6", "S7", "S8", "S9", "S10", "S11", "S12", "S13", "S1", "S404"],
        "rooms": [{"building_id": "SB01", "room_no": "301"}, {"building_id": "SB01", "room_no": "302"},
                  {"building_id": "SB01", "room_no": "102"}, {"building_id": "SB01", "room_no": "201"},
                  {"building_id": "SB01", "room_no": "999"}]}


def assign(api, user=MANAGER_1, body=None):
    return post(api, user, "/bed-assignments", body or PLAN)


def test_automatic_assignment_keeps_genders_apart_fills_rooms_in_order_and_says_who_was_left_out(api):
    world.add_newcomers()
    reply = assign(api)
    assert reply.status == 200, reply.body
    result = reply.body
    placed = {p["resident_id"]: (p["room_no"], p["bed_no"]) for p in result["placed"]}
    assert placed == {
        "S6": ("102", 2),  # the partly filled room first
        "S7": ("301", 1), "S8": ("301", 2),  # the rest of 软件工程2601, then 2602 fills 301 ...
        "S10": ("301", 3), "S11": ("301", 4), "S9": ("302", 1),  # ... before 302 is opened (ids sort as text)
        "S12": ("201", 2),  # women only into the women's room
    }
    assert {(u["resident_id"], u["reason"]) for u in result["unplaced"]} == {
        ("S1", "already_placed"), ("S404", "unknown_resident"), ("S13", "no_free_bed")}
    assert result["rooms_not_found"] == [{"building_id": "SB01", "room_no": "999", "reason": "room_not_found"}]
    assert (result["requested"], result["placed_count"], result["unplaced_count"]) == (10, 7, 3)

    the_map = building_map(api, "SB01")
    for room in the_map["rooms"]:
        genders = {get(api, ADMIN, "/residents/{resident_id}", resident_id=b["resident"]["resident_id"]
                       ).body["gender"] for b in room["beds"] if not b["empty"]}
        assert genders <= {room["gender"]}
    assert bed(the_map, "301", 4)["resident"]["resident_id"] == "S11"
    assert [e["action"] for e in history(api, "S11")["items"]] == ["check_in"]
    assert home_of("C0000011") == ("S11", "SB01") and home_of("C0000013") == ("S13", None)  # the unplaced: none
    assert history(api, "S11")["items"][0]["by"] == "M1"


def test_the_same_request_id_answers_the_same_result_without_assigning_twice(api):
    world.add_newcomers()
    first = assign(api)
    assert first.status == 200 and first.headers["Idempotent-Replay"] == "false"
    again = assign(api)
    assert again.status == 200 and again.headers["Idempotent-Replay"] == "true"
    assert again.body == first.body
    assert len(history(api, "S7")["items"]) == 1  # placed once

    other = assign(api, body={**PLAN, "residents": ["S13"]})
    assert error(other, 409) == {"code": "request_id_reused", "field": "request_id",
                                 "message": "this request_id was used for another assignment: choose a new "
                                            "request_id"}
    assert assign(api, user=ADMIN).status == 409  # someone else's request id
    second = assign(api, body={**PLAN, "request_id": "intake-2026-sb01-b"})
    assert {u["reason"] for u in second.body["unplaced"]} >= {"already_placed"}
    assert second.body["placed"] == []  # S13 still has no free women's bed in the plan


def test_a_run_still_in_progress_is_409_until_its_lease_runs_out(api):
    from houqin.clock import to_iso
    from houqin.services.dorms import ASSIGNMENT_LEASE, fingerprint
    from houqin.store import dorms

    world.add_newcomers()
    rooms = [(r["building_id"], r["room_no"]) for r in PLAN["rooms"]]
    # A Lambda that claimed this very request and died before finishing.
    assert dorms.claim_assignment(PLAN["request_id"], fingerprint("M1", PLAN["residents"], rooms), "M1",
                                  to_iso(START), to_iso(START - ASSIGNMENT_LEASE))
    assert error(assign(api), 409)["code"] == "in_progress"
    api.service.clock.advance(seconds=ASSIGNMENT_LEASE.total_seconds() + 1)
    taken_over = assign(api)
    assert taken_over.status == 200 and taken_over.body["placed_count"] == 7
    assert assign(api).body == taken_over.body


def test_a_bed_taken_between_planning_and_writing_leaves_that_student_out_and_no_half_write(api, monkeypatch):
    world.add_newcomers()
    real_plan = dorms_service.rules.plan

    def plan_then_rival(*args, **kwargs):
        planned = real_plan(*args, **kwargs)
        assert check_in(api, ADMIN, "S13", "SB01", "201", 2).status == 200  # takes S12's planned bed
        return planned

    monkeypatch.setattr(dorms_service.rules, "plan", plan_then_rival)
    result = assign(api).body
    assert {(u["resident_id"], u["reason"]) for u in result["unplaced"] if u["reason"] == "bed_taken"} == {
        ("S12", "bed_taken")}
    assert len(result["placed"]) == 6
    assert bed(building_map(api, "SB01"), "201", 2)["resident"]["resident_id"] == "S13"
    assert get(api, ADMIN, "/residents/{resident_id}", resident_id="S12").body["building_id"] is None
    assert history(api, "S12")["items"] == []
    assert get(api, ADMIN, "/residents/{resident_id}", resident_id="S6").body["room_no"] == "102"


def test_assignment_is_for_the_managers_of_the_planned_rooms_and_admins(api):
    world.add_newcomers()
    reply = assign(api, user=MANAGER_2)
    assert error(reply, 404)["field"] == "rooms[0].building_id"
    assert error(assign(api, user=LEADER), 403)["code"] == "forbidden"
    assert assign(api, user=STUDENT_1).status == 403
    assert get(api, ADMIN, "/residents/{resident_id}", resident_id="S7").body["building_id"] is None
    # The refused requests did not use up the request id.
    assert assign(api, user=MANAGER_1).body["placed_count"] == 7


BAD_ASSIGNMENTS = [
    ({**PLAN, "request_id": "short"}, "request_id"),
    ({k: v for k, v in PLAN.items() if k != "request_id"}, "request_id"),
    ({**PLAN, "residents": "S6"}, "residents"),
    ({**PLAN, "residents": []}, "residents"),
    ({**PLAN, "residents": ["S6", 7]}, "residents[1]"),
    ({**PLAN, "residents": [f"N{i}" for i in range(2001)]}, "residents"),
    ({**PLAN, "rooms": []}, "rooms"),
    ({**PLAN, "rooms": [{"building_id": "SB01", "room_no": "301", "floor": 3}]}, "rooms[0].floor"),
    ({**PLAN, "rooms": [{"building_id": "SB01"}]}, "rooms[0].room_no"),
    ({**PLAN, "rooms": [{"building_id": "SB01", "room_no": "301"}] * 2}, "rooms[1]"),
    ({**PLAN, "priority": "high"}, "priority"),
]


def test_a_bad_assignment_is_400_naming_the_field_and_keeps_the_request_id_free(api):
    for body, field in BAD_ASSIGNMENTS:
        assert error(assign(api, body=body), 400)["field"] == field, field
    world.add_newcomers()
    assert assign(api).body["placed_count"] == 7


def intake_building(building_id: str, genders: str, manager: str = "M1") -> list[dict]:
    """An empty building of 4-bed rooms, one a letter of ``genders`` (M/F), run by ``manager``: its rooms, planned."""
    from houqin.store import dorms

    items: list = [dorms.Building.make(building_id, "SB", f"{building_id}公寓", 6),
                   dorms.ManagerBuilding.make(manager, building_id)]
    rooms = []
    for number, gender in enumerate(genders):
        room_no = f"{100 + number}"
        items.append(dorms.Room.make(building_id, room_no, 1, gender, 4))
        items += [dorms.Bed.make(building_id, room_no, b, None) for b in range(1, 5)]
        rooms.append({"building_id": building_id, "room_no": room_no})
    for item in items:
        item.save()
    dorms.recount(building_id)  # rooms and beds written directly: the building's counts from them
    return rooms


def first_years(count: int, gender_of=lambda n: "M", start: int = 0) -> list[str]:
    """Unplaced first-years N000.. in three classes (by number), their gender ``gender_of(number)``: their ids."""
    from houqin.store import dorms

    ids = []
    for number in range(start, start + count):
        resident_id = f"N{number:03d}"
        ids.append(resident_id)
        dorms.Resident.make(resident_id, f"K{number:07d}", name=resident_id, gender=gender_of(number),
                            birth_month="2007-01", category="本科", campus_id="SB", department="计算机学院",
                            grade="2026", major="软件工程", class_name=f"软件工程26{number % 3:02d}", hometown="辽宁",
                            parent_phone="13700000000").save()
    return ids


def test_a_large_intake_is_written_in_many_transactions(api):
    """70 students over 3 transactions of at most 33 (DynamoDB allows 100 items: bed, resident, history)."""
    rooms = intake_building("SB03", "M" * 10 + "F" * 10)
    ids = first_years(70, lambda n: "M" if n % 2 else "F")
    result = assign(api, body={"request_id": "bulk-0001", "residents": ids, "rooms": rooms}).body
    assert result["placed_count"] == 70 and result["unplaced"] == []
    the_map = building_map(api, "SB03")
    assert the_map["counts"]["occupied"] == 70
    men = {b["resident"]["resident_id"] for r in the_map["rooms"] if r["gender"] == "M" for b in r["beds"]
           if not b["empty"]}
    assert men == {i for n, i in enumerate(ids) if n % 2}
    assert all(r["free"] == 0 for r in the_map["rooms"][:8])  # rooms filled in order: 35 men in 9 rooms


def test_other_roles_and_anonymous_callers_are_refused(api):
    nobody = User("X1", "worker")
    assert get(api, nobody, "/buildings").status == 403
    assert get(api, nobody, "/residents/{resident_id}", resident_id="S1").status == 403
    assert get(api, nobody, "/residents/{resident_id}/bed-history", resident_id="S1").status == 403
    assert call(api.app, "GET", "/buildings").status == 401


# ---------------------------------------------------------------- what each route declares it takes
def test_each_route_refuses_a_role_it_does_not_declare_before_reading_its_input(api):
    """Roles are checked first: a bad body from a caller without the role is a 403, not a 400."""
    assert error(post(api, COUNSELLOR_1, "/residents/{resident_id}/check-in", {"bogus": 1}, resident_id="S6"),
                 403)["code"] == "forbidden"
    assert error(post(api, LEADER, "/residents/{resident_id}/check-out", {}, resident_id="S1"), 403)["code"] == \
        "forbidden"
    assert post(api, PARENT_1, "/residents/{resident_id}/room-change", {}, resident_id="S1").status == 403
    assert error(assign(api, user=DISPATCHER, body={}), 403)["code"] == "forbidden"
    assert call(api.app, "PUT", "/buildings/{building_id}/settings", user=COUNSELLOR_1, body={},
                building_id="SB01").status == 403
    assert get(api, PARENT_1, "/buildings").status == 403


@pytest.mark.parametrize(("resource", "params"), [
    ("/buildings", {}),
    ("/buildings/{building_id}/map", {"building_id": "SB01"}),
    ("/residents/{resident_id}", {"resident_id": "S1"}),
    ("/residents/{resident_id}/bed-history", {"resident_id": "S1"}),
])
def test_a_query_parameter_a_route_does_not_declare_is_400_naming_it(api, resource, params):
    assert error(get(api, ADMIN, resource, query={"sort": "name"}, **params), 400)["field"] == "sort"


TIMES = {"curfew": "22:30", "morning_roll": "06:30", "opens": "06:00", "closes": "23:30"}
BED = {"building_id": "SB01", "room_no": "102", "bed_no": 2}


@pytest.mark.parametrize(("method", "resource", "body", "params"), [
    ("POST", "/residents/{resident_id}/check-in", BED, {"resident_id": "S6"}),
    ("POST", "/residents/{resident_id}/check-out", {"reason": "毕业离校"}, {"resident_id": "S1"}),
    ("POST", "/residents/{resident_id}/room-change", {**BED, "reason": "调整宿舍"}, {"resident_id": "S1"}),
    ("PUT", "/buildings/{building_id}/settings", TIMES, {"building_id": "SB01"}),
    ("POST", "/bed-assignments", {"request_id": "intake-2026-x", "residents": ["S6"],
                                  "rooms": [{"building_id": "SB01", "room_no": "102"}]}, {}),
])
def test_a_body_field_a_route_does_not_declare_is_400_naming_it_and_changes_nothing(api, method, resource, body,
                                                                                    params):
    reply = call(api.app, method, resource, user=ADMIN, body={**body, "state": "placed"}, **params)
    assert error(reply, 400)["field"] == "state"
    assert history(api, "S6")["items"] == [] and history(api, "S1")["items"] == []
    assert call(api.app, method, resource, user=ADMIN, body=body, **params).status == 200  # the same, declared


def test_a_get_refuses_a_body_and_settings_keep_notify_parent_when_left_out(api):
    reply = call(api.app, "GET", "/buildings", user=ADMIN, body={"campus_id": "SB"})
    assert error(reply, 400)["field"] == "body"
    times = TIMES

    def put(body):
        return call(api.app, "PUT", "/buildings/{building_id}/settings", user=MANAGER_1, body=body,
                    building_id="SB01")

    assert put({**times, "notify_parent": True}).body["settings"]["notify_parent"] is True
    assert put(times).body["settings"]["notify_parent"] is True  # left out: unchanged
    assert put({**times, "notify_parent": False}).body["settings"]["notify_parent"] is False
    assert error(put({**times, "notify_parent": "yes"}), 400)["field"] == "notify_parent"


def test_the_sample_event_is_answered_by_the_function(api):
    import json

    from tests.conftest import ROOT

    sample = json.loads((ROOT / "events" / "dorms" / "map.json").read_text())
    sample["requestContext"]["authorizer"]["claims"].update(MANAGER_1.claims())
    response = api.app(sample, None)
    assert response["statusCode"] == 200, response["body"]
    assert json.loads(response["body"])["building"]["building_id"] == "SB01"
