"""The alarm checks on a small world with known answers: the night roll and its re-evaluation, no duplicates,
escalation with an injected clock, silent readers, overdue repairs, the zero report; the alarms API by permission.

The night of 2026-11-23 at SB01 (curfew 23:00, morning roll 06:00, Shanghai time), residents S1..S4:
- S1 goes out at 20:00 and comes back at 23:40 (a late return);
- S2 goes out at 19:00 and comes in at 22:50 through SB01-B, which is offline until 23:30 (a false alarm);
- S3 comes in at 21:00 (home); S4 goes out at 21:00 on an approved leave.
SB02 (S5, home at 22:00) has a quiet night: its zero report has no rows.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from houqin import checks
from houqin.checks import night_roll
from houqin.clock import FixedClock, at_local, to_iso
from houqin.domain.alarms import alarm_key
from houqin.domain.leave import LeaveRequest, LeaveState
from houqin.domain.swipes import ReaderProgress
from houqin.services.alarms import Alarms
from houqin.services.tickets import Tickets
from houqin.store import alarms as store
from houqin.store import dorms, leave, swipes
from tests.conftest import load_function_module
from tests.integration import dorm_fixture as world
from tests.integration.apigw import User, call

NIGHT = date(2026, 11, 23)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return at_local(date(2026, 11, day), time(hour, minute))


def heard(reader_id: str, moment: datetime) -> None:
    """The reader's data is complete up to ``moment`` (its last message was sent then)."""
    item = swipes.reader_progress(reader_id, reader_id.split("-")[0])
    item.set(ReaderProgress(last_sent_at=to_iso(moment), last_message_at=to_iso(moment)))
    assert swipes.save_progress(item)


def run(check: str, moment: datetime) -> dict:
    return checks.run(check, Alarms(clock=FixedClock(moment)))


@pytest.fixture
def night(aws):
    world.build()
    gate = world.Gate()
    gate.swipe("S1", "out", at(23, 20))
    gate.swipe("S2", "out", at(23, 19))
    gate.swipe("S3", "in", at(23, 21))
    gate.swipe("S4", "out", at(23, 21))
    gate.swipe("S5", "in", at(23, 22), reader_id="SB02-A")
    heard("SB01-A", at(23, 23, 4))
    heard("SB01-B", at(23, 22, 40))  # offline since 22:40: its backlog holds S2's 22:50 entry
    heard("SB02-A", at(23, 23, 4))
    s4 = LeaveRequest("L1", "S4", at(23, 0), at(25, 0), "回家", "M1", at(22, 9), LeaveState.APPROVED, "M1", at(22, 9))
    leave.create(leave.LeaveItem.make(s4, building_id="SB01", department="机械工程学院", grade="2024"))
    return gate


def alarm(check: str, subject: str, period: str = "2026-11-23") -> store.AlarmItem | None:
    return store.get(alarm_key(check, subject, period), consistent=True)


def roll(building_id: str, kind: str) -> store.RollItem:
    return store.night_items(building_id, NIGHT, NIGHT)[(NIGHT.isoformat(), kind)]


# ---------------------------------------------------------------- the night roll
def test_the_curfew_roll_flags_who_is_out_excuses_leave_and_says_which_reader_is_behind(night, monkeypatch):
    profiles_read, real = [], dorms.residents
    monkeypatch.setattr(dorms, "residents", lambda ids: profiles_read.append(sorted(ids)) or real(ids))
    summary = run("night_roll", at(23, 23, 5))
    assert summary["raised"] == 2
    assert profiles_read == [["S1", "S2"]]  # only the newly flagged, in one batch: the alarms name them
    curfew = roll("SB01", "curfew").view()
    assert [n["resident_id"] for n in curfew["not_returned"]] == ["S1", "S2"]
    assert curfew["not_returned"][0]["last_exit"] == to_iso(at(23, 20))
    assert curfew["on_leave"] == ["S4"]
    assert curfew["counts"] == {"expected": 4, "present": 1, "on_leave": 1, "not_returned": 2, "still_out": 2,
                                "late_returns": 0, "readers_behind": 1}
    assert curfew["provisional"] and curfew["readers_behind"] == [{"reader_id": "SB01-B",
                                                                   "watermark": to_iso(at(23, 22, 40))}]
    s1 = alarm("curfew_roll", "S1")
    assert (s1.state, s1.building_id, s1.department, s1.details["name"]) == ("open", "SB01", "计算机学院", "王伟")
    assert s1.details["room_no"] == "101"
    assert roll("SB02", "curfew").view()["counts"]["not_returned"] == 0


