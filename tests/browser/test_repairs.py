"""我的报修 and 维修任务: a student reports a repair (with a photo) and follows its clock, a worker
takes a dispatched job through to completion with a fee, and the student rates it."""

from __future__ import annotations

import base64
import json
import re
import urllib.request
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.expectations import expect_error_on_field

pytestmark = pytest.mark.browser

# A 1x1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
                       "AAAABJRU5ErkJggg==")


def call(houqin_web, who: str, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The API over HTTP as a demo user (test set-up)."""
    with urllib.request.urlopen(f"{houqin_web.web}/_local/token?person_id={who}", timeout=10) as answer:  # noqa: S310
        token = json.load(answer)["token"]
    request = urllib.request.Request(f"{houqin_web.api}{path}", method=method,  # noqa: S310 - loopback
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as answer:  # noqa: S310
        return json.load(answer)


def unique(text: str) -> str:
    return f"{text}({uuid.uuid4().hex[:12]})"


def row_of(page, text: str):
    return page.locator(".my-tickets tbody tr", has_text=text)


def test_a_student_reports_a_repair_with_a_photo_and_sees_it_with_a_running_clock(page, sign_in):
    sign_in(page, "S00001")
    page.goto("/#/repairs")
    description = unique("宿舍阳台水龙头关不紧,一直滴水")
    expect(page.get_by_label("维修地点")).to_contain_text("我的宿舍")
    page.get_by_label("维修工种").select_option("water")
    page.get_by_label("问题大小").select_option("minor")
    page.get_by_label("问题描述").fill(description)
    page.get_by_label("联系电话").fill("13800000001")
    page.get_by_label("照片").set_input_files({"name": "leak.png", "mimeType": "image/png", "buffer": PNG})

    page.get_by_role("button", name="提交报修").click()

    expect(page.locator(".repairs-status")).to_contain_text("报修已提交")
    expect(page.locator(".repairs-status")).to_contain_text("照片已上传")
    row = row_of(page, description)
    expect(row).to_contain_text("松北三公寓 317 室")
    expect(row).to_contain_text("已派单")  # routed to the campus's water repair point at once
    expect(row.locator(".sla-clock")).to_have_text(re.compile(r"剩余 (59分|1小时)"))
    expect(page.get_by_label("问题描述")).to_have_value("")

    row.get_by_role("button", name="查看").click()
    detail = page.locator(".ticket-detail")
    expect(detail.locator(".steps [aria-current=step]")).to_contain_text("已派单")
    expect(detail.locator(".history")).to_contain_text("提交报修")
    expect(detail.get_by_role("img", name="报修照片 1")).to_be_visible()
    assert detail.get_by_role("img", name="报修照片 1").evaluate("img => img.naturalWidth") == 1  # it was stored


def test_an_empty_description_shows_the_apis_error_under_the_field(page, sign_in):
    sign_in(page, "S00001")
    page.goto("/#/repairs")
    description = page.get_by_label("问题描述")

    with page.expect_response(lambda r: r.url.endswith("/tickets") and r.request.method == "POST") as answer:
        page.get_by_role("button", name="提交报修").click()

    assert answer.value.status == 400
    assert answer.value.json()["error"]["field"] == "description"
    expect_error_on_field(page.locator(".repair-form"), description, "问题描述", "此项必填。")


def test_a_public_place_in_english_needs_its_place_named(page, sign_in):
    sign_in(page, "S00001")
    page.goto("/#/repairs")
    page.get_by_role("button", name="Switch to English").click()
    expect(page.locator("#page-title")).to_have_text("My repairs")
    page.get_by_label("Where").select_option("other")
    page.get_by_label("What is wrong").fill(unique("Canteen tap leaking"))

    page.get_by_role("button", name="Report").click()

    expect(page.get_by_label("Exact place")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".repair-form .form-error")).to_have_text("Check “Exact place”: This field is required.")
    page.get_by_label("Exact place").fill("Canteen 1, 2nd floor")
    page.get_by_role("button", name="Report").click()
    expect(page.locator(".repairs-status")).to_contain_text("Reported: ticket")
    expect(page.locator(".my-tickets tbody tr").first).to_contain_text("Songbei public area · Canteen 1, 2nd floor")


def test_a_worker_completes_a_dispatched_job_with_a_fee_and_the_student_rates_it(page, phone_page, sign_in,
                                                                                  houqin_web):
    description = unique("插座没电,台灯也不亮")
    ticket = call(houqin_web, "S00002", "POST", "/tickets", {
        "campus_id": "SB", "building_id": "SB06", "room_no": "606", "category": "electric", "severity": "minor",
        "description": description})
    team = ticket["team_id"]  # the routing rule's repair point; its demo worker gets the job
    worker = next(u for u in houqin_web.users if u["role"] == "worker" and u["note"] == team)
    call(houqin_web, "E0097", "POST", f"/tickets/{ticket['ticket_id']}/transitions",
         {"action": "dispatch", "team_id": team, "worker_id": worker["person_id"], "reason": "指定维修工"})

    sign_in(page, worker["person_id"])
    page.goto("/#/worker")
    job = page.locator(f'.job[data-ticket-id="{ticket["ticket_id"]}"]')
    expect(job).to_contain_text(description)
    expect(job.locator(".badge").first).to_have_text("已派单")
    job.get_by_role("button", name="接单").click()
    expect(job.locator(".badge").first).to_have_text("已接单")
    job.get_by_role("button", name="开始维修").click()
    expect(job.locator(".badge").first).to_have_text("维修中")
    job.get_by_role("button", name="完工").click()
    job.get_by_label("名称").fill("上门维修")
    job.get_by_label("编码").fill("L-BASE")
    job.get_by_label("单价（元）").fill("10")
    job.get_by_role("button", name="添加一行").click()
    line = job.locator(".fee-row").nth(1)
    line.get_by_label("名称").fill("插座")
    line.get_by_label("编码").fill("M-SOCKET")
    line.get_by_label("单价（元）").fill("12.5")
    expect(job.locator(".fee-total")).to_have_text("合计：¥22.50")
    line.get_by_label("数量").fill("0")
    job.get_by_role("button", name="确认完工").click()
    expect(line.get_by_label("数量")).to_have_attribute("aria-invalid", "true")  # the API's error, on its field
    line.get_by_label("数量").fill("1")
    job.get_by_role("button", name="确认完工").click()

    expect(job.locator(".badge").first).to_have_text("已完工")
    expect(job).to_contain_text("收费：¥22.50")
    expect(page.locator(".worker-status")).to_contain_text("收费 ¥22.50")
    expect(job.get_by_role("button")).to_have_count(0)

    student = phone_page  # the student rates it on a phone
    sign_in(student, "S00002")
    student.goto(f"/#/repairs?ticket={ticket['ticket_id']}")
    detail = student.locator(".ticket-detail")
    expect(detail.locator(".steps [aria-current=step]")).to_contain_text("已完工")
    expect(detail).to_contain_text("¥22.50")
    for dimension, stars in (("服务态度", 5), ("维修速度", 4), ("维修质量", 5), ("收费价格", 4)):
        detail.get_by_role("group", name=dimension).get_by_label(f"{stars} 星").check(force=True)
    detail.get_by_label("评语").fill("很快就修好了")
    detail.get_by_role("button", name="提交评价").click()

    expect(student.locator(".repairs-status")).to_contain_text("谢谢你的评价")
    expect(detail.locator(".rating-view")).to_contain_text("服务态度：★★★★★")
    expect(detail.locator(".rating-view")).to_contain_text("很快就修好了")
    expect(row_of(student, description)).to_contain_text("已确认")
    assert student.evaluate("document.documentElement.scrollWidth") <= 375


def test_another_student_neither_sees_nor_opens_the_ticket(page, sign_in, houqin_web):
    description = unique("衣柜门脱落")
    ticket = call(houqin_web, "S00001", "POST", "/tickets", {
        "campus_id": "SB", "building_id": "SB03", "room_no": "317", "category": "carpentry", "severity": "minor",
        "description": description})

    sign_in(page, "S00002")
    page.goto(f"/#/repairs?ticket={ticket['ticket_id']}")

    expect(page.locator(".ticket-detail .alert-error")).to_contain_text("找不到")
    expect(page.locator(".my-tickets")).not_to_contain_text(description)
    expect(page.locator(".ticket-detail")).not_to_contain_text(description)


def test_a_student_may_not_open_the_worker_page(page, sign_in):
    sign_in(page, "S00002")
    page.goto("/#/worker")
    expect(page.locator("#page-title")).to_have_text("无权访问")
