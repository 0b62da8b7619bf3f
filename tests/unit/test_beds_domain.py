"""GIVEN students and planned rooms made by hand WHEN beds are assigned automatically (自动分房)
THEN genders never mix, classes stay together, rooms fill before new ones open, everyone left
out has a reason, and the plan does not depend on the order of the input.

GIVEN a building's rooms and beds WHEN beds are taken and freed THEN the counts changed by bed_changes stay
those tally finds in the beds."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

from houqin.domain.beds import BedCounts, Occupant, PlannedRoom, Reason, Student, bed_changes, plan, tally


def room(room_no: str, gender: str = "M", beds: int = 4, occupants: tuple[Occupant, ...] = (),
         building_id: str = "SB01") -> PlannedRoom:
    taken = len(occupants)
    return PlannedRoom(building_id, room_no, gender, tuple(range(taken + 1, beds + 1)), occupants)


def students(class_name: str, gender: str, count: int, prefix: str) -> list[Student]:
    return [Student(f"{prefix}{n:02d}", gender, class_name) for n in range(count)]


def by_id(items: list[Student]) -> dict[str, Student]:
    return {s.resident_id: s for s in items}


def rooms_of(result) -> dict[str, list[str]]:
    rooms: dict[str, list[str]] = defaultdict(list)
    for p in result.placements:
        rooms[p.room_no].append(p.resident_id)
    return dict(rooms)


def test_genders_never_share_a_room_even_when_a_room_of_the_right_gender_holds_the_other():
    people = students("A", "M", 3, "m") + students("A", "F", 3, "f")
    wrongly_filled = room("103", "M", occupants=(Occupant("x1", "F", "Z"),))  # bad data: a woman in a men's room
    result = plan([s.resident_id for s in people], by_id(people),
                  [room("101", "M"), room("102", "F"), wrongly_filled])
    gender_of = {s.resident_id: s.gender for s in people}
    assert {r: {gender_of[i] for i in ids} for r, ids in rooms_of(result).items()} == {"101": {"M"}, "102": {"F"}}
    assert "103" not in rooms_of(result)


def test_a_class_fills_its_own_rooms_and_only_its_leftovers_share_with_the_next_class():
    people = students("软件2601", "M", 8, "a") + students("软件2602", "M", 6, "b")
    result = plan([s.resident_id for s in people], by_id(people), [room(n) for n in ("101", "102", "103", "104")])
    rooms = rooms_of(result)
    assert rooms["101"] == ["a00", "a01", "a02", "a03"] and rooms["102"] == ["a04", "a05", "a06", "a07"]
    assert rooms["103"] == ["b00", "b01", "b02", "b03"] and rooms["104"] == ["b04", "b05"]
    mixed = [r for r, ids in rooms.items() if len({i[0] for i in ids}) > 1]
    assert mixed == []


def test_leftovers_of_a_class_go_with_the_next_class_rather_than_opening_a_room():
    people = students("A", "M", 5, "a") + students("B", "M", 3, "b")
    result = plan([s.resident_id for s in people], by_id(people), [room("101"), room("102"), room("103")])
    assert rooms_of(result) == {"101": ["a00", "a01", "a02", "a03"], "102": ["a04", "b00", "b01", "b02"]}


def test_partly_filled_rooms_fill_first_and_take_their_residents_classmates():
    half_full = room("201", occupants=(Occupant("old1", "M", "B"), Occupant("old2", "M", "B")))
    other_half = room("202", occupants=(Occupant("old3", "M", "Z"),))
    people = students("A", "M", 4, "a") + students("B", "M", 2, "b")
    result = plan([s.resident_id for s in people], by_id(people), [room("101"), half_full, other_half])
    rooms = rooms_of(result)
    assert rooms["201"] == ["b00", "b01"]  # classmates of the residents already there
    assert rooms["202"] == ["a00", "a01", "a02"]  # the other partly filled room before any empty one
    assert rooms["101"] == ["a03"]  # opened only for the one who did not fit
    beds_201 = sorted(p.bed_no for p in result.placements if p.room_no == "201")
    assert beds_201 == [3, 4]  # the free beds, not the taken ones


def test_rooms_open_in_the_planners_order_and_no_room_opens_while_another_has_space():
    people = students("A", "F", 6, "f")
    result = plan([s.resident_id for s in people], by_id(people),
                  [room("305", "F"), room("301", "F"), room("302", "F")])
    assert Counter(p.room_no for p in result.placements) == {"305": 4, "301": 2}


def test_everyone_left_out_is_reported_with_a_reason():
    people = [*students("A", "M", 3, "m"), Student("placed", "M", "A", placed=True), *students("A", "F", 1, "f")]
    requested = ["m00", "m01", "m02", "placed", "ghost", "m00", "f00"]
    result = plan(requested, by_id(people), [room("101", "M", beds=2)])
    assert {(u.resident_id, u.reason) for u in result.unplaced} == {
        ("m02", Reason.NO_FREE_BED), ("placed", Reason.ALREADY_PLACED), ("ghost", Reason.UNKNOWN_RESIDENT),
        ("m00", Reason.DUPLICATE), ("f00", Reason.NO_FREE_BED)}
    assert [p.resident_id for p in result.placements] == ["m00", "m01"]
    assert all(u.message for u in result.unplaced)
    assert next(u for u in result.unplaced if u.resident_id == "f00").message == \
        "no free bed for gender F left in the planned rooms"


def test_no_rooms_or_no_students_is_an_empty_plan_not_an_error():
    people = students("A", "M", 2, "m")
    assert plan([s.resident_id for s in people], by_id(people), []).placements == ()
    assert plan([], {}, [room("101")]) == plan([], {}, [])


def test_the_plan_does_not_depend_on_the_order_students_are_listed_in():
    people = students("A", "M", 5, "a") + students("B", "M", 5, "b") + students("C", "F", 3, "c")
    rooms = [room("101"), room("102"), room("103"), room("201", "F")]
    ids = [s.resident_id for s in people]
    expected = plan(ids, by_id(people), rooms)
    for seed in range(5):
        shuffled = ids[:]
        random.Random(seed).shuffle(shuffled)
        assert plan(shuffled, by_id(people), rooms) == expected


def test_random_intakes_keep_every_invariant():
    rng = random.Random(7)
    for _ in range(50):
        people = [Student(f"s{n:03d}", rng.choice("MF"), f"class{rng.randint(1, 5)}")
                  for n in range(rng.randint(0, 60))]
        rooms = []
        for n in range(rng.randint(0, 12)):
            gender = rng.choice("MF")
            occupants = tuple(Occupant(f"o{n}{k}", gender, f"class{rng.randint(1, 5)}")
                              for k in range(rng.randint(0, 3)))
            rooms.append(room(f"{100 + n}", gender, beds=4, occupants=occupants))
        result = plan([s.resident_id for s in people], by_id(people), rooms)

        beds = [(p.room_no, p.bed_no) for p in result.placements]
        assert len(beds) == len(set(beds))  # a bed once
        gender_of = {s.resident_id: s.gender for s in people}
        room_of = {r.room_no: r for r in rooms}
        for p in result.placements:
            assert room_of[p.room_no].gender == gender_of[p.resident_id]
            assert p.bed_no in room_of[p.room_no].free_beds
        assert {p.resident_id for p in result.placements} | {u.resident_id for u in result.unplaced} == \
            set(gender_of)
        for gender in "MF":
            free = sum(len(r.free_beds) for r in rooms if r.gender == gender)
            wanting = sum(1 for s in people if s.gender == gender)
            assert sum(1 for p in result.placements if gender_of[p.resident_id] == gender) == min(free, wanting)
        opened = {p.room_no for p in result.placements if not room_of[p.room_no].occupants}
        for gender in "MF":  # at most one room of each gender is left part-used by this plan
            used = Counter(p.room_no for p in result.placements if p.room_no in opened
                           and room_of[p.room_no].gender == gender)
            assert sum(1 for r, n in used.items() if n < len(room_of[r].free_beds)) <= 1


# ---------------------------------------------------------------- a building's bed counts
def test_tally_counts_free_beds_by_the_gender_of_their_room():
    rooms = [("101", "M"), ("102", "F"), ("103", "M")]
    beds = [("101", True), ("101", False), ("102", False), ("102", False), ("103", True), ("999", False)]
    counts = tally(rooms, beds)
    # the bed of a room not found counts as a free bed of no gender
    assert counts == BedCounts(rooms=3, beds=6, occupied=2, free_m=1, free_f=2)
    assert (counts.free, counts.free_by_gender) == (4, {"M": 1, "F": 2})
    assert tally([], []) == BedCounts()


def test_bed_changes_say_how_each_building_changes_and_leave_out_the_unchanged():
    assert bed_changes([("SB01", "M", 1)]) == {"SB01": BedCounts(occupied=1, free_m=-1)}  # check-in
    assert bed_changes([("SB01", "F", -1)]) == {"SB01": BedCounts(occupied=-1, free_f=1)}  # check-out
    # a move between buildings changes both; from a women's room to a men's one both genders
    assert bed_changes([("SB01", "F", -1), ("SB02", "M", 1)]) == {"SB01": BedCounts(occupied=-1, free_f=1),
                                                                 "SB02": BedCounts(occupied=1, free_m=-1)}
    assert bed_changes([("SB01", "F", -1), ("SB01", "M", 1)]) == {"SB01": BedCounts(free_m=-1, free_f=1)}
    assert bed_changes([("SB01", "M", -1), ("SB01", "M", 1)]) == {}  # nothing to write
    assert bed_changes([("SB01", "M", 1)] * 3 + [("SB01", "F", 1)]) == {"SB01": BedCounts(occupied=4, free_m=-3,
                                                                                           free_f=-1)}
    assert bed_changes([("SB01", None, -1)]) == {"SB01": BedCounts(occupied=-1)}  # a bed of a room not found


def test_counts_kept_by_random_bed_changes_are_those_of_the_beds():
    rng = random.Random(11)
    rooms = [(f"{100 + n}", rng.choice("MF")) for n in range(12)] + [("999", "X")]  # and a room of no known gender
    gender_of = dict(rooms)
    taken = {(room_no, bed): rng.random() < 0.5 for room_no, _ in rooms for bed in range(1, 5)}

    def counted() -> BedCounts:
        return tally(rooms, ((room_no, occupied) for (room_no, _), occupied in taken.items()))

    kept = counted()
    for _ in range(300):
        bed = rng.choice(sorted(taken))
        changes = [("B", gender_of[bed[0]], -1 if taken[bed] else 1)]
        if taken[bed] and rng.random() < 0.5:  # a move: the resident takes an empty bed elsewhere
            empty = [b for b, occupied in taken.items() if not occupied]
            if empty:
                target = rng.choice(empty)
                taken[target] = True
                changes.append(("B", gender_of[target[0]], 1))
        taken[bed] = not taken[bed]
        kept = kept + bed_changes(changes).get("B", BedCounts())
        assert kept == counted()
