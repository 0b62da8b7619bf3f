"""The attendance API (考勤, 日志考核): terminals post punches, staff read their month, their manager corrects
days and grades work logs; known answers on one 5-day week with a pinned clock.

World: department D1 works 08:00-17:00 with 5 minutes' grace, D2 06:00-14:00 with none. E1 (D1, support
staff) is managed by M1, E2 (D2, not support staff) by M2; E3's department has no record. Terminal FP-01 serves
D1 and D2 (a shared entrance), FP-02 serves D2 only.
The clock stands at Friday 2026-11-06 20:00 in Shanghai: November so far is Sunday the 1st (rest) and
Monday 2 to Friday 6.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from houqin.clock import FixedClock
from houqin.domain.attendance import DayStatus, Punch, Shift
from houqin.errors import Conflict
from houqin.services.attendance import Attendance, DepartmentMonth, month_grades, month_records, shift_of
from houqin.settings import Settings, SettingsError, settings
from houqin.store import attendance as store
from houqin.store import staff
from houqin.store.payroll import LockItem
from tests.conftest import load_function_module
from tests.integration.apigw import User, call

NOW = datetime(2026, 11, 6, 12, 0, tzinfo=UTC)  # Friday 20:00 in Shanghai
DEVICE, DEVICE_2 = User("FP-01", "device"), User("FP-02", "device")
E1, E2, E3 = User("E1", "staff"), User("E2", "staff"), User("E3", "staff")
M1, M2 = User("M1", "manager"), User("M2", "manager")
FINANCE, LEADER, ADMIN = User("F1", "finance"), User("L1", "leader"), User("A1", "admin")

# E1's week: (seq, local time). Expected: Mon present (in the grace), Tue early 15, Wed late 11 (10.5 rounds
# up), Thu a lone punch (late 30, early 510, clock-out missing), Fri absent, Sun a punch on a rest day.
E1_PUNCHES = [
    (1, "2026-10-31T16:30:00Z"),  # Sunday 00:30 local: a November punch on a rest day
    (2, "2026-11-02T00:04:00Z"),  # Monday 08:04 local, sent in UTC
    (3, "2026-11-02T17:01:00+08:00"),
    (4, "2026-11-03T07:58:00+08:00"),
    (5, "2026-11-03T12:00:00+08:00"),  # a punch in the middle of the day changes nothing
    (6, "2026-11-03T16:45:00+08:00"),
    (7, "2026-11-04T08:10:30+08:00"),
    (8, "2026-11-04T17:30:00+08:00"),
    (9, "2026-11-05T08:30:00+08:00"),
]
EXPECTED_WEEK = {
    "2026-11-01": ("rest_day", 0, 0, False),
    "2026-11-02": ("present", 0, 0, False),
    "2026-11-03": ("early_leave", 0, 15, False),
    "2026-11-04": ("late", 11, 0, False),
    "2026-11-05": ("late_and_early", 30, 510, True),
    "2026-11-06": ("absent", 0, 0, False),
}


def build_world() -> None:
    staff.Department.make("D1", "物业中心", shift_start="08:00", shift_end="17:00", grace_minutes=5).save()
    staff.Department.make("D2", "餐饮中心", shift_start="06:00", shift_end="14:00", grace_minutes=0).save()
    common = {"gender": "M", "post": "管理员", "contract": "regular", "phone": "13800000000"}
    staff.StaffMember.make("E1", "D1", name="王芳", manager_id="M1", support_staff=True, **common).save()
    staff.StaffMember.make("E2", "D2", name="李强", manager_id="M2", **common).save()
    staff.StaffMember.make("E3", "DX", name="赵六", manager_id="M1", **common).save()
    for device_id, departments in (("FP-01", ["D1", "D2"]), ("FP-02", ["D2"])):
        terminal = store.TerminalItem.new(device_id)
        terminal.name, terminal.departments = f"{device_id} 大门", departments
        terminal.registered_by, terminal.registered_at = "A1", "2026-11-01T00:00:00.000Z"
        store.save_terminal(terminal)


@pytest.fixture
def api(aws, template):
    build_world()
    module = load_function_module(template, "AttendanceFunction")
    module.service = Attendance(clock=FixedClock(NOW))  # the production repositories (moto), a pinned clock
    return module


@pytest.fixture
def app(api):
    return api.app


def punch(staff_id, seq, at):
    return {"staff_id": staff_id, "seq": seq, "at": at}


def post(app, punches, user=DEVICE):
    body = {"punches": punches} if isinstance(punches, list) else punches
    return call(app, "POST", "/attendance/punches", user=user, body=body)


def week(app):
    reply = post(app, [punch("E1", seq, at) for seq, at in E1_PUNCHES])
    assert reply.status == 200, reply.body
    return reply


def attendance(app, user, staff_id="E1", **query):
    return call(app, "GET", "/staff/{staff_id}/attendance", user=user, query=query or None, staff_id=staff_id)


def correct(app, user, day, staff_id="E1", **body):
    return call(app, "POST", "/staff/{staff_id}/attendance/{day}/correction", user=user, body=body,
                staff_id=staff_id, day=day)


def write_log(app, user, day, staff_id="E1", **body):
    return call(app, "PUT", "/staff/{staff_id}/worklogs/{day}", user=user, body=body, staff_id=staff_id, day=day)


def grade(app, user, day, value, staff_id="E1", **more):
    return call(app, "POST", "/staff/{staff_id}/worklogs/{day}/grade", user=user, body={"grade": value, **more},
                staff_id=staff_id, day=day)


def logs(app, user, staff_id="E1", **query):
    return call(app, "GET", "/staff/{staff_id}/worklogs", user=user, query=query or None, staff_id=staff_id)


def at_local(api, day: str, hh_mm: str) -> None:
    """Move the pinned clock to a local time of a local day."""
    api.service.clock.current = datetime.fromisoformat(f"{day}T{hh_mm}:00+08:00").astimezone(UTC)


def by_day(reply):
    return {d["day"]: d for d in reply.body["days"]}


# ---------------------------------------------------------------- punches
def test_a_week_of_punches_reads_as_present_late_early_and_absent(app):
    assert week(app).body == {"stored": 9, "duplicates": 0, "rejected": []}
    assert (len(store.punches_of_month(["D1"], "E1", "2026-11")), store.punches_of_month(["D1"], "E1", "2026-10"),
            store.punches_of_month(["D2"], "E1", "2026-11")) == (9, [], [])  # kept under E1's department
    # read back whole, in time order, from the few attributes the month's Query asks for
    assert store.punches_of_month(["D1"], "E1", "2026-11")[:2] == [
        Punch("E1", "FP-01", 1, datetime(2026, 10, 31, 16, 30, tzinfo=UTC)),
        Punch("E1", "FP-01", 2, datetime(2026, 11, 2, 0, 4, tzinfo=UTC))]
    reply = attendance(app, E1, month="2026-11")
    assert reply.status == 200, reply.body
    days = by_day(reply)
    assert list(days) == list(EXPECTED_WEEK)  # the month up to today, not beyond
    got = {d: (v["status"], v["late_minutes"], v["early_minutes"], v["missing_clock_out"]) for d, v in days.items()}
    assert got == EXPECTED_WEEK
    assert (days["2026-11-02"]["first_in"], days["2026-11-02"]["last_out"]) == ("2026-11-02T00:04:00.000Z",
                                                                                 "2026-11-02T09:01:00.000Z")
    assert days["2026-11-05"]["last_out"] is None
    assert [d for d, v in days.items() if v["in_progress"]] == ["2026-11-06"]
    assert reply.body["summary"] == {"workdays": 5, "present_days": 4, "late_count": 2, "early_count": 2,
                                     "absent_days": 1, "leave_days": 0}
    assert reply.body["shift"] == {"start": "08:00", "end": "17:00", "grace_minutes": 5, "workdays": [0, 1, 2, 3, 4]}
    assert attendance(app, E1).body["days"] == reply.body["days"]  # the month defaults to the current one


def test_today_is_under_way_until_the_shift_ends(api, app):
    at_local(api, "2026-11-06", "10:00")
    post(app, [punch("E1", 1, "2026-11-06T08:12:00+08:00")])
    friday = by_day(attendance(app, E1))["2026-11-06"]
    assert (friday["status"], friday["late_minutes"], friday["early_minutes"], friday["missing_clock_out"],
            friday["in_progress"]) == ("late", 12, 0, False, True)
    assert team(app, M1).body["members"][0]["summary"]["early_count"] == 0
    at_local(api, "2026-11-06", "17:00")  # the shift is over: the lone punch is a missing clock-out
    friday = by_day(attendance(app, E1))["2026-11-06"]
    assert (friday["status"], friday["early_minutes"], friday["missing_clock_out"]) == ("late_and_early", 528, True)


def test_the_shift_is_the_staff_members_department_and_a_past_month_is_read_whole(app, monkeypatch):
    monkeypatch.setenv("PUNCH_MAX_AGE_DAYS", "10")  # the terminals may post 10 days back (7 by default)
    settings.cache_clear()
    # E2's department starts at 06:00 without grace: 06:01 is late.
    assert post(app, [punch("E2", 20, "2026-10-30T06:01:00+08:00"),
                      punch("E2", 21, "2026-10-30T14:00:00+08:00")]).body["stored"] == 2
    reply = attendance(app, E2, "E2", month="2026-10")
    days = by_day(reply)
    assert len(days) == 31 and days["2026-10-30"]["status"] == "late" and days["2026-10-30"]["late_minutes"] == 1
    assert reply.body["summary"]["workdays"] == 22 and reply.body["summary"]["absent_days"] == 21
    assert not any(d["in_progress"] for d in reply.body["days"])
    missing = attendance(app, ADMIN, "E3")  # their department has no record: the hours are unknown
    assert missing.status == 409 and missing.body["error"]["code"] == "no_department"


def test_a_retried_batch_counts_duplicates_and_a_used_seq_with_another_punch_is_a_conflict(app):
    week(app)
    assert week(app).body == {"stored": 0, "duplicates": 9, "rejected": []}
    reply = post(app, [
        punch("E1", 10, "2026-11-06T08:00:00+08:00"),  # new
        punch("E1", 10, "2026-11-06T08:00:00+08:00"),  # the same punch twice in the batch
        punch("E1", 4, "2026-11-03T07:58:00+08:00"),  # stored before: a duplicate
        punch("E2", 4, "2026-11-03T07:58:00+08:00"),  # seq 4 is E1's punch: not overwritten
        punch("E1", 8, "2026-11-04T17:31:00+08:00"),  # seq 8 at another time
        punch("E1", 10, "2026-11-06T08:01:00+08:00"),  # seq 10 twice in the batch, different punches
    ])
    assert reply.status == 200
    assert (reply.body["stored"], reply.body["duplicates"]) == (1, 2)
    rejected = {r["index"]: (r["field"], r["code"]) for r in reply.body["rejected"]}
    assert rejected == {3: ("seq", "conflict"), 4: ("seq", "conflict"), 5: ("seq", "conflict")}
    assert "E1" in reply.body["rejected"][0]["reason"]
    kept = store.stored_punch("FP-01", 8)
    assert (kept.staff_id, kept.at) == ("E1", "2026-11-04T09:30:00.000Z")
    # Repeats in a batch are judged against the stored punch, whichever of them comes first.
    mixed = post(app, [punch("E2", 8, "2026-11-04T17:30:00+08:00"), punch("E1", 8, "2026-11-04T17:30:00+08:00")])
    assert (mixed.body["stored"], mixed.body["duplicates"]) == (0, 1)
    assert [r["index"] for r in mixed.body["rejected"]] == [0]
    # Another terminal's seq 4 is another punch: seqs are per device.
    assert post(app, [punch("E2", 4, "2026-11-03T05:59:00+08:00")], user=DEVICE_2).body["stored"] == 1
    friday = by_day(attendance(app, E1))["2026-11-06"]  # one punch at 08:00: on time, no clock-out
    assert (friday["status"], friday["missing_clock_out"], friday["early_minutes"]) == ("early_leave", True, 540)


def test_each_bad_punch_is_rejected_by_index_naming_the_field_and_the_rest_are_stored(app):
    reply = post(app, [
        punch("E1", 1, "2026-11-06T08:00:00+08:00"),
        punch("E9", 2, "2026-11-06T08:00:00+08:00"),  # no such staff member
        punch("E1", 3, "2026-11-06T08:00:00"),  # no offset
        punch("E1", -1, "2026-11-06T08:00:00+08:00"),
        punch("E1", "5", "2026-11-06T08:00:00+08:00"),
        punch("E1", 6, "2026-11-07T08:00:00+08:00"),  # tomorrow
        punch("E1", 7, "1970-01-01T00:00:00Z"),  # a terminal whose clock was reset: too old
        {"staff_id": "E1", "seq": 8, "at": "2026-11-06T08:00:00+08:00", "card": "x"},
        "E1 at eight",
        punch("E 1", 9, "2026-11-06T08:00:00+08:00"),
        punch("E1", 10, "yesterday"),
    ])
    assert reply.status == 200, reply.body
    assert (reply.body["stored"], reply.body["duplicates"]) == (1, 0)
    fields = {r["index"]: r["field"] for r in reply.body["rejected"]}
    assert fields == {1: "staff_id", 2: "at", 3: "seq", 4: "seq", 5: "at", 6: "at", 7: "card", 8: "punch",
                      9: "staff_id", 10: "at"}
    unknown = reply.body["rejected"][0]
    assert unknown["code"] == "unknown_staff" and "E9" in unknown["reason"]


MALFORMED = [
    ({"punches": {"staff_id": "E1"}}, "punches"),
    ({"punches": []}, "punches"),
    ({"punches": [punch("E1", n, "2026-11-06T08:00:00+08:00") for n in range(501)]}, "punches"),
    ({"punches": [], "device": "FP-09"}, "device"),
    ("[1, 2]", "body"),
    ("not json", "body"),
]


def test_a_malformed_batch_is_400_naming_the_field(app):
    for body, field in MALFORMED:  # one world for all the cases: the tables are built once
        reply = call(app, "POST", "/attendance/punches", user=DEVICE, body=body)
        assert reply.status == 400, (body, reply.body)
        assert reply.body["error"]["field"] == field, body
    assert store.stored_punch("FP-01", 0) is None  # nothing of the 501 was stored


def test_a_number_is_never_read_as_a_punchs_text(app):
    """A JSON number with a fraction reaches the service as its exact text (houqin.contract keeps it so for
    decimals): a punch still refuses it where it wants a string or a whole number."""
    raw = ('{"punches": [{"staff_id": 1e5, "seq": 1, "at": "2026-11-06T08:00:00+08:00"},'
           ' {"staff_id": "E1", "seq": 2.0, "at": "2026-11-06T08:00:00+08:00"},'
           ' {"staff_id": "E1", "seq": 3, "at": 20261106.08}]}')
    reply = call(app, "POST", "/attendance/punches", user=DEVICE, body=raw)
    assert reply.status == 200, reply.body
    assert [(r["index"], r["field"]) for r in reply.body["rejected"]] == [(0, "staff_id"), (1, "seq"), (2, "at")]
    assert reply.body["stored"] == 0


def test_only_a_terminal_posts_punches(app):
    for user in (E1, M1, ADMIN):
        assert post(app, [punch("E1", 1, "2026-11-06T08:00:00+08:00")], user=user).status == 403
    assert call(app, "POST", "/attendance/punches", body={"punches": []}).status == 401


# ---------------------------------------------------------------- terminals bound to departments
def rejected(app, user=ADMIN, **query):
    return call(app, "GET", "/attendance/rejected", user=user, query=query or None)


def register(app, device_id, user=ADMIN, **body):
    return call(app, "PUT", "/attendance/terminals/{device_id}", user=user, body=body, device_id=device_id)


def test_an_unregistered_terminal_is_refused_whole_and_sends_again_once_registered(app):
    fp9, batch = User("FP-09", "device"), [punch("E1", 1, "2026-11-06T08:00:00+08:00")]
    refused = post(app, batch, user=fp9)
    assert refused.status == 403 and refused.body["error"]["code"] == "terminal_not_registered"
    assert "PUT /attendance/terminals/FP-09" in refused.body["error"]["message"]
    assert store.stored_punch("FP-09", 1) is None
    bound = register(app, "FP-09", name="物业楼 1 楼", departments=["D1"])
    assert bound.status == 200 and bound.body["departments"] == [{"department_id": "D1", "name": "物业中心"}]
    assert bound.body["registered_by"] == "A1"
    assert post(app, batch, user=fp9).body == {"stored": 1, "duplicates": 0, "rejected": []}
    listed = call(app, "GET", "/attendance/terminals", user=ADMIN).body["items"]
    assert [(t["device_id"], [d["department_id"] for d in t["departments"]]) for t in listed] == [
        ("FP-01", ["D1", "D2"]), ("FP-02", ["D2"]), ("FP-09", ["D1"])]


def test_only_an_administrator_registers_terminals_and_bad_input_names_the_field(app):
    for user in (M1, E1, FINANCE, LEADER, DEVICE):
        assert register(app, "FP-09", user=user, name="x", departments=["D1"]).status == 403, user
        assert call(app, "GET", "/attendance/terminals", user=user).status == 403, user
    for body, field in (({"name": "x", "departments": ["D9"]}, "departments"), ({"name": "x", "departments": []},
                        "departments"), ({"name": "x", "departments": "D1"}, "departments"),
                        ({"departments": ["D1"]}, "name"), ({"name": "x", "departments": ["D1"], "site": 1}, "site")):
        reply = register(app, "FP-09", **body)
        assert reply.status == 400 and reply.body["error"]["field"] == field, body
    assert register(app, "FP 09", name="x", departments=["D1"]).body["error"]["field"] == "device_id"


def test_a_terminal_posts_only_its_departments_staff_within_the_age_and_never_into_a_locked_month(app):
    LockItem.make("2026-10", "D2", "R1", 1, "L1", "2026-11-03T00:00:00.000Z").save()  # D2's October is paid
    assert post(app, [punch("E2", 30, "2026-11-02T06:00:00+08:00")], user=DEVICE_2).body["stored"] == 1
    reply = post(app, [
        punch("E1", 31, "2026-11-06T08:00:00+08:00"),  # E1 is D1's: FP-02 serves D2 only
        punch("E2", 32, "2026-10-30T06:00:00+08:00"),  # 7 days and 14 hours ago: too old
        punch("E2", 33, "2026-10-31T06:00:00+08:00"),  # 6 days ago, but in D2's locked October
        punch("E2", 34, "2026-11-05T06:00:00+08:00"),  # fine
        punch("E2", 30, "2026-11-02T06:00:00+08:00"),  # stored before: still a duplicate
        punch("E2", "x", "2026-11-05T06:00:00+08:00"),  # a bad seq
    ], user=DEVICE_2)
    assert (reply.body["stored"], reply.body["duplicates"]) == (1, 1)
    codes = {r["index"]: (r["field"], r["code"]) for r in reply.body["rejected"]}
    assert codes == {0: ("staff_id", "wrong_department"), 1: ("at", "too_old"), 2: ("at", "month_locked"),
                     5: ("seq", "invalid")}
    assert "FP-02 serves D2" in reply.body["rejected"][0]["reason"]
    assert "more than 7 days old" in reply.body["rejected"][1]["reason"]
    # A punch stored before its month was locked stays a duplicate when the terminal sends it again.
    LockItem.make("2026-11", "D2", "R2", 1, "L1", "2026-11-06T00:00:00.000Z").save()
    assert post(app, [punch("E2", 30, "2026-11-02T06:00:00+08:00")], user=DEVICE_2).body["duplicates"] == 1

    # Every refused punch is kept for the administrator, once per device seq however often it is sent.
    post(app, [punch("E1", 31, "2026-11-06T08:00:00+08:00")], user=DEVICE_2)
    post(app, [punch("E1", 40, "2026-11-06T08:00:00+08:00")])  # FP-01 serves D1: stored, nothing kept
    kept = rejected(app, date="2026-11-06", device="FP-02")
    assert kept.status == 200 and kept.body["cursor"] is None
    assert [(r["seq"], r["staff_id"], r["code"]) for r in kept.body["items"]] == [  # without a usable seq first
        (None, "E2", "invalid"), (31, "E1", "wrong_department"), (32, "E2", "too_old"), (33, "E2", "month_locked")]
    assert kept.body["items"][2] | {"reason": "", "received_at": ""} == {
        "device_id": "FP-02", "date": "2026-11-06", "received_at": "", "index": 1, "seq": 32, "staff_id": "E2",
        "at": "2026-10-30T06:00:00+08:00", "field": "at", "reason": "", "code": "too_old"}
    assert rejected(app).body == rejected(app, date="2026-11-06").body  # today (local) by default
    assert rejected(app, date="2026-11-05").body["items"] == [] and rejected(app, device="FP-01").body["items"] == []
    first = rejected(app, device="FP-02", limit="3")
    assert len(first.body["items"]) == 3 and first.body["cursor"]
    rest = rejected(app, device="FP-02", limit="3", cursor=first.body["cursor"]).body
    assert [r["seq"] for r in rest["items"]] == [33] and rest["cursor"] is None


def test_only_an_administrator_reads_refused_punches_and_bad_queries_name_the_field(app):
    for user in (M1, FINANCE, LEADER, DEVICE):
        assert rejected(app, user=user).status == 403, user
    for query, field in (({"date": "2026-11-31"}, "date"), ({"date": "yesterday"}, "date"),
                         ({"device": "FP 01"}, "device"), ({"limit": "0"}, "limit"), ({"cursor": "abc"}, "cursor")):
        reply = rejected(app, **query)
        assert reply.status == 400 and reply.body["error"]["field"] == field, query


def test_the_attendance_settings_are_checked():
    env = {"AWS_REGION": "cn-north-1"}
    assert Settings.from_env(env).punch_max_age == timedelta(days=7)  # the default
    assert Settings.from_env({**env, "PUNCH_MAX_AGE_DAYS": "366"}).punch_max_age == timedelta(days=366)
    for bad in ("0", "367", "-1", "7.5", "", "seven"):
        with pytest.raises(SettingsError, match="PUNCH_MAX_AGE_DAYS"):
            Settings.from_env({**env, "PUNCH_MAX_AGE_DAYS": bad})
    assert Settings.from_env({**env, "WORKLOG_DEADLINE": "18:00"}).worklog_deadline == time(18, 0)
    for bad in ("24:00", "6pm", "18:0", ""):
        with pytest.raises(SettingsError, match="WORKLOG_DEADLINE"):
            Settings.from_env({**env, "WORKLOG_DEADLINE": bad})


# ---------------------------------------------------------------- who sees what
def test_staff_see_only_their_own_and_a_manager_only_their_own_staff(app):
    week(app)
    for user in (E1, M1, FINANCE, LEADER, ADMIN):
        assert attendance(app, user).status == 200, user
    for user in (E2, M2, User("E1x", "staff"), User("M1", "staff")):  # M1 without the manager role too
        assert attendance(app, user).status == 404, user
        assert logs(app, user).status == 404, user
    assert attendance(app, E2, "E2").status == 200 and attendance(app, M2, "E2").status == 200
    assert attendance(app, ADMIN, "E9").status == 404 and attendance(app, ADMIN, "no such id!").status == 404


def test_a_bad_or_future_month_is_400_naming_month(app):
    for month in ("2026-13", "2026-1", "11-2026", "", "2026-12", "2027-01"):
        for reply in (attendance(app, E1, month=month), logs(app, E1, month=month)):
            assert reply.status == 400, (month, reply.body)
            assert reply.body["error"]["field"] == "month"


# ---------------------------------------------------------------- corrections
def test_the_manager_corrects_a_day_which_keeps_its_measured_status_and_history(api, app):
    week(app)
    fixed = correct(app, M1, "2026-11-06", status="on_leave", reason="  出差 business trip to 江北  ")
    assert fixed.status == 200, fixed.body
    day = fixed.body
    assert (day["status"], day["measured_status"], day["corrected"], day["corrected_by"]) == (
        "on_leave", "absent", True, "M1")
    assert day["correction_reason"] == "出差 business trip to 江北"  # without the blanks around it
    assert day["corrected_at"] == "2026-11-06T12:00:00.000Z"
    reply = attendance(app, E1)
    assert by_day(reply)["2026-11-06"]["status"] == "on_leave"
    assert reply.body["summary"]["absent_days"] == 0 and reply.body["summary"]["leave_days"] == 1

    api.service.clock.advance(minutes=5)
    again = correct(app, M1, "2026-11-06", status="present", reason="came in by the side door")
    assert [(h["status"], h["measured_status"], h["by"]) for h in again.body["correction_history"]] == [
        ("on_leave", "absent", "M1"), ("present", "absent", "M1")]
    # Sent twice (a retry): nothing changes.
    assert correct(app, M1, "2026-11-06", status="present", reason="came in by the side door").status == 200
    shown = by_day(attendance(app, FINANCE))["2026-11-06"]
    assert (shown["status"], shown["measured_status"], len(shown["correction_history"])) == ("present", "absent", 2)

    late = correct(app, M1, "2026-11-05", status="late", reason="the reader missed the clock-out")
    assert (late.body["status"], late.body["late_minutes"], late.body["early_minutes"]) == ("late", 30, 0)
    assert late.body["first_in"] == "2026-11-05T00:30:00.000Z"  # the punches stay as evidence


def test_only_the_staff_members_own_manager_corrects(app):
    week(app)
    assert correct(app, M2, "2026-11-06", status="present", reason="x").status == 404  # not their staff
    assert correct(app, M1, "2026-11-06", "E2", status="present", reason="x").status == 404
    for user in (E1, FINANCE, LEADER, ADMIN):  # they see the day but do not correct it
        assert correct(app, user, "2026-11-06", status="present", reason="x").status == 403, user
    assert correct(app, M2, "2026-11-06", "E2", status="present", reason="x").status == 200
    assert by_day(attendance(app, E1))["2026-11-06"]["status"] == "absent"


BAD_CORRECTIONS = [
    ("2026-11-07", {"status": "present", "reason": "x"}, "day"),  # tomorrow
    ("2026-11-31", {"status": "present", "reason": "x"}, "day"),
    ("6-11-2026", {"status": "present", "reason": "x"}, "day"),
    ("2026-11-06", {"status": "holiday", "reason": "x"}, "status"),
    ("2026-11-06", {"status": "present", "reason": " "}, "reason"),
    ("2026-11-06", {"status": "present"}, "reason"),
    ("2026-11-06", {"status": "present", "reason": "x" * 501}, "reason"),
    ("2026-11-06", {"status": "present", "reason": "x", "by": "M9"}, "by"),
]


def test_a_bad_correction_is_400_naming_the_field(app):
    for day, body, field in BAD_CORRECTIONS:
        reply = correct(app, M1, day, **body)
        assert reply.status == 400, (day, body, reply.body)
        assert reply.body["error"]["field"] == field, (day, body)
    assert store.corrections_of_month(["D1"], "E1", "2026-11") == {}


def test_two_corrections_made_on_the_same_copy_one_is_a_409(app):
    first, second = (store.CorrectionItem.new("D1", "E1", date(2026, 11, 6)) for _ in range(2))
    first.record("present", "a", "M1", NOW, "absent")
    store.save_correction(first)
    second.record("on_leave", "b", "M1", NOW, "absent")
    with pytest.raises(Conflict):
        store.save_correction(second)
    assert store.correction(["D1"], "E1", date(2026, 11, 6)).status == "present"


# ---------------------------------------------------------------- work logs
def test_plan_then_completion_then_grade_gives_the_monthly_score(api, app):
    for day, value in (("2026-11-02", "A"), ("2026-11-03", "C")):
        at_local(api, day, "08:30")
        assert write_log(app, E1, day, plan="巡检 2 号楼水泵").status == 200
        at_local(api, day, "17:30")
        done = write_log(app, E1, day, completion="巡检完毕, 更换阀门 1 个")
        assert done.status == 200, done.body
        assert grade(app, M1, day, value).status == 200
    at_local(api, "2026-11-06", "08:00")
    planned = write_log(app, E1, "2026-11-06", plan="整理库房")
    assert planned.status == 200 and planned.body["plan"] == "整理库房" and planned.body["completion"] is None
    assert write_log(app, E1, "2026-11-06", plan="整理库房, 盘点").body["plan"] == "整理库房, 盘点"
    early = grade(app, M1, "2026-11-06", "B")  # not completed yet and the day is not over
    assert early.status == 409 and early.body["error"]["code"] == "not_completed"
    at_local(api, "2026-11-06", "17:10")
    done = write_log(app, E1, "2026-11-06", completion="盘点完毕")
    assert (done.body["completed_at"], done.body["due_at"]) == ("2026-11-06T09:10:00.000Z", "2026-11-06T15:59:00.000Z")
    replan = write_log(app, E1, "2026-11-06", plan="something else")
    assert replan.status == 409 and replan.body["error"]["field"] == "plan"
    amended = write_log(app, E1, "2026-11-06", completion="盘点完毕, 报损 2 件")  # amended before the deadline
    assert amended.status == 200 and amended.body["version"] == 4
    graded = grade(app, M1, "2026-11-06", "B")
    assert graded.status == 200 and (graded.body["grade"], graded.body["grade_score"]) == ("B", 85)
    locked = write_log(app, E1, "2026-11-06", completion="more")
    assert locked.status == 409 and locked.body["error"]["code"] == "graded"

    reply = logs(app, E1, month="2026-11")
    assert reply.status == 200
    assert [(entry["day"], entry["grade"]) for entry in reply.body["logs"]] == [
        ("2026-11-02", "A"), ("2026-11-03", "C"), ("2026-11-06", "B")]
    assert (reply.body["score"], reply.body["graded_days"], reply.body["needs_talk"]) == ("85.00", 3, False)
    assert reply.body["recent_scores"] == [{"month": "2026-09", "score": None}, {"month": "2026-10", "score": None},
                                           {"month": "2026-11", "score": "85.00"}]
    assert logs(app, M1).body == reply.body and logs(app, FINANCE).status == 200
    assert month_grades(staff.StaffMember.get("STAFF#E1", "PROFILE"), "2026-11") == ["A", "C", "B"]

    regraded = grade(app, M1, "2026-11-03", "B")
    assert [(g["grade"], g["by"]) for g in regraded.body["grade_history"]] == [("C", "M1"), ("B", "M1")]
    assert logs(app, E1).body["score"] == "90.00"


def test_the_completion_is_refused_after_the_deadline(api, app, monkeypatch):
    at_local(api, "2026-11-05", "09:00")
    assert write_log(app, E1, "2026-11-05", plan="维修 3 号楼门锁").status == 200
    at_local(api, "2026-11-06", "09:00")
    late = write_log(app, E1, "2026-11-05", completion="done")
    assert late.status == 409 and late.body["error"]["field"] == "completion"
    assert "the completion was due by 2026-11-05 23:59" in late.body["error"]["message"]
    ahead = write_log(app, E1, "2026-11-07", completion="done")
    assert ahead.status == 400 and ahead.body["error"]["field"] == "day"
    assert write_log(app, E1, "2026-11-07", plan="周末值班").status == 200  # a plan may be written ahead
    monkeypatch.setenv("WORKLOG_DEADLINE", "18:00")
    settings.cache_clear()
    at_local(api, "2026-11-06", "18:00")
    refused = write_log(app, E1, "2026-11-06", completion="done")
    assert refused.status == 409 and "2026-11-06 18:00" in refused.body["error"]["message"]
    # The day is over without a completion: the manager may grade it now.
    graded = grade(app, M1, "2026-11-05", "D")
    assert graded.status == 200 and graded.body["completion"] is None and graded.body["grade"] == "D"


def test_only_the_support_staff_member_writes_and_only_their_manager_grades(api, app):
    at_local(api, "2026-11-06", "09:00")
    for user, status in ((M1, 403), (FINANCE, 403), (E2, 404), (M2, 404)):
        assert write_log(app, user, "2026-11-06", plan="x").status == status, user
    not_support = write_log(app, E2, "2026-11-06", "E2", plan="x")
    assert not_support.status == 403 and not_support.body["error"]["code"] == "not_support_staff"
    write_log(app, E1, "2026-11-06", plan="x")
    write_log(app, E1, "2026-11-06", completion="y")
    for user, status in ((M2, 404), (E1, 403), (FINANCE, 403), (ADMIN, 403)):
        assert grade(app, user, "2026-11-06", "A").status == status, user
    assert grade(app, M1, "2026-11-06", "E").status == 400
    assert grade(app, M1, "2026-11-07", "A").body["error"]["field"] == "day"
    assert grade(app, M1, "2026-11-06", "A").status == 200
    empty = write_log(app, E1, "2026-11-05")
    assert empty.status == 400 and empty.body["error"]["field"] == "plan"


def test_three_months_below_60_call_for_a_talk(app):
    for day, value in (("2026-09-10", "D"), ("2026-10-12", "C"), ("2026-10-13", "D"), ("2026-11-02", "D")):
        item = store.WorkLogItem.new("D1", "E1", date.fromisoformat(day))
        item.completion = "done"
        item.set_grade(value, "M1", NOW)
        store.save_work_log(item)
    reply = logs(app, M1)
    assert [s["score"] for s in reply.body["recent_scores"]] == ["50.00", "60.00", "50.00"]
    assert reply.body["needs_talk"] is False  # 60 is not below 60
    item = store.work_log(["D1"], "E1", date(2026, 10, 12))
    item.set_grade("D", "M1", NOW)
    store.save_work_log(item)
    assert logs(app, M1).body["needs_talk"] is True
    assert logs(app, M1, month="2026-10").body["needs_talk"] is False  # August has no score


# ---------------------------------------------------------------- a manager's team
def team(app, user, manager_id="M1", **query):
    return call(app, "GET", "/managers/{manager_id}/team", user=user, query=query or None, manager_id=manager_id)


def waiting(app, user, manager_id="M1", **query):
    return call(app, "GET", "/managers/{manager_id}/worklogs/waiting", user=user, query=query or None,
                manager_id=manager_id)


def test_the_team_month_is_each_members_summary_for_their_manager_only(app):
    week(app)
    grade_day(app, "2026-11-02", "A")
    reply = team(app, M1)
    assert reply.status == 200 and reply.body["month"] == "2026-11"
    members = {m["staff_id"]: m for m in reply.body["members"]}
    assert sorted(members) == ["E1", "E3"]  # M1's team; E2 is M2's
    assert members["E1"]["summary"] == attendance(app, E1).body["summary"]
    assert (members["E1"]["score"], members["E1"]["graded_days"], members["E1"]["support_staff"]) == ("100.00", 1,
                                                                                                       True)
    assert members["E3"]["summary"] is None  # E3's department has no record: its hours are unknown
    assert [m["staff_id"] for m in team(app, M2, "M2").body["members"]] == ["E2"]
    for user in (FINANCE, LEADER, ADMIN):
        assert team(app, user).body == reply.body, user
    assert team(app, M2).status == 404 and waiting(app, M2).status == 404  # another manager's team: not theirs
    for user in (E1, User("M1", "staff")):  # no role that sees a team (M1 without the manager role)
        assert team(app, user).status == 403, user
        assert waiting(app, user).status == 403, user
    assert team(app, M1, month="2026-13").body["error"]["field"] == "month"
    assert team(app, M1, month="2026-10").body["members"][0]["summary"]["workdays"] == 22


def grade_day(app, day, value, comment=None):
    item = store.WorkLogItem.new("D1", "E1", date.fromisoformat(day))
    item.plan, item.completion = "巡检", "完成"
    store.save_work_log(item)
    extra = {"comment": comment} if comment else {}
    assert grade(app, M1, day, value, **extra).status == 200


def test_logs_waiting_for_a_grade_oldest_first_and_a_grade_with_a_comment_takes_one_off(api, app):
    at_local(api, "2026-11-05", "09:00")
    write_log(app, E1, "2026-11-05", plan="维修 3 号楼门锁")
    write_log(app, E1, "2026-11-05", completion="已修好")
    write_log(app, E1, "2026-11-06", plan="盘点")  # due tonight: not waiting yet
    write_log(app, E1, "2026-11-09", plan="下周一的计划")  # ahead: not waiting
    grade_day(app, "2026-10-01", "B")
    at_local(api, "2026-11-06", "20:00")
    reply = waiting(app, M1)
    assert reply.status == 200, reply.body
    days = [(i["day"], i["overdue"]) for i in reply.body["items"]]
    # From the first of last month: October's 22 workdays but the graded 1st, then Monday to Thursday.
    assert days[0] == ("2026-10-02", True) and len(days) == 20 and reply.body["cursor"]
    everything = days + [(i["day"], i["overdue"]) for i in waiting(app, M1, cursor=reply.body["cursor"]).body["items"]]
    assert len(everything) == 21 + 4 and everything[-4:] == [
        ("2026-11-02", True), ("2026-11-03", True), ("2026-11-04", True), ("2026-11-05", False)]
    assert all(i["staff_id"] == "E1" and i["name"] == "王芳" for i in reply.body["items"])  # E3 is not support staff
    thursday = waiting(app, M1, limit="100").body["items"][-1]
    assert thursday["grade_scores"] == {"A": 100, "B": 85, "C": 70, "D": 50}  # D1 has no pay rules: the defaults
    assert (thursday["plan"], thursday["completion"], thursday["due_at"]) == ("维修 3 号楼门锁", "已修好",
                                                                              "2026-11-05T15:59:00.000Z")

    graded = grade(app, M1, "2026-11-05", "B", comment="门锁修得及时")
    assert graded.status == 200 and graded.body["grade_comment"] == "门锁修得及时"
    assert logs(app, E1).body["today_due_at"] == "2026-11-06T15:59:00.000Z"  # today 23:59 local
    assert graded.body["grade_history"][-1] | {"at": ""} == {"grade": "B", "by": "M1", "at": "",
                                                             "comment": "门锁修得及时"}
    assert "2026-11-05" not in [i["day"] for i in waiting(app, M1, limit="100").body["items"]]
    assert logs(app, E1).body["logs"][0]["grade_comment"] == "门锁修得及时"
    too_long = grade(app, M1, "2026-11-05", "B", comment="长" * 501)
    assert too_long.status == 400 and too_long.body["error"]["field"] == "comment"
    assert waiting(app, M1, cursor="2026-11-05").body["error"]["field"] == "cursor"
    assert waiting(app, ADMIN).status == 200 and waiting(app, M2, "M2").body["items"] == []  # E2 is not support staff


# ---------------------------------------------------------------- what each route declares
UNDECLARED = [  # (caller, method, resource, path values, query, body, the field named)
    (M1, "POST", "/staff/{staff_id}/attendance/{day}/correction", {"staff_id": "E1", "day": "2026-11-06"}, None,
     {"status": "present", "reason": "x", "day": "2026-11-05"}, "day"),
    (E1, "PUT", "/staff/{staff_id}/worklogs/{day}", {"staff_id": "E1", "day": "2026-11-06"}, None,
     {"plan": "x", "grade": "A"}, "grade"),
    (M1, "POST", "/staff/{staff_id}/worklogs/{day}/grade", {"staff_id": "E1", "day": "2026-11-06"}, None,
     {"grade": "A", "score": 100}, "score"),
    (ADMIN, "PUT", "/attendance/terminals/{device_id}", {"device_id": "FP-09"}, {"force": "true"},
     {"name": "x", "departments": ["D1"]}, "force"),
    (ADMIN, "GET", "/attendance/terminals", {}, {"device": "FP-01"}, None, "device"),
    (E1, "GET", "/staff/{staff_id}/attendance", {"staff_id": "E1"}, {"month": "2026-11", "limit": "5"}, None,
     "limit"),
    (M1, "GET", "/managers/{manager_id}/team", {"manager_id": "M1"}, {"cursor": "x"}, None, "cursor"),
    (M1, "GET", "/managers/{manager_id}/worklogs/waiting", {"manager_id": "M1"}, {"month": "2026-11"}, None,
     "month"),
    (ADMIN, "GET", "/attendance/rejected", {}, {"staff_id": "E1"}, None, "staff_id"),
    (ADMIN, "GET", "/attendance/terminals", {}, None, {"name": "x"}, "body"),  # a route without a body
    (E1, "GET", "/staff/{staff_id}/worklogs", {"staff_id": "E1"}, None, {"month": "2026-11"}, "body"),
    (M1, "POST", "/staff/{staff_id}/worklogs/{day}/grade", {"staff_id": "E1", "day": "6 Nov"}, None,
     {"grade": "A"}, "day"),  # the day in the path is a date
]


def test_a_value_a_route_does_not_declare_is_400_naming_it_and_changes_nothing(app):
    for user, method, resource, path, query, body, field in UNDECLARED:
        reply = call(app, method, resource, user=user, query=query, body=body, **path)
        assert (reply.status, reply.body["error"]["field"]) == (400, field), (resource, query, body, reply.body)
    assert store.work_log(["D1"], "E1", date(2026, 11, 6)) is None and store.terminal("FP-09") is None
    assert store.corrections_of_month(["D1"], "E1", "2026-11") == {}


def test_a_caller_without_a_role_the_route_names_is_403_before_anything_is_read(app):
    student, parent = User("S1", "student"), User("P1", "parent")
    for user in (DEVICE, student, parent):  # none of them is on the staff: not even their own month
        assert attendance(app, user).status == 403, user
        assert logs(app, user).status == 403, user
        assert write_log(app, user, "2026-11-06", plan="x").status == 403, user
    for user in (E1, FINANCE, LEADER, ADMIN, DEVICE):  # only a manager corrects and grades
        assert correct(app, user, "2026-11-06", status="present", reason="x").status == 403, user
        assert grade(app, user, "2026-11-06", "A").status == 403, user
    # the role is checked before the input: a bad body from the wrong role is a 403, not a 400 naming the field
    assert correct(app, E1, "2026-11-06", status="holiday").status == 403
    assert post(app, {"punches": "not a list"}, user=E1).status == 403


# ---------------------------------------------------------------- the contract payroll reads
def test_the_payroll_contract(app):
    week(app)
    correct(app, M1, "2026-11-06", status="on_leave", reason="出差")
    shift = shift_of(staff.Department.get("DEPT", "DEPT#D1"))
    assert shift == Shift(time(8, 0), time(17, 0), 5)
    e1 = staff.StaffMember.get("STAFF#E1", "PROFILE")
    records = month_records(e1, "2026-11", shift)
    assert len(records) == 30 and records[-1].status == DayStatus.ABSENT
    upto = month_records(e1, "2026-11", shift, until=date(2026, 11, 6))
    assert [r.status.value for r in upto] == [*(s for s, *_ in EXPECTED_WEEK.values())][:-1] + ["on_leave"]
    assert upto[-1].measured_status == DayStatus.ABSENT and upto[-1].corrected_by == "M1"
    assert month_records(e1, "2026-11", shift, until=date(2026, 10, 31)) == []
    assert month_grades(e1, "2026-11") == []
    # payroll reads the department's month whole (three Queries) and each person's from it: the same records
    grade_day(app, "2026-11-03", "B")
    whole = DepartmentMonth(store, "D1", "2026-11")
    assert month_records(e1, "2026-11", shift, until=date(2026, 11, 6), reads=whole) == upto
    assert month_grades(e1, "2026-11", reads=whole) == month_grades(e1, "2026-11") == ["B"]
    assert (set(whole.punches), set(whole.fixes), whole.grades) == ({"E1"}, {"E1"}, {"E1": ["B"]})


def test_routes_equal_the_template(app, template):
    declared = {(r.path, r.method) for r in template.routes() if r.function == "AttendanceFunction"}
    assert {(path, method) for path, methods in app.routes.items() for method in methods} == declared
