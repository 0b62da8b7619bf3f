"""GIVEN a small dorm world with hand-placed swipes WHEN the dorm reports are asked for through API Gateway
events THEN every report has the known answer, in JSON, CSV and XLSX, for exactly the people allowed.

The world (local time, Asia/Shanghai = UTC+8; the range is 2026-11-23 .. 2026-11-24; gates open 06:00-23:00):

    11-20 10:00 S4 out  SB01-A   (look-back: S4 never comes back -> out both nights)
    11-23 05:40 S2 out  SB01-A   early out
    11-23 15:00 V9000001 in  SB01-A   unknown card
    11-23 18:00 S2 in   SB01-A
    11-23 20:00 S3 out  SB01-B   (no return that night -> night not returned)
    11-23 21:00 S5 out  SB02-A   (SB02: back at 08:00 -> out the night of 11-23 only)
    11-23 22:00 S1 out  SB01-A
    11-23 23:40 S1 in   SB01-A   late return
    11-23 23:55 V9000001 out SB01-A   unknown card
    11-24 08:00 S5 in   SB02-A
    11-24 09:00 S6 in   SB01-A   a student with no bed: visitor
    11-24 14:00 S5 in   SB01-B   a resident of SB02: visitor
    11-24 14:30 S5 out  SB01-B
    11-25 05:00 S3 in   SB01-B   (after the range, before the roll: S3 was back for the night of 11-24)
"""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import date, time

import pytest
from openpyxl import load_workbook

from houqin.clock import at_local, to_iso
from tests.conftest import load_function_module
from tests.integration import dorm_fixture as world
from tests.integration.apigw import Context, User, event

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SB01 = {"building_id": "SB01", "from": "2026-11-23", "to": "2026-11-24"}
CAMPUS = {"campus_id": "SB", "from": "2026-11-23", "to": "2026-11-24"}


def at(day: int, hour: int, minute: int = 0):
    """A local (Shanghai) moment in November 2026, as the UTC datetime the gate stores."""
    return at_local(date(2026, 11, day), time(hour, minute))


SWIPES = [  # who, direction, (day, hour, minute), reader
    ("S4", "out", (20, 10, 0), "SB01-A"),
    ("S2", "out", (23, 5, 40), "SB01-A"),
    ("V9000001", "in", (23, 15, 0), "SB01-A"),
    ("S2", "in", (23, 18, 0), "SB01-A"),
    ("S3", "out", (23, 20, 0), "SB01-B"),
    ("S5", "out", (23, 21, 0), "SB02-A"),
    ("S1", "out", (23, 22, 0), "SB01-A"),
    ("S1", "in", (23, 23, 40), "SB01-A"),
    ("V9000001", "out", (23, 23, 55), "SB01-A"),
    ("S5", "in", (24, 8, 0), "SB02-A"),
    ("S6", "in", (24, 9, 0), "SB01-A"),
    ("S5", "in", (24, 14, 0), "SB01-B"),
    ("S5", "out", (24, 14, 30), "SB01-B"),
    ("S3", "in", (25, 5, 0), "SB01-B"),
]


@pytest.fixture
def api(aws):
    from houqin.store import dorms

    world.build()
    gate = world.Gate()
    for who, direction, moment, reader in SWIPES:
        gate.swipe(who, direction, at(*moment), reader)
    events = [("S2", "check_out", at(24, 10), "毕业离校"), ("S6", "check_in", at(24, 11), None),
              ("S1", "check_out", at(26, 10), "out of range")]
    for resident_id, action, moment, reason in events:
        dorms.BedEvent.make(resident_id, action, to_iso(moment), "M1", "SB01", "101", 2, reason=reason).save()
    return load_function_module(aws, "DormReportsFunction")


def raw(api, user: User, report: str, query: dict[str, str], headers: dict[str, str] | None = None) -> dict:
    """The API Gateway proxy response as the function returns it (body still text or base64)."""
    return api.app(event("GET", "/dorm-reports/{report}", user=user, query=query, headers=headers, report=report),
                   Context())


