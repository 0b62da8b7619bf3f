"""The tickets use cases with in-memory repositories and ports (tests/fakes): no moto, no network, no sleeping.

SB campus, building SB01 room 101; the SB water repair point (workers E0001, E0002) gets water reports by rule,
the SB electric one has E0009. 10:00 in Shanghai on 2026-11-23, the clock pinned and moved by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from houqin.auth import Principal
from houqin.clock import FixedClock
from houqin.contract import parse
from houqin.domain.actors import Role
from houqin.errors import Conflict, Forbidden, NotFound, ValidationError
from houqin.services.tickets import Intake, PhotoUpload, Rating, Tickets, Transition
from tests.fakes.ports import FakeFileStore
from tests.fakes.tickets import FakePlaces, FakeStaff, FakeTicketStore, Team

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
LEAK = {"campus_id": "SB", "building_id": "SB01", "room_no": "101", "category": "water", "severity": "minor",
        "description": "卫生间水龙头漏水"}
LINES = [{"kind": "labour", "code": "L01", "name": "更换水龙头", "quantity": 1, "unit_price_fen": 2000},
         {"kind": "material", "code": "M03", "name": "生料带", "quantity": 2.5, "unit_price_fen": 101}]


def user(person_id: str, *roles: Role) -> Principal:
    return Principal(subject=person_id, person_id=person_id, roles=frozenset(roles))


STUDENT, OTHER_STUDENT = user("S00001", Role.STUDENT), user("S00002", Role.STUDENT)
WORKER, TEAMMATE, ELECTRICIAN = (user(p, Role.WORKER) for p in ("E0001", "E0002", "E0009"))
DESK = user("E0097", Role.DISPATCHER)


def body(cls: type, data: dict) -> Any:
    """A request's body as the route declares it (parsed and checked as the edge does)."""
    return parse(cls, data)


@pytest.fixture
def world():
    store = FakeTicketStore()
    store.put_routing_rule("water.SB", "SB-WATER", "E1603", "2026-11-01T00:00:00.000Z")
    staff = FakeStaff(teams={"SB-WATER": Team("SB-WATER", "松北水维修点", "水", "SB"),
                             "SB-ELEC": Team("SB-ELEC", "松北电维修点", "电", "SB")},
                      members={"E0001": "SB-WATER", "E0002": "SB-WATER", "E0009": "SB-ELEC"})
    places = FakePlaces(campuses={"SB"}, buildings={"SB01": "SB"}, rooms={("SB01", "101")})
    files = FakeFileStore()
    service = Tickets(tickets=store, staff=staff, places=places, clock=FixedClock(START), files=files)
    return service, store, files


def act(service: Tickets, who: Principal, ticket_id: str, action: str, **fields):
    return service.transition(who, ticket_id, body(Transition, {"action": action, **fields}), None)


def test_the_life_cycle_from_a_web_report_to_a_rating(world):
    service, store, _ = world
    ticket, version = service.create(STUDENT, body(Intake, LEAK))
    assert (ticket.state, ticket.team_id, ticket.owner, version) == ("dispatched", "SB-WATER", "team:SB-WATER", 1)
    assert ticket.deadline == "2026-11-23T03:00:00.000Z" and ticket.received_by == "S00001"
    tid = ticket.ticket_id

    assert act(service, WORKER, tid, "accept")[0].owner == "E0001"
    service.clock.advance(minutes=5)
    assert act(service, WORKER, tid, "start")[0].state == "in_progress"
    service.clock.advance(minutes=40)
    done, version = act(service, WORKER, tid, "complete", lines=LINES)
    assert (done.state, done.sla_met, done.fee_fen, version) == ("completed", True, 2000 + 253, 4)
    assert done.completed_at == "2026-11-23T02:45:00.000Z"

    scores = {"attitude": 5, "speed": 4, "quality": 5, "price": 4, "comment": "很快"}
    rated, _ = service.rate(STUDENT, tid, body(Rating, scores), 4)
    assert rated.state == "confirmed" and rated.rating["by"] == "S00001"
    assert [e["action"] for e in store.audit_trail(tid)] == ["submit", "dispatch", "accept", "start", "complete",
                                                             "rate"]
    with pytest.raises(Conflict):  # the version read was 4: the rating moved it on
        service.rate(STUDENT, tid, body(Rating, scores), 4)


def test_a_late_completion_misses_its_deadline(world):
    service, _, _ = world
    tid = service.create(STUDENT, body(Intake, LEAK))[0].ticket_id
    act(service, WORKER, tid, "accept")
    act(service, WORKER, tid, "start")
    service.clock.advance(minutes=61)
    assert act(service, WORKER, tid, "complete")[0].sla_met is False