def test_a_presence_written_before_it_carried_the_resident_still_names_them(night):
    dorms.Presence.make("SB01", "S1", "out", to_iso(at(23, 20)), "SB01-A", "SB01").save()  # no profile
    run("night_roll", at(23, 23, 5))
    s1 = alarm("curfew_roll", "S1")
    assert (s1.department, s1.details["name"], s1.details["room_no"]) == ("计算机学院", "王伟", "101")


def test_re_running_a_check_never_duplicates_alarms(night):
    run("night_roll", at(23, 23, 5))
    again = run("night_roll", at(23, 23, 5))
    assert again.get("raised", 0) == 0
    assert len(list(store.all_in_state("open"))) == 2
    events, _ = store.history(alarm_key("curfew_roll", "S1", "2026-11-23"))
    assert [e["action"] for e in events] == ["raise"]


def test_a_provisional_roll_with_nothing_new_is_not_written_again(night):
    """SB01-B is behind, so the curfew roll is watched every 10 minutes; until a backlog arrives or someone
    flagged comes back, a run reads a few items and writes nothing (an 8 KB roll rewritten 50 times a night
    was most of the rolls' cost)."""
    run("night_roll", at(23, 23, 5))
    first = roll("SB01", "curfew").view()
    again = run("night_roll", at(23, 23, 15))
    assert again.get("rolls_unchanged") == 1 and again.get("rolls", 0) == 0  # SB01 (SB02 is final: not read)
    assert roll("SB01", "curfew").view() == first  # same evaluation, same evaluated_at


def test_a_roll_taken_stays_at_its_moment_when_the_buildings_hours_change_that_night(night, monkeypatch):
    run("night_roll", at(23, 23, 5))  # SB01's curfew roll taken at 23:00: S1 and S2 flagged, SB01-B behind
    building = dorms.Building.get("BLDG#SB01", "META")
    building.curfew = "22:30"  # the manager moves the alarm time after tonight's roll
    building.save()
    night.swipe("S1", "in", at(23, 23, 40))
    heard("SB01-A", at(23, 23, 44))
    summary = run("night_roll", at(23, 23, 45))  # re-evaluates the roll taken, at 23:00: no error
    assert summary["resolved"] == 1
    curfew = roll("SB01", "curfew").view()
    assert curfew["at"] == to_iso(at(23, 23)) and curfew["evaluations"] == 2

    # a building whose roll fails is named; the other buildings' rolls are still taken
    real = night_roll.roll_building

    def sb01_broken(alarms, building, now):
        if building.building_id == "SB01":
            raise ValueError("bad data")
        return real(alarms, building, now)

    monkeypatch.setattr(night_roll, "roll_building", sb01_broken)
    with pytest.raises(night_roll.RollFailed, match="failed for SB01"):
        run("night_roll", at(24, 6, 5))
    assert roll("SB02", "morning").view()["counts"]["expected"] == 1


def test_a_late_backlog_resolves_the_false_alarm_and_a_late_return_resolves_its_alarm(night):
    run("night_roll", at(23, 23, 5))
    night.swipe("S2", "in", at(23, 22, 50), reader_id="SB01-B")  # the backlog arrives
    heard("SB01-B", at(23, 23, 30))
    night.swipe("S1", "in", at(23, 23, 40))
    heard("SB01-A", at(23, 23, 44))
    summary = run("night_roll", at(23, 23, 45))
    assert summary["resolved"] == 2
    curfew = roll("SB01", "curfew").view()
    assert not curfew["provisional"] and curfew["evaluations"] == 2
    assert [(n["resident_id"], n["returned_at"]) for n in curfew["not_returned"]] == [("S1", to_iso(at(23, 23, 40)))]
    assert curfew["late_returns"] == [{"resident_id": "S1", "at": to_iso(at(23, 23, 40)), "reader_id": "SB01-A"}]
    s2, s1 = alarm("curfew_roll", "S2"), alarm("curfew_roll", "S1")
    assert (s2.state, s2.resolution, s2.resolved_by) == ("resolved", "auto", "system")
    assert "false alarm" in s2.note
    assert (s1.state, s1.resolution) == ("resolved", "auto") and "23:40" in s1.note
    assert run("night_roll", at(23, 23, 55)).get("rolls", 0) == 0  # final: not read again