def report(api, user: User, name: str, query: dict[str, str]) -> dict:
    response = raw(api, user, name, query)
    assert response["statusCode"] == 200, response["body"]
    return json.loads(response["body"])


def items(api, user: User, name: str, query: dict[str, str], *fields: str) -> list[tuple]:
    return [tuple(row[f] for f in fields) for row in report(api, user, name, query)["items"]]


def error(api, user: User, name: str, query: dict[str, str], headers=None) -> tuple[int, str | None]:
    response = raw(api, user, name, query, headers)
    return response["statusCode"], json.loads(response["body"])["error"]["field"]


# ---------------------------------------------------------------- each report's known answer
def test_entries_list_every_swipe_at_the_buildings_gates_in_local_time_with_unknown_cards_flagged(api):
    body = report(api, world.LEADER, "entries", SB01)
    assert body["count"] == 10 and body["scope"]["building_id"] == "SB01" and body["timezone"] == "Asia/Shanghai"
    rows = [(r["time"], r["reader_id"], r["direction"], r["resident_id"], r["unknown_card"]) for r in body["items"]]
    assert rows[0] == ("2026-11-23 05:40:00", "SB01-A", "出 out", "S2", False)
    assert rows[1] == ("2026-11-23 15:00:00", "SB01-A", "进 in", None, True)
    assert [r[3] for r in rows] == ["S2", None, "S2", "S3", "S1", "S1", None, "S6", "S5", "S5"]
    s1 = body["items"][4]
    assert (s1["name"], s1["room"], s1["card_id"], s1["department"]) == ("王伟", "SB01-101", "C0000001", "计算机学院")
    assert body["items"][8]["room"] == "SB02-101"  # a visitor from SB02 is named with their own room
    assert [c["key"] for c in body["columns"]][:3] == ["time", "building_id", "reader_id"]


def test_individuals_count_each_residents_entries_exits_and_violations(api):
    rows = items(api, world.LEADER, "individuals", SB01, "resident_id", "entries", "exits", "first_swipe",
                 "last_swipe", "nights_out", "late_returns", "early_outs")
    assert rows == [
        ("S1", 1, 1, "2026-11-23 22:00:00", "2026-11-23 23:40:00", 0, 1, 0),
        ("S2", 1, 1, "2026-11-23 05:40:00", "2026-11-23 18:00:00", 0, 0, 1),
        ("S3", 0, 1, "2026-11-23 20:00:00", "2026-11-23 20:00:00", 1, 0, 0),
        ("S4", 0, 0, None, None, 2, 0, 0),
    ]


def test_nights_out_carry_state_from_the_look_back_and_look_at_the_next_mornings_roll(api):
    rows = items(api, world.LEADER, "nights-out", SB01, "night", "resident_id", "room", "roll_time", "last_exit")
    assert rows == [
        ("2026-11-23", "S3", "SB01-102", "2026-11-24 06:00:00", "2026-11-23 20:00:00"),
        ("2026-11-23", "S4", "SB01-201", "2026-11-24 06:00:00", "2026-11-20 10:00:00"),
        ("2026-11-24", "S4", "SB01-201", "2026-11-25 06:00:00", "2026-11-20 10:00:00"),
    ]  # S1 back at 23:40, S2 at 18:00; S3 back at 05:00 on 11-25, before the roll


def test_nights_out_on_a_campus_covers_every_building_with_its_own_gates(api):
    rows = items(api, world.LEADER, "nights-out", CAMPUS, "night", "resident_id")
    assert rows == [("2026-11-23", "S3"), ("2026-11-23", "S4"), ("2026-11-23", "S5"), ("2026-11-24", "S4")]


