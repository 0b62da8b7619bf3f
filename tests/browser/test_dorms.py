"""Dorms: the room-status map (房态图), dorm reports with CSV / XLSX downloads, automatic bed assignment and
the parent's view of their child's entries and exits."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.waits import FIRST_LOAD

pytestmark = pytest.mark.browser

BED = "button.bed"


def token(houqin_web, person_id: str) -> str:
    with urllib.request.urlopen(f"{houqin_web.web}/_local/token?person_id={person_id}", timeout=10) as answer:  # noqa: S310
        return json.load(answer)["token"]


def call(houqin_web, person_id: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(f"{houqin_web.api}{path}", method=method,  # noqa: S310 - loopback
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token(houqin_web, person_id)}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        return json.load(answer)


def test_a_dorm_manager_clicks_a_bed_and_sees_the_resident_and_their_last_swipe(page, sign_in):
    sign_in(page, "E0723")
    page.goto("/#/dorm-map?building=SB03")

    expect(page.locator("#page-title")).to_have_text("房态图")
    expect(page.locator(".dorm-legend")).to_contain_text("在楼内", timeout=FIRST_LOAD)
    counts = [int(c) for c in page.locator(".legend-count").all_text_contents()]
    assert sum(counts) == 480 == page.locator(".bed[data-state]").count()  # every bed, counted once
    bed = page.locator(f'{BED}[data-state="out"], {BED}[data-state="in"]').first
    resident = bed.get_attribute("data-resident")
    bed = page.locator(f'{BED}[data-resident="{resident}"]')  # this bed, whatever its state becomes
    expect(bed).to_have_attribute("aria-label", re.compile(r"^\d+ 室 \d 号床：.+，(在楼内|外出)$"))

    bed.click()

    dialog = page.get_by_role("dialog")
    expect(dialog.locator("h2")).to_contain_text(f"（{resident}）")
    last = re.compile(r"最后一次(进门|出门)：\d{4}年\d+月\d+日 \d\d:\d\d")
    expect(dialog.locator(".record-last")).to_contain_text(last)
    expect(dialog.locator(".record-where")).to_contain_text("松北三公寓")
    rows = dialog.locator(".swipe-history tbody tr")
    expect(rows.first).to_be_visible()
    expect(rows.first.locator(".badge")).to_have_text(re.compile("^(进门|出门)$"))

    page.keyboard.press("Escape")  # the dialog closes and the focus goes back to the bed
    expect(dialog).to_be_hidden()
    expect(bed).to_be_focused()
    page.keyboard.press("Enter")  # keyboard opens it again
    expect(page.get_by_role("dialog").locator("h2")).to_contain_text(resident)


def test_the_map_is_usable_on_a_phone(phone_page, sign_in):
    page = phone_page
    sign_in(page, "E0723")
    page.goto("/#/dorm-map?building=SB09")

    expect(page.locator(".dorm-floor").first).to_be_visible(timeout=FIRST_LOAD)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing scrolls sideways
    expect(page.locator('.bed[data-state="empty"]').first).to_be_attached()  # SB09 has free beds
    box = page.locator(BED).first.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24  # a finger-sized target

    page.locator(BED).first.tap()

    dialog = page.get_by_role("dialog")
    expect(dialog.locator(".record-last")).to_be_visible()
    assert dialog.bounding_box()["width"] <= 375
    dialog.get_by_role("button", name="关闭").tap()
    expect(dialog).to_be_hidden()


def test_the_map_in_english(page, sign_in):
    sign_in(page, "E0723")
    page.goto("/#/dorm-map?building=SB02")
    expect(page.locator(".dorm-legend")).to_be_visible(timeout=FIRST_LOAD)
    expect(page.get_by_label("楼宇")).to_have_value("SB02", timeout=FIRST_LOAD)

    page.get_by_role("button", name="Switch to English").click()

    expect(page.locator("#page-title")).to_have_text("Room map", timeout=FIRST_LOAD)
    expect(page.locator(".dorm-legend h2")).to_have_text("Legend and counts", timeout=FIRST_LOAD)
    expect(page.get_by_label("Building")).to_have_value("SB02", timeout=FIRST_LOAD)
    page.locator(BED).first.click()
    expect(page.get_by_role("dialog").locator(".record-last dt")).to_have_text("Last entry or exit")
    expect(page.get_by_role("dialog").locator(".record-where dd")).to_contain_text("Songbei Dorm 2, room")


def test_a_manager_of_other_buildings_cannot_see_this_one(page, sign_in):
    sign_in(page, "E0727")  # runs the 江南 buildings
    with page.expect_response(lambda r: "/buildings/SB03/map" in r.url, timeout=FIRST_LOAD) as answer:
        page.goto("/#/dorm-map?building=SB03")

    assert answer.value.status == 404  # the API hides a building the caller does not run
    expect(page.get_by_role("alert")).to_contain_text("无权查看", timeout=FIRST_LOAD)
    expect(page.locator(BED)).to_have_count(0)
    expect(page.get_by_label("楼宇").locator("option").first).to_be_attached(timeout=FIRST_LOAD)
    options = page.get_by_label("楼宇").locator("option").all_text_contents()
    assert options and all(o.startswith("江南") for o in options)


def test_a_student_gets_the_not_allowed_view(page, sign_in):
    sign_in(page, "student")
    page.goto("/#/dorm-map")
    expect(page.locator("#page-title")).to_have_text("无权访问")


def test_a_report_for_a_date_range_shows_rows_and_downloads_csv_and_xlsx(page, sign_in, tmp_path):
    sign_in(page, "E0723")
    page.goto("/#/dorm-reports")
    page.get_by_label("报表").select_option("early-late")
    page.get_by_label("范围").select_option("building_id:SB04", timeout=FIRST_LOAD)

    page.get_by_role("button", name="显示报表").click()

    caption = page.locator(".report-result caption")
    expect(caption).to_contain_text("早出晚归", timeout=FIRST_LOAD)
    count = int(re.search(r"共 (\d+) 行", caption.text_content()).group(1))
    assert count > 0
    expect(page.locator(".report-result tbody tr").first).to_contain_text("SB04")

    with page.expect_download(timeout=FIRST_LOAD) as csv_download:
        page.get_by_role("button", name="下载 CSV").click()
    name = csv_download.value.suggested_filename
    assert name.endswith(".csv") and "early-late_SB04_" in name
    csv_download.value.save_as(tmp_path / "r.csv")
    lines = (tmp_path / "r.csv").read_bytes().decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("日期 Day,") and len(lines) == count + 1
    expect(page.get_by_role("status").filter(has_text="已下载")).to_contain_text(name)

    with page.expect_download(timeout=FIRST_LOAD) as xlsx_download:
        page.get_by_role("button", name="下载 Excel").click()
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    xlsx_download.value.save_as(tmp_path / "r.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert any("SB04" in str(c) for c in cells)


def test_a_report_range_too_long_is_shown_at_the_date(page, sign_in):
    sign_in(page, "E0723")
    page.goto("/#/dorm-reports")
    page.get_by_label("开始日期").fill("2026-01-01")

    page.get_by_role("button", name="显示报表").click()

    to = page.get_by_label("结束日期")
    expect(to).to_have_attribute("aria-invalid", "true", timeout=FIRST_LOAD)
    expect(page.locator(".field-error:visible")).to_have_text("最多 31 天。")
    expect(page.locator(".form-error")).to_have_text("请检查“结束日期”：最多 31 天。")


def test_bed_assignment_shows_who_got_which_bed_and_who_did_not_and_why(page, sign_in, houqin_web):
    # Setup: free a bed of 松北九公寓 by checking its resident out (the top floor's last occupied bed).
    the_map = call(houqin_web, "E0723", "GET", "/buildings/SB09/map")
    room, bed = next((r, b) for r in reversed(the_map["rooms"]) for b in reversed(r["beds"]) if not b["empty"])
    resident = bed["resident"]["resident_id"]
    call(houqin_web, "E0723", "POST", f"/residents/{resident}/check-out", {"reason": "browser test: re-assigned"})

    sign_in(page, "E0723")
    page.goto("/#/beds")
    page.get_by_label("楼宇").select_option("SB09", timeout=FIRST_LOAD)
    page.get_by_label("计划房间").fill(room["room_no"])
    page.get_by_label("学生学号").fill(f"{resident}\nS00001, NOBODY1")
    page.get_by_role("button", name="自动分房").click()

    result = page.locator(".beds-result")
    expect(result.get_by_role("status")).to_have_text("共 3 人：已分配 1 人，未分配 2 人。", timeout=FIRST_LOAD)
    placed = result.locator("table").first
    expect(placed.locator("tbody tr")).to_have_count(1)
    expect(placed).to_contain_text(resident)
    expect(placed).to_contain_text(f"松北九公寓 {room['room_no']} 室")
    unplaced = result.locator("table").nth(1)
    expect(unplaced.locator("tr", has_text="S00001")).to_contain_text("已经有床位")
    expect(unplaced.locator("tr", has_text="NOBODY1")).to_contain_text("没有这个学生")


def test_bed_assignment_without_students_shows_the_error_at_the_field(page, sign_in):
    sign_in(page, "E0723")
    page.goto("/#/beds")
    page.get_by_label("计划房间").fill("101", timeout=FIRST_LOAD)

    page.get_by_role("button", name="自动分房").click()

    residents = page.get_by_label("学生学号")
    expect(residents).to_have_attribute("aria-invalid", "true", timeout=FIRST_LOAD)
    expect(residents).to_be_focused()
    expect(page.locator(".field-error:visible")).to_have_text("此项必填。")


def test_a_parent_sees_their_childs_entries_and_exits_newest_first(phone_page, sign_in):
    page = phone_page
    sign_in(page, "PS00001")
    with page.expect_response(lambda r: "/residents/S00001/swipes" in r.url, timeout=FIRST_LOAD) as answer:
        page.goto("/#/parent")

    swipes = answer.value.json()["items"]
    section = page.locator(".child-swipes")
    expect(section.locator("h2")).to_have_text("秦鹏（S00001）", timeout=FIRST_LOAD)
    rows = section.locator("tbody tr")
    expect(rows).to_have_count(len(swipes))
    assert len(swipes) > 0
    words = {"in": "进门", "out": "出门"}
    expect(rows.locator(".badge")).to_have_text([words[s["direction"]] for s in swipes])
    assert [s["ts"] for s in swipes] == sorted((s["ts"] for s in swipes), reverse=True)
    expect(rows.first.locator("td").first).to_have_text(re.compile(r"^\d{4}年\d+月\d+日 \d\d:\d\d$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_parent_given_another_students_id_gets_an_error_not_data(page, sign_in):
    sign_in(page, "PS00001")
    page.goto("/#/parent?child=S00002")

    expect(page.get_by_role("alert")).to_have_text(re.compile("只能查看你自己孩子的记录.*S00002"), timeout=FIRST_LOAD)
    expect(page.locator(".child-swipes table")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("潘娥帆")