def test_the_morning_roll_and_the_zero_report_even_on_a_quiet_night(night):
    run("night_roll", at(23, 23, 5))
    night.swipe("S2", "in", at(23, 22, 50), reader_id="SB01-B")
    night.swipe("S1", "in", at(23, 23, 40))
    for reader in ("SB01-A", "SB01-B", "SB02-A"):
        heard(reader, at(24, 6, 1))
    summary = run("night_roll", at(24, 6, 5))
    assert summary["zero_reports"] == 2
    quiet = store.zero_report("SB02", NIGHT).view()
    assert quiet["rows"] == [] and quiet["nothing_to_report"] and quiet["signed_by"] is None
    assert quiet["counts"] == {"expected": 1, "on_leave": 0, "late_returns": 0, "not_returned": 0,
                               "readers_behind": 0}
    report = store.zero_report("SB01", NIGHT).view()
    assert [(r["kind"], r["resident_id"]) for r in report["rows"]] == [("late_return", "S1")]
    assert alarm("night_out", "S1") is None  # back before the morning roll


def test_consecutive_nights_out_are_counted_and_the_morning_roll_raises_night_out(night):
    for reader in ("SB01-A", "SB01-B", "SB02-A"):
        heard(reader, at(24, 6, 1))
    run("night_roll", at(24, 6, 5))  # takes last night's curfew and morning rolls late, at once
    first = alarm("night_out", "S1")
    assert (first.severity, first.details["nights"]) == ("critical", 1)
    for reader in ("SB01-A", "SB01-B", "SB02-A"):
        heard(reader, at(25, 6, 1))
    run("night_roll", at(25, 6, 5))
    second = alarm("night_out", "S1", "2026-11-24")
    assert second.details["nights"] == 2


# ---------------------------------------------------------------- escalation (injected clock)
def test_escalation_climbs_the_ladder_once_per_step_and_stops_when_acknowledged(night, template):
    run("night_roll", at(23, 23, 5))
    assert run("escalation", at(23, 23, 6)) == {"notifications": 2}  # both dorm-manager steps
    assert run("escalation", at(23, 23, 20)) == {"notifications": 0}
    _, sent = store.history(alarm_key("curfew_roll", "S1", "2026-11-23"))
    assert [(n["recipient"], n["to"]) for n in sent] == [("dorm_manager", ["M1"])]
    assert sent[0]["message_id"] and "未按时归寝" in sent[0]["text_zh"]
    api = alarms_api(template, at(23, 23, 30))
    assert call(api, "POST", "/alarms/{alarm_id}/acknowledge", user=world.MANAGER_1,
                alarm_id=alarm_key("curfew_roll", "S2", "2026-11-23")).status == 200
    assert run("escalation", at(23, 23, 35)) == {"notifications": 1}  # S1's counsellor after 30 minutes
    _, sent = store.history(alarm_key("curfew_roll", "S1", "2026-11-23"))
    assert [(n["recipient"], n["to"]) for n in sent][-1] == ("counsellor", ["T1"])
    assert run("escalation", at(23, 23, 6) + timedelta(minutes=61)) == {"notifications": 0}  # no parent step
    dorms.save_settings("SB01", {"notify_parent": True})
    assert run("escalation", at(23, 23, 6) + timedelta(minutes=62)) == {"notifications": 1}
    _, sent = store.history(alarm_key("curfew_roll", "S1", "2026-11-23"))
    assert sent[-1]["recipient"] == "parent" and sent[-1]["to"] == ["138****0000"]
    listed = call(api, "GET", "/notifications", user=world.DISPATCHER, query={"date": "2026-11-23"})
    assert len(listed.body["items"]) == 3  # the parent's came after midnight: the next day's list
    assert call(api, "GET", "/notifications", user=world.DISPATCHER, query={"date": "2026-11-24"}).body["items"][0][
        "recipient"] == "parent"
    assert call(api, "GET", "/notifications", user=world.MANAGER_1).status == 403


# ---------------------------------------------------------------- silent readers
def test_a_silent_reader_raises_during_open_hours_and_resolves_when_it_speaks(night):
    heard("SB01-A", at(24, 9, 50))
    heard("SB01-B", at(24, 10, 0))
    heard("SB02-A", at(24, 10, 0))
    assert run("silent_readers", at(24, 10, 10))["raised"] == 1  # quiet for 20 and 10 minutes: A is over 15
    found = alarm("silent_reader", "SB01-A", "2026-11-24")
    assert found is not None and found.state == "open" and found.building_id == "SB01"
    assert run("silent_readers", at(24, 10, 12))["raised"] == 0  # no duplicate
    heard("SB01-A", at(24, 10, 14))
    assert run("silent_readers", at(24, 10, 15))["resolved"] == 1
    assert alarm("silent_reader", "SB01-A", "2026-11-24").resolution == "auto"
    heard("SB01-A", at(24, 22, 0))
    assert run("silent_readers", at(24, 23, 50))["raised"] == 0  # closed at night: silence is expected