def test_early_late_judges_each_swipe_by_the_gate_hours(api):
    rows = items(api, world.LEADER, "early-late", SB01, "time", "kind", "kind_label", "resident_id", "gate_hours")
    assert rows == [("2026-11-23 05:40:00", "early_out", "早出 early out", "S2", "06:00-23:00"),
                    ("2026-11-23 23:40:00", "late_return", "晚归 late return", "S1", "06:00-23:00")]


def test_early_late_follows_a_buildings_own_hours(api):
    from houqin.store.dorms import Building

    building = Building.get("BLDG#SB01", "META")
    building.update(actions=[Building.closes.set("22:30")])  # S1's 22:00 exit is now before closing anyway
    building.update(actions=[Building.opens.set("05:30")])  # S2's 05:40 exit is no longer early
    rows = items(api, world.LEADER, "early-late", SB01, "resident_id", "kind")
    assert rows == [("S1", "late_return")]


def test_visitors_are_unknown_cards_and_residents_of_other_buildings(api):
    rows = items(api, world.LEADER, "visitors", SB01, "time", "card_id", "kind", "resident_id", "home_building_id")
    assert rows == [("2026-11-23 15:00:00", "V9000001", "unknown_card", None, None),
                    ("2026-11-23 23:55:00", "V9000001", "unknown_card", None, None),
                    ("2026-11-24 09:00:00", "C0000006", "other_building", "S6", None),
                    ("2026-11-24 14:00:00", "C0000005", "other_building", "S5", "SB02"),
                    ("2026-11-24 14:30:00", "C0000005", "other_building", "S5", "SB02")]


def test_check_outs_come_from_the_buildings_bed_history_in_the_range(api):
    body = report(api, world.LEADER, "check-outs", SB01)
    assert [(r["time"], r["resident_id"], r["name"], r["room"], r["bed_no"], r["reason"]) for r in body["items"]] == [
        ("2026-11-24 10:00:00", "S2", "李强", "SB01-101", 2, "毕业离校")]


def test_violations_rank_departments_by_violations_per_100_residents(api):
    rows = items(api, world.LEADER, "violations", CAMPUS, "rank", "department", "residents", "nights_out",
                 "late_returns", "early_outs", "total", "per_100")
    assert rows == [(1, "机械工程学院", 3, 4, 0, 0, 4, 133.33),
                    (2, "计算机学院", 2, 0, 1, 1, 2, 100.0)]


def test_gate_duty_counts_per_reader_per_day_with_the_busiest_hour(api):
    rows = items(api, world.LEADER, "gate-duty", SB01, "day", "reader_id", "entries", "exits", "unknown_cards",
                 "swipes", "busiest_hour", "busiest_hour_swipes")
    assert rows == [("2026-11-23", "SB01-A", 3, 3, 2, 6, "23:00-00:00", 2),
                    ("2026-11-23", "SB01-B", 0, 1, 0, 1, "20:00-21:00", 1),
                    ("2026-11-24", "SB01-A", 1, 0, 0, 1, "09:00-10:00", 1),
                    ("2026-11-24", "SB01-B", 1, 1, 0, 2, "14:00-15:00", 2)]


def test_the_state_before_the_window_comes_from_presence_and_a_swipe_elsewhere_is_not_being_home(aws):
    world.build()
    gate = world.Gate()
    gate.swipe("S5", "out", at(10, 10), "SB02-A")  # before the look-back window: presence says out
    gate.swipe("S1", "out", at(22, 10), "SB02-A")  # S1 (of SB01) left SB02's gate: not SB01's state
    api = load_function_module(aws, "DormReportsFunction")
    rows = items(api, world.LEADER, "nights-out", CAMPUS, "night", "resident_id", "basis", "last_exit")
    assert rows == [("2026-11-23", "S5", "最后状态 presence", None), ("2026-11-24", "S5", "最后状态 presence", None)]


