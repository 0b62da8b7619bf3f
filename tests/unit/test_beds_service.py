"""Bed assignment and check-in (houqin.services.dorms.Dorms) over an in-memory dorms store: no moto, no network.

GIVEN SB01 (managed by M1) with a men's room 101 where S1 of class A lives, an empty women's room 102 and an empty
men's room 201 WHEN M1 assigns newcomers to the planned rooms THEN who got which bed and who did not, and why,
is answered and written all or nothing; a repeat answers the stored result."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from houqin.auth import Principal
from houqin.clock import FixedClock
from houqin.contract import parse
from houqin.domain.actors import Role
from houqin.errors import Conflict, NotFound, ValidationError
from houqin.services.dorms import Assignment, BedRef, CheckOut, Dorms, RoomChange, counts_view
from tests.fakes.dorms import FakeDorms

NOW = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)
MANAGER = Principal("sub-M1", "M1", frozenset({Role.DORM_MANAGER}))
OTHER_MANAGER = Principal("sub-M2", "M2", frozenset({Role.DORM_MANAGER}))
ADMIN = Principal("sub-A1", "A1", frozenset({Role.ADMIN}))
PLAN = {"request_id": "intake-2026-sb01", "residents": ["N1", "N2", "N3", "N4", "N5", "S1", "GHOST"],
        "rooms": [{"building_id": "SB01", "room_no": r} for r in ("101", "102", "201", "999")]}


@pytest.fixture
def dorms():
    store = FakeDorms()
    store.add_building("SB01", rooms=[("101", "M", 2), ("102", "F", 2), ("201", "M", 2)])
    store.add_building("SB02", rooms=[("101", "M", 2)])
    store.add_manager("M1", "SB01")
    store.add_manager("M2", "SB02")
    store.add_resident("S1", "M", "A", bed=("SB01", "101", 1))
    store.add_resident("N1", "M", "A")
    store.add_resident("N2", "M", "B")
    store.add_resident("N3", "F", "B")
    store.add_resident("N4", "M", "B")
    store.add_resident("N5", "M", "B")
    return store


def assign(service: Dorms, plan: dict = PLAN, who: Principal = MANAGER):
    return service.assign_beds(who, parse(Assignment, plan))


def test_an_assignment_says_who_got_which_bed_and_who_did_not_and_why(dorms):
    service = Dorms(dorms=dorms, clock=FixedClock(NOW))
    result, replayed = assign(service)

    assert not replayed
    placed = {p["resident_id"]: (p["room_no"], p["bed_no"]) for p in result["placed"]}
    assert placed["N1"] == ("101", 2)  # the partly filled room first, with its resident's class
    assert placed["N3"] == ("102", 1)  # women only with women
    men_b = {r: placed[r] for r in ("N2", "N4", "N5") if r in placed}
    assert sorted(men_b.values()) == [("201", 1), ("201", 2)]  # three men of class B, two beds left
    unplaced = {u["resident_id"]: u["reason"] for u in result["unplaced"]}
    assert unplaced == {"GHOST": "unknown_resident", "S1": "already_placed",
                        ({"N2", "N4", "N5"} - set(men_b)).pop(): "no_free_bed"}
    assert result["rooms_not_found"] == [{"building_id": "SB01", "room_no": "999", "reason": "room_not_found"}]
    assert (result["requested"], result["placed_count"], result["unplaced_count"]) == (7, 4, 3)
    # written: every placed student in their bed, one history line each, the building's count kept
    for resident_id, (room_no, bed_no) in placed.items():
        assert dorms.occupant("SB01", room_no, bed_no) == resident_id
        assert dorms.people[resident_id].building_id == "SB01"
    assert sorted(e.resident_id for e in dorms.events) == sorted(placed)
    assert {e.reason for e in dorms.events} == {"automatic assignment intake-2026-sb01"}
    assert int(dorms.buildings["SB01"].occupied) == 5


def test_the_same_request_answers_the_stored_result_and_another_body_is_refused(dorms):
    service = Dorms(dorms=dorms, clock=FixedClock(NOW))
    first, _ = assign(service)
    again, replayed = assign(service)
    assert replayed and again == first
    assert len(dorms.events) == 4  # placed once
    with pytest.raises(Conflict) as refused:
        assign(service, {**PLAN, "residents": ["N5"]})
    assert refused.value.code == "request_id_reused"


def test_a_bed_taken_between_planning_and_writing_leaves_that_student_out_and_writes_the_rest(dorms):
    real = dorms.place_chunk

    def rival_first(placements, events, counts):
        if not dorms.occupant("SB01", "102", 1):
            dorms.add_resident("R9", "F", "C", bed=("SB01", "102", 1))  # another desk was faster
        return real(placements, events, counts)

    dorms.place_chunk = rival_first
    result, _ = assign(Dorms(dorms=dorms, clock=FixedClock(NOW)))

    assert {u["resident_id"]: u["reason"] for u in result["unplaced"]}["N3"] == "bed_taken"
    assert "N3" not in {p["resident_id"] for p in result["placed"]} and result["placed_count"] == 3
    assert dorms.occupant("SB01", "102", 1) == "R9" and dorms.people["N3"].building_id is None
    assert "N3" not in {e.resident_id for e in dorms.events}


def test_only_the_manager_of_the_planned_rooms_assigns(dorms):
    with pytest.raises(NotFound) as unseen:
        assign(Dorms(dorms=dorms, clock=FixedClock(NOW)), who=OTHER_MANAGER)
    assert unseen.value.field == "rooms[0].building_id"
    assert dorms.events == [] and dorms.runs == {}


def test_a_check_in_takes_an_empty_bed_of_the_residents_gender_only(dorms):
    service = Dorms(dorms=dorms, clock=FixedClock(NOW))
    with pytest.raises(ValidationError) as mixed:
        service.check_in(MANAGER, "N1", parse(BedRef, {"building_id": "SB01", "room_no": "102", "bed_no": 1}))
    assert mixed.value.code == "gender_mismatch"
    with pytest.raises(Conflict) as taken:
        service.check_in(MANAGER, "N1", parse(BedRef, {"building_id": "SB01", "room_no": "101", "bed_no": 1}))
    assert taken.value.code == "bed_taken"

    done = service.check_in(MANAGER, "N1", parse(BedRef, {"building_id": "SB01", "room_no": "201", "bed_no": 2}))

    assert (done["resident"]["room_no"], done["resident"]["bed_no"]) == ("201", 2)
    assert done["event"] == {"action": "check_in", "at": "2026-09-01T01:00:00.000Z", "by": "M1",
                             "building_id": "SB01", "room_no": "201", "bed_no": 2, "to_building_id": None,
                             "to_room_no": None, "to_bed_no": None, "reason": None}
    assert dorms.occupant("SB01", "201", 2) == "N1"


def recounted(dorms: FakeDorms) -> dict[str, dict]:
    """Every building's counts as its rooms and beds say (what the store's recount would store)."""
    return {b: counts_view(dorms.building_partition(b, rooms_only=True).counts()) for b in sorted(dorms.buildings)}


def listed(service: Dorms) -> dict[str, dict]:
    fields = ("rooms", "beds", "occupied", "free", "free_by_gender")
    return {b["building_id"]: {k: b[k] for k in fields} for b in service.list_buildings(ADMIN, None)["items"]}


def test_bed_changes_keep_the_listed_counts_those_of_the_beds(dorms):
    service = Dorms(dorms=dorms, clock=FixedClock(NOW))
    dorms.add_resident("W1", "M", "A", bed=("SB01", "102", 1))  # a man recorded in the women's room 102
    assert listed(service) == recounted(dorms)
    assert listed(service)["SB01"]["free_by_gender"] == {"M": 3, "F": 1}

    service.check_in(MANAGER, "N1", parse(BedRef, {"building_id": "SB01", "room_no": "101", "bed_no": 2}))
    service.room_change(ADMIN, "W1", parse(RoomChange, {"building_id": "SB02", "room_no": "101", "bed_no": 1,
                                                         "reason": "调整"}))
    service.check_out(MANAGER, "S1", parse(CheckOut, {"reason": "退学"}))
    result, _ = assign(service)  # three of S1, N2, N4, N5 into the men's beds left, N3 into 102

    assert result["placed_count"] == 4
    assert listed(service) == recounted(dorms)
    assert listed(service)["SB01"] == {"rooms": 3, "beds": 6, "occupied": 5, "free": 1,
                                       "free_by_gender": {"M": 0, "F": 1}}
    assert listed(service)["SB02"]["free_by_gender"] == {"M": 1, "F": 0}  # W1 took a men's bed there
    assert service.building_map(MANAGER, "SB01")["counts"] == listed(service)["SB01"]


def test_an_intake_over_two_buildings_is_written_one_building_a_transaction(dorms):
    """The students sorted by id mix both buildings: a transaction of 33 of them and two buildings' counts would be
    101 items, more than DynamoDB takes (the fake refuses it too)."""
    for building_id in ("SB03", "SB04"):
        dorms.add_building(building_id, rooms=[(f"{100 + n}", "M", 4) for n in range(8)])
        dorms.add_manager("M1", building_id)
    ids = [dorms.add_resident(f"X{n:02d}", "M", f"class{n % 3}").resident_id for n in range(60)]
    rooms = [{"building_id": b, "room_no": f"{100 + n}"} for b in ("SB03", "SB04") for n in range(8)]
    service = Dorms(dorms=dorms, clock=FixedClock(NOW))

    result, _ = assign(service, {"request_id": "intake-2026-x", "residents": ids, "rooms": rooms})

    assert result["placed_count"] == 60
    assert [p["resident_id"] for p in result["placed"]] == ids  # by resident id, as planned
    assert listed(service) == recounted(dorms)
    assert (listed(service)["SB03"]["occupied"], listed(service)["SB04"]["occupied"]) == (32, 28)


@pytest.mark.parametrize(("cls", "data", "field"), [
    (BedRef, {"building_id": "SB01", "room_no": "101"}, "bed_no"),
    (BedRef, {"building_id": "SB01", "room_no": "101", "bed_no": 100}, "bed_no"),
    (BedRef, {"building_id": "SB01", "room_no": "101", "bed_no": True}, "bed_no"),
    (RoomChange, {"building_id": "SB01", "room_no": "101", "bed_no": 1}, "reason"),
    (RoomChange, {"building_id": "SB01", "room_no": "101", "bed_no": 1, "reason": "x" * 201}, "reason"),
    (CheckOut, {"reason": "  "}, "reason"),
    (Assignment, {**PLAN, "residents": ["N1", "N 2"]}, "residents[1]"),
    (Assignment, {**PLAN, "rooms": [{"building_id": "SB01", "room_no": "101", "bed_no": 1}]}, "rooms[0].bed_no"),
    (Assignment, {**PLAN, "request_id": "x" * 81}, "request_id"),
])
def test_the_declared_inputs_name_the_field_at_fault(cls, data, field):
    with pytest.raises(ValidationError) as refused:
        parse(cls, data)
    assert refused.value.field == field


def test_a_room_planned_twice_is_refused_before_anything_is_read(dorms):
    twice = {**PLAN, "rooms": [{"building_id": "SB01", "room_no": "101"}, {"building_id": "SB01", "room_no": "101"}]}
    with pytest.raises(ValidationError) as refused:
        assign(Dorms(dorms=dorms, clock=FixedClock(NOW)), twice)
    assert refused.value.field == "rooms[1]" and dorms.runs == {}