# ---------------------------------------------------------------- the API by permission
# ---------------------------------------------------------------- overdue repairs
@pytest.fixture
def repairs(aws):
    """SB01 room 101 and the SB water repair point (worker E0001); the tickets function at a pinned clock."""
    from houqin.store import staff, tickets

    world.build()
    staff.RepairTeam.make("SB-WATER", "松北水维修点", "水", "SB", "0451-1").save()
    staff.StaffMember.make("E0001", "WY", "SB-WATER", name="E0001", gender="M", post="维修工", contract="regular",
                           phone="13900000000").save()
    tickets.RoutingRule.make("water.SB", "SB-WATER", "E1603", "2026-11-01T00:00:00.000Z").save()
    module = load_function_module(aws, "TicketsFunction")
    module.service = Tickets(clock=FixedClock(at(23, 10)))
    return module


def test_an_overdue_repair_alarms_its_repair_point_then_the_desk_and_resolves_when_done(repairs):
    leak = {"campus_id": "SB", "building_id": "SB01", "room_no": "101", "category": "water", "severity": "minor",
            "description": "卫生间水龙头漏水", "contact_phone": "13800000000"}
    reply = call(repairs.app, "POST", "/tickets", user=world.STUDENT_1, body=leak)
    assert reply.status == 201, reply.body
    ticket_id, deadline = reply.body["ticket_id"], reply.body["deadline"]
    assert deadline == to_iso(at(23, 11))  # minor: one hour from 10:00
    key_ = alarm_key("overdue_repair", ticket_id, "2026-11-23T11:00")

    assert run("overdue_repairs", at(23, 10, 59))["raised"] == 0  # not late yet
    assert run("overdue_repairs", at(23, 11, 5)) == {"overdue": 1, "raised": 1, "resolved": 0, "due_soon": 0,
                                                     "warned": 0, "warnings_resolved": 1, "warnings_sent": 0}
    assert run("overdue_repairs", at(23, 12, 5))["raised"] == 0  # one alarm per ticket per deadline
    raised = store.get(key_, consistent=True)
    assert (raised.state, raised.details["repair_point"]) == ("open", "SB-WATER")

    assert run("escalation", at(23, 11, 6)) == {"notifications": 1}  # the repair point at once
    assert run("escalation", at(23, 12, 4)) == {"notifications": 0}  # the desk 60 minutes after the raise
    assert run("escalation", at(23, 12, 5)) == {"notifications": 1}
    _, sent = store.history(key_)
    assert [(n["recipient"], n["to"]) for n in sent] == [("repair_point", ["team:SB-WATER"]),
                                                         ("duty_desk", ["duty_desk"])]

    worker = User("E0001", "worker")
    for action in ("accept", "start", "complete"):
        extra = {"lines": [{"kind": "labour", "code": "L01", "name": "更换水龙头", "quantity": 1,
                            "unit_price_fen": 2000}]} if action == "complete" else {}
        assert call(repairs.app, "POST", "/tickets/{ticket_id}/transitions", user=worker, ticket_id=ticket_id,
                    body={"action": action, **extra}).status == 200
    assert run("overdue_repairs", at(23, 12, 30)) == {"overdue": 0, "raised": 0, "resolved": 1, "due_soon": 0,
                                                      "warned": 0, "warnings_resolved": 0, "warnings_sent": 0}
    done = store.get(key_, consistent=True)
    assert (done.state, done.resolution) == ("resolved", "auto")


def alarms_api(template, now):
    module = load_function_module(template, "AlarmsApiFunction")
    module.service = Alarms(clock=FixedClock(now))
    return module.app