def test_a_photo_upload_form_comes_from_the_file_store_limited_in_type_size_and_time(world):
    service, store, files = world
    tid = service.create(STUDENT, body(Intake, LEAK))[0].ticket_id
    upload = service.add_photo(STUDENT, tid, body(PhotoUpload, {"content_type": "image/png", "size_bytes": 800_000}))
    (form,) = files.forms
    assert form["bucket"] == "attachments" and form["key"] == upload["key"]
    assert upload["key"].startswith(f"tickets/{tid}/1-") and upload["key"].endswith(".png")
    assert (form["content_type"], form["max_bytes"], form["expires_in"]) == ("image/png", 800_000, 600)
    assert upload["fields"] == {"key": upload["key"], "Content-Type": "image/png"}
    assert store.get(tid)[0].photos == (upload["key"],)
    detail, _ = service.detail(STUDENT, tid)
    assert detail["photo_urls"] == [f"https://files.test/attachments/{upload['key']}?expires_in=600"]
    with pytest.raises(NotFound):
        service.add_photo(OTHER_STUDENT, tid, body(PhotoUpload, {"content_type": "image/png", "size_bytes": 10}))
    with pytest.raises(Forbidden):  # sees the ticket (their repair point's) but is not on the job
        service.add_photo(TEAMMATE, tid, body(PhotoUpload, {"content_type": "image/png", "size_bytes": 10}))
    assert len(files.forms) == 1


def test_two_students_and_two_workers_of_one_role_see_only_what_is_theirs(world):
    service, _, _ = world
    tid = service.create(STUDENT, body(Intake, LEAK))[0].ticket_id
    with pytest.raises(NotFound):
        service.detail(OTHER_STUDENT, tid)
    with pytest.raises(NotFound):
        act(service, OTHER_STUDENT, tid, "cancel")
    assert service.my_tickets(OTHER_STUDENT, 10, None).items == []
    assert [t.ticket_id for t in service.my_tickets(STUDENT, 10, None).items] == [tid]

    with pytest.raises(NotFound):  # another repair point's job is not even visible
        service.detail(ELECTRICIAN, tid)
    assert service.detail(TEAMMATE, tid)[0]["ticket_id"] == tid
    act(service, WORKER, tid, "accept")
    with pytest.raises(Forbidden):  # the teammate sees it, only the worker who accepted works it
        act(service, TEAMMATE, tid, "start")
    with pytest.raises(Forbidden):
        service.team_queue(ELECTRICIAN, "SB-WATER", None, 10, None)
    assert [t.ticket_id for t in service.my_jobs(WORKER, 10, None).items] == [tid]
    assert service.my_jobs(TEAMMATE, 10, None).items == []


def test_the_system_opens_one_ticket_per_source_routed_and_received_by_the_system(world):
    service, store, _ = world
    finding = {"campus_id": "SB", "building_id": "SB01", "room_no": "101", "category": "water", "severity": "major",
               "description": "查寝发现暖气漏水"}
    ticket, version, opened = service.open_for_system(source="inspection:I-2611-07", **finding)
    assert opened and version == 1
    assert (ticket.channel, ticket.source, ticket.received_by, ticket.requester_id) == (
        "system", "inspection:I-2611-07", "system", "system")
    assert (ticket.state, ticket.team_id) == ("dispatched", "SB-WATER")
    assert [e["by"] for e in store.audit_trail(ticket.ticket_id)] == ["system", "system"]

    service.clock.advance(minutes=10)
    again, version, opened = service.open_for_system(source="inspection:I-2611-07", **finding)
    assert not opened and again.ticket_id == ticket.ticket_id and version == 1
    assert len(store.tickets) == 1

    other, _, opened = service.open_for_system(source="meter:W-SB01-3", **{**finding, "room_no": None})
    assert opened and other.ticket_id != ticket.ticket_id and len(store.tickets) == 2
    assert service.detail(DESK, other.ticket_id)[0]["source"] == "meter:W-SB01-3"
    with pytest.raises(NotFound):  # a student sees no system ticket
        service.detail(STUDENT, other.ticket_id)


def test_system_intake_checks_what_it_is_given(world):
    service, store, _ = world
    good = {"campus_id": "SB", "building_id": "SB01", "category": "water", "severity": "minor", "description": "漏水"}
    for change, field in (({"source": "no colon"}, "source"), ({"building_id": "SB99"}, "building_id"),
                          ({"category": "plumbing"}, "category"), ({"severity": "urgent"}, "severity"),
                          ({"description": " "}, "description"), ({"building_id": None}, "place")):
        with pytest.raises(ValidationError) as error:
            service.open_for_system(**{"source": "inspection:I1", **good, **change})
        assert error.value.field == field
    assert store.tickets == {} and store.sources == {}


def test_a_source_claimed_by_a_concurrent_run_answers_that_runs_ticket(world):
    service, store, _ = world
    finding = {"campus_id": "SB", "building_id": "SB01", "category": "water", "severity": "minor",
               "description": "漏水"}
    first, _, _ = service.open_for_system(source="meter:M1", **finding)
    claimed = store.ticket_of_source
    calls = []

    def not_yet_then_claimed(source):  # the first look sees nothing: another run claims it meanwhile
        calls.append(source)
        return None if len(calls) == 1 else claimed(source)

    store.ticket_of_source = not_yet_then_claimed
    again, _, opened = service.open_for_system(source="meter:M1", **finding)
    assert not opened and again.ticket_id == first.ticket_id and len(store.tickets) == 1