def test_a_department_scope_keeps_that_departments_residents_only(api):
    query = {"department": "计算机学院", "campus_id": "SB", "from": "2026-11-23", "to": "2026-11-24"}
    assert [r[0] for r in items(api, world.LEADER, "individuals", query, "resident_id")] == ["S1", "S2"]
    assert [r[0] for r in items(api, world.LEADER, "entries", query, "resident_id")] == ["S2", "S2", "S1", "S1", "S6"]
    everywhere = {"department": "机械工程学院", "from": "2026-11-23", "to": "2026-11-24"}  # every campus
    assert items(api, world.LEADER, "violations", everywhere, "department", "total") == [("机械工程学院", 4)]


# ---------------------------------------------------------------- downloads
def test_csv_has_a_bom_bilingual_headers_and_the_rows(api):
    response = raw(api, world.MANAGER_1, "nights-out", {**SB01, "format": "csv"})
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["headers"]["Content-Disposition"]
    assert disposition.startswith('attachment; filename="nights-out_SB01_2026-11-23_2026-11-24.csv"')
    assert "filename*=UTF-8''%E5%A4%9C" in disposition  # 夜不归宿_...
    assert response["headers"]["Access-Control-Expose-Headers"] == "Content-Disposition"  # a browser may read it
    data = response["body"].encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["日期(晚) Night"], r["学号 Resident ID"], r["姓名 Name"]) for r in rows] == [
        ("2026-11-23", "S3", "张磊"), ("2026-11-23", "S4", "刘芳"), ("2026-11-24", "S4", "刘芳")]


def test_xlsx_is_a_base64_proxy_response_that_opens_as_a_workbook(api):
    response = raw(api, world.MANAGER_1, "violations", {**SB01, "format": "xlsx"}, {"Accept": XLSX})
    assert response["statusCode"] == 200 and response["isBase64Encoded"] is True
    assert response["headers"]["Content-Type"] == XLSX
    assert response["headers"]["Content-Disposition"].startswith('attachment; filename="violations_SB01_')
    sheet = load_workbook(io.BytesIO(base64.b64decode(response["body"]))).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:3] == ["名次 Rank", "院系 Department", "住宿人数 Residents"]
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert values[1:] == [[1, "机械工程学院", 2, 3, 0, 0, 3, 150], [2, "计算机学院", 2, 0, 1, 1, 2, 100]]


def test_xlsx_without_an_accept_header_naming_it_is_400_naming_accept(api):
    assert error(api, world.LEADER, "entries", {**SB01, "format": "xlsx"}) == (400, "Accept")


# ---------------------------------------------------------------- who may see what
def test_a_dorm_manager_sees_only_their_buildings(api):
    assert report(api, world.MANAGER_1, "entries", SB01)["count"] == 10
    assert error(api, world.MANAGER_2, "entries", SB01) == (404, "building_id")
    assert items(api, world.MANAGER_2, "nights-out", CAMPUS, "resident_id") == [("S5",)]
    assert items(api, world.MANAGER_1, "nights-out", CAMPUS, "resident_id") == [("S3",), ("S4",), ("S4",)]
    assert {r[0] for r in items(api, world.MANAGER_2, "gate-duty", CAMPUS, "reader_id")} == {"SB02-A"}


def test_a_dorm_manager_running_no_building_of_the_scope_is_403(api):
    from houqin.store.dorms import ManagerBuilding

    ManagerBuilding.make("M3", "SB99").save()
    assert error(api, User("M3", "dorm_manager"), "entries", CAMPUS) == (403, None)


def test_a_counsellor_sees_only_their_students(api):
    assert [r[0] for r in items(api, world.COUNSELLOR_1, "individuals", SB01, "resident_id")] == ["S1", "S2"]
    assert [r[0] for r in items(api, world.COUNSELLOR_1, "entries", SB01, "resident_id")] == [
        "S2", "S2", "S1", "S1", "S6"]
    assert items(api, world.COUNSELLOR_1, "nights-out", SB01, "resident_id") == []
    assert items(api, world.COUNSELLOR_2, "nights-out", SB01, "resident_id") == [("S3",)]  # S4 is grade 2024
    assert items(api, world.COUNSELLOR_2, "nights-out", CAMPUS, "resident_id") == [("S3",), ("S5",)]
    assert items(api, world.COUNSELLOR_1, "early-late", SB01, "resident_id") == [("S2",), ("S1",)]
    assert items(api, world.COUNSELLOR_2, "early-late", SB01, "resident_id") == []