def test_two_dorm_managers_and_two_counsellors_see_only_their_own_alarms(night, template):
    run("night_roll", at(23, 23, 5))
    api = alarms_api(template, at(23, 23, 10))
    s1 = alarm_key("curfew_roll", "S1", "2026-11-23")
    mine = call(api, "GET", "/alarms", user=world.MANAGER_1, query={"state": "open"})
    assert {a["subject"] for a in mine.body["items"]} == {"S1", "S2"}
    assert call(api, "GET", "/alarms", user=world.MANAGER_2).body["items"] == []
    by_building = call(api, "GET", "/alarms", user=world.MANAGER_1, query={"building_id": "SB01", "limit": "100"})
    assert by_building.status == 200 and len(by_building.body["items"]) == 2
    assert call(api, "GET", "/alarms/{alarm_id}", user=world.MANAGER_2, alarm_id=s1).status == 404
    assert call(api, "GET", "/alarms", user=world.MANAGER_2, query={"building_id": "SB01"}).status == 404
    assert {a["subject"] for a in call(api, "GET", "/alarms", user=world.COUNSELLOR_1).body["items"]} == {"S1", "S2"}
    assert call(api, "GET", "/alarms", user=world.COUNSELLOR_2).body["items"] == []
    assert call(api, "POST", "/alarms/{alarm_id}/acknowledge", user=world.COUNSELLOR_2, alarm_id=s1).status == 404
    assert call(api, "GET", "/alarms", user=world.STUDENT_1).status == 403
    desk = call(api, "GET", "/alarms", user=world.DISPATCHER, query={"limit": "1"})
    assert len(desk.body["items"]) == 1 and desk.body["cursor"]
    rest = call(api, "GET", "/alarms", user=world.DISPATCHER, query={"limit": "1", "cursor": desk.body["cursor"]})
    assert len(rest.body["items"]) == 1 and rest.body["items"][0]["alarm_id"] != desk.body["items"][0]["alarm_id"]
    detail = call(api, "GET", "/alarms/{alarm_id}", user=world.COUNSELLOR_1, alarm_id=s1).body
    assert [e["action"] for e in detail["history"]] == ["raise"]


def test_acknowledge_then_resolve_with_a_note_and_leaders_only_look(night, template):
    run("night_roll", at(23, 23, 5))
    api = alarms_api(template, at(23, 23, 10))
    s1 = alarm_key("curfew_roll", "S1", "2026-11-23")
    assert call(api, "POST", "/alarms/{alarm_id}/acknowledge", user=world.LEADER, alarm_id=s1).status == 403
    done = call(api, "POST", "/alarms/{alarm_id}/acknowledge", user=world.MANAGER_1, alarm_id=s1)
    assert (done.status, done.body["state"], done.body["acknowledged_by"], done.body["version"]) == (
        200, "acknowledged", "M1", 2)
    assert call(api, "POST", "/alarms/{alarm_id}/acknowledge", user=world.MANAGER_1, alarm_id=s1).status == 409
    no_note = call(api, "POST", "/alarms/{alarm_id}/resolve", user=world.MANAGER_1, alarm_id=s1, body={})
    assert (no_note.status, no_note.body["error"]["field"]) == (400, "note")
    closed = call(api, "POST", "/alarms/{alarm_id}/resolve", user=world.MANAGER_1, alarm_id=s1,
                  body={"note": "电话联系，在同学家，明早回"})
    assert (closed.body["state"], closed.body["resolution"], closed.body["note"]) == (
        "resolved", "person", "电话联系，在同学家，明早回")
    run("night_roll", at(23, 23, 45))  # a person's decision stands for the period
    assert alarm("curfew_roll", "S1").resolution == "person"
    bad = call(api, "GET", "/alarms", user=world.DISPATCHER, query={"state": "closed"})
    assert (bad.status, bad.body["error"]["field"]) == (400, "state")


def test_the_nights_roll_and_the_zero_report_sign_off_by_the_buildings_manager_only(night, template):
    for reader in ("SB01-A", "SB01-B", "SB02-A"):
        heard(reader, at(24, 6, 1))
    run("night_roll", at(24, 6, 5))
    api = alarms_api(template, at(24, 8))
    rolled = call(api, "GET", "/buildings/{building_id}/rolls/{night}", user=world.MANAGER_1, building_id="SB01",
                  night="2026-11-23")
    assert rolled.status == 200 and rolled.body["curfew"]["kind"] == "curfew" and rolled.body["zero"]
    assert call(api, "GET", "/buildings/{building_id}/rolls/{night}", user=world.MANAGER_2, building_id="SB01",
                night="2026-11-23").status == 404
    leader = call(api, "GET", "/zero-reports", user=world.LEADER)
    assert {r["building_id"] for r in leader.body["items"]} == {"SB01", "SB02"}
    sign = "/buildings/{building_id}/zero-reports/{night}/sign"
    assert call(api, "POST", sign, user=world.MANAGER_2, building_id="SB01", night="2026-11-23").status == 404
    signed = call(api, "POST", sign, user=world.MANAGER_1, building_id="SB01", night="2026-11-23")
    assert (signed.status, signed.body["signed_by"]) == (200, "M1")
    again = call(api, "POST", sign, user=world.MANAGER_1, building_id="SB01", night="2026-11-23")
    assert (again.status, again.body["error"]["code"]) == (409, "already_signed")
    assert {r["building_id"] for r in call(api, "GET", "/zero-reports", user=world.LEADER).body["items"]} == {"SB02"}
    assert call(api, "GET", sign.replace("/sign", "").replace("zero-reports", "rolls"), user=world.MANAGER_1,
                building_id="SB01", night="2026-13-01").status == 400
    assert call(api, "POST", sign, user=User("M9", "dorm_manager"), building_id="SB01",
                night="2026-11-23").status == 404