def test_a_counsellor_may_not_ask_for_another_department_or_the_gate_reports(api):
    other = {"department": "机械工程学院", "from": "2026-11-23", "to": "2026-11-24"}
    assert error(api, world.COUNSELLOR_1, "violations", other) == (403, "department")
    assert items(api, world.COUNSELLOR_2, "violations", other, "department", "residents", "total") == [
        ("机械工程学院", 2, 2)]  # S3 and S5 (grade 2025): a night out each
    assert error(api, world.COUNSELLOR_1, "visitors", SB01)[0] == 403
    assert error(api, world.COUNSELLOR_1, "gate-duty", SB01)[0] == 403


def test_students_parents_and_other_staff_are_403(api):
    for user in (world.STUDENT_1, world.PARENT_1, world.DISPATCHER):
        assert error(api, user, "entries", SB01) == (403, None), user
        assert error(api, user, "entries", {**SB01, "limit": "5"}) == (403, None), user  # the role comes first


# ---------------------------------------------------------------- bad input
BAD_INPUT = [  # query, the field the 400 names
    ({"building_id": "SB01", "to": "2026-11-24"}, "from"),
    ({"building_id": "SB01", "from": "2026-11-31", "to": "2026-12-01"}, "from"),
    ({"building_id": "SB01", "from": "2026-11-24", "to": "2026-11-23"}, "to"),
    ({"building_id": "SB01", "from": "2026-11-01", "to": "2026-12-02"}, "to"),  # 32 days
    ({"from": "2026-11-23", "to": "2026-11-24"}, "scope"),
    ({**SB01, "campus_id": "SB"}, "campus_id"),
    ({**SB01, "department": "计算机学院"}, "department"),
    ({**SB01, "format": "pdf"}, "format"),
    ({**SB01, "building_id": "SB 01"}, "building_id"),
    ({**SB01, "limit": "5"}, "limit"),
]


def test_bad_input_is_400_naming_the_field(api):
    for query, field in BAD_INPUT:  # one world for all cases: building it is most of a test's time
        assert error(api, world.LEADER, "entries", query) == (400, field), query


def test_a_request_body_is_400_and_the_route_declares_the_files_it_answers(api):
    response = api.app({**event("GET", "/dorm-reports/{report}", user=world.LEADER, query=SB01, report="entries"),
                        "body": json.dumps({"building_id": "SB01"})}, Context())
    assert (response["statusCode"], json.loads(response["body"])["error"]["field"]) == (400, "body")
    [declared] = api.app.declared
    assert (declared.method, declared.files) == ("GET", ("text/csv", XLSX))
    assert declared.query.__name__ == "ReportQuery" and declared.body is None


def test_a_31_day_range_is_accepted(api):
    assert report(api, world.LEADER, "gate-duty", {"building_id": "SB01", "from": "2026-11-01",
                                                   "to": "2026-12-01"})["count"] == 31 * 2


def test_an_unknown_report_or_building_is_404_naming_it(api):
    assert error(api, world.LEADER, "sleepers", SB01) == (404, "report")
    assert error(api, world.LEADER, "entries", {**SB01, "building_id": "SB77"}) == (404, "building_id")
    assert error(api, world.LEADER, "entries", {**CAMPUS, "campus_id": "XX"}) == (404, "campus_id")


def test_the_sample_event_runs(api):
    from tests.conftest import ROOT

    sample = json.loads((ROOT / "events/dorm_reports/nights_out.json").read_text())
    response = api.app(sample, Context())
    assert response["statusCode"] == 200
    assert [r["resident_id"] for r in json.loads(response["body"])["items"]][:2] == ["S3", "S4"]