# ---------------------------------------------------------------- what each route declares
def test_every_alarms_api_route_declares_who_may_call_it_and_what_it_does(aws, template):
    api = alarms_api(template, at(23, 23, 10))
    assert len(api.declared) == 8
    assert all(d.roles and d.view.__doc__ for d in api.declared)  # none is public


@pytest.mark.parametrize(("method", "resource", "request_", "field"), [
    ("GET", "/alarms", {"query": {"subject": "S1"}}, "subject"),
    ("GET", "/alarms", {"query": {"building_id": "SB 01"}}, "building_id"),
    ("GET", "/alarms/{alarm_id}", {"query": {"history": "no"}}, "history"),
    ("POST", "/alarms/{alarm_id}/acknowledge", {"body": {"note": "在路上"}}, "body"),
    ("POST", "/alarms/{alarm_id}/resolve", {"body": {"note": "已联系", "state": "open"}}, "state"),
    ("POST", "/alarms/{alarm_id}/resolve", {"body": {"note": "x" * 501}}, "note"),
    ("GET", "/notifications", {"query": {"date": "23 Nov"}}, "date"),
    ("GET", "/notifications", {"query": {"recipient": "parent"}}, "recipient"),
    ("GET", "/buildings/{building_id}/rolls/{night}", {"query": {"kind": "curfew"}}, "kind"),
    ("GET", "/zero-reports", {"query": {"signed": "false"}}, "signed"),
    ("POST", "/buildings/{building_id}/zero-reports/{night}/sign", {"body": {"signed_by": "M2"}}, "body"),
])
def test_a_field_or_parameter_an_alarms_route_does_not_declare_is_400_naming_it(night, template, method, resource,
                                                                                 request_, field):
    run("night_roll", at(23, 23, 5))
    api = alarms_api(template, at(24, 8))
    s1 = alarm_key("curfew_roll", "S1", "2026-11-23")
    user = world.DISPATCHER if "zero-reports" not in resource else world.MANAGER_1
    reply = call(api, method, resource, user=user, alarm_id=s1, building_id="SB01", night="2026-11-23", **request_)
    assert reply.status == 400 and reply.body["error"]["field"] == field, reply.body
    assert alarm("curfew_roll", "S1").state == "open"  # nothing changed


def test_a_night_ahead_or_too_far_back_is_400_and_a_role_the_route_does_not_declare_is_403(aws, template):
    api = alarms_api(template, at(24, 8))
    roll_of = "/buildings/{building_id}/rolls/{night}"
    for night_ in ("2026-11-25", "2025-10-01"):
        reply = call(api, "GET", roll_of, user=world.MANAGER_1, building_id="SB01", night=night_)
        assert (reply.status, reply.body["error"]["field"]) == (400, "night"), night_
    sign = "/buildings/{building_id}/zero-reports/{night}/sign"
    for user, method, resource in ((world.STUDENT_1, "GET", "/alarms"), (world.PARENT_1, "GET", "/alarms/{alarm_id}"),
                                   (world.LEADER, "POST", "/alarms/{alarm_id}/resolve"),
                                   (world.COUNSELLOR_1, "GET", "/notifications"),
                                   (world.COUNSELLOR_1, "GET", "/zero-reports"),
                                   (User("W1", "worker"), "GET", roll_of),
                                   (world.LEADER, "POST", sign), (world.DISPATCHER, "POST", sign)):
        reply = call(api, method, resource, user=user, alarm_id="A1", building_id="SB01", night="2026-11-23",
                     body={"note": "x"} if resource.endswith("resolve") else None)
        assert reply.status == 403 and reply.body["error"]["code"] == "forbidden", (user, resource)
