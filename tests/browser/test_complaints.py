"""投诉处理: a leader assigns a demo complaint to quality monitor E1604, who refers it to the unit responsible and
records the fix; the other monitor, E1605, never sees it; the leader answers in public and archives it, and the
reply is on the public board. An unknown monitor id is shown on its field, and the desk works on a phone.

The complaints are the demo's (infra/localcloud/demo_opinions.py): each test takes its own, so none depends on
another or on their order.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.expectations import expect_error_on_field
from tests.browser.waits import FIRST_LOAD

pytestmark = pytest.mark.browser

LEADER, MONITOR, OTHER_MONITOR = "E1602", "E1604", "E1605"
HEATING = "松北三公寓412室暖气不热"  # demo complaints waiting at intake
FLOODING = "二食堂门口积水"
LIGHTS = "江南二公寓4楼楼道灯坏了"  # the demo complaint E1605 is investigating


def row_of(page, text: str):
    return page.locator(".complaint-list tbody tr", has_text=text)


def open_complaint(page, text: str) -> str:
    """Open the listed complaint with this text; answers its id."""
    row = row_of(page, text)
    expect(row).to_be_visible(timeout=FIRST_LOAD)
    link = row.get_by_role("link")
    opinion_id = link.inner_text()
    link.click()
    expect(page.get_by_role("heading", name=f"投诉 {opinion_id}")).to_be_visible(timeout=FIRST_LOAD)
    return opinion_id


def switch_user(page, sign_in, who: str) -> dict:
    page.get_by_role("button", name="退出登录").click()
    return sign_in(page, who)


def test_a_complaint_goes_from_the_leader_to_its_monitor_and_back_to_the_public_board(page, sign_in, houqin_web):
    monitor = houqin_web.demo_user(MONITOR)
    sign_in(page, LEADER)
    page.goto("/#/complaints")
    expect(page.locator("#page-title")).to_have_text("投诉处理")
    expect(page.get_by_role("navigation", name="按状态筛选").locator('[aria-current="true"]')).to_have_text("已受理")
    opinion_id = open_complaint(page, HEATING)
    facts = page.get_by_label("投诉信息")
    expect(facts).to_contain_text("13800001234")  # staff call the complainant back
    expect(facts).to_contain_text("未指派")

    page.get_by_label("质量监督员工号").fill(MONITOR)
    page.get_by_label("说明").fill("请核实412室的暖气")
    page.get_by_role("button", name="指派").click()

    expect(page.get_by_role("status").filter(has_text="已指派")).to_have_text(
        f"已指派给 {monitor['name']}（{MONITOR}）。")
    expect(facts).to_contain_text(f"{monitor['name']}（{MONITOR}）")
    expect(page.locator(".detail-head")).to_contain_text("调查中")

    # the monitor finds it among their own, refers it and records the fix
    switch_user(page, sign_in, MONITOR)
    page.goto("/#/complaints")
    expect(row_of(page, HEATING)).to_contain_text("调查中", timeout=FIRST_LOAD)
    assert open_complaint(page, HEATING) == opinion_id
    expect(page.locator(".complaint-form h3")).to_have_text(["转责任单位"])  # nothing else is theirs to do
    unit = page.get_by_label("责任单位", exact=True)
    page.get_by_role("button", name="转办").click()  # no unit chosen yet
    expect_error_on_field(page.locator(".complaint-refer"), unit, "责任单位", "此项必填。")
    unit.select_option("WY")
    page.get_by_label("说明").fill("已核实：暖气阀门故障")
    page.get_by_role("button", name="转办").click()
    expect(page.get_by_role("status").filter(has_text="已转")).to_have_text("已转 物业管理中心（WY） 处理。")

    page.get_by_label("整改情况").fill("物业已更换暖气阀门，室温恢复正常。")
    page.get_by_role("button", name="记录整改").click()
    expect(page.get_by_role("status").filter(has_text="整改")).to_have_text("已记录整改情况。")
    expect(page.locator(".complaint-actions")).to_contain_text("没有需要你处理的事项")
    history = page.get_by_role("table", name=f"投诉 {opinion_id} 的处理记录")
    expect(history.locator("tbody tr")).to_have_count(4)
    expect(history).to_contain_text("物业已更换暖气阀门")

    # the other monitor neither lists it nor opens it
    switch_user(page, sign_in, OTHER_MONITOR)
    page.goto("/#/complaints")
    expect(row_of(page, LIGHTS)).to_be_visible(timeout=FIRST_LOAD)
    expect(page.locator(".complaint-list")).not_to_contain_text(HEATING)
    page.goto(f"/#/complaints?id={opinion_id}")
    expect(page.get_by_role("alert")).to_contain_text("找不到", timeout=FIRST_LOAD)
    expect(page.locator("body")).not_to_contain_text("13800001234")

    # the leader answers in public, then archives
    switch_user(page, sign_in, LEADER)
    page.goto("/#/complaints?state=fixed")
    assert open_complaint(page, HEATING) == opinion_id
    reply = "已更换412室的暖气阀门，感谢你的监督。"
    page.get_by_label("答复内容").fill(reply)
    page.get_by_role("button", name="发布答复").click()
    expect(page.get_by_role("status").filter(has_text="答复已发布")).to_be_visible()
    expect(page.locator(".complaint-replies")).to_contain_text(reply)
    page.get_by_role("button", name="归档").click()
    expect(page.get_by_role("status").filter(has_text="已归档")).to_have_text("已归档。")
    expect(page.locator(".detail-head")).to_contain_text("已归档")
    expect(page.locator(".complaint-form")).to_have_count(0)

    page.get_by_role("button", name="退出登录").click()
    page.goto("/#/opinions")
    posted = page.locator(f'.opinion-list > li[data-opinion-id="{opinion_id}"]')
    expect(posted).to_contain_text(reply, timeout=FIRST_LOAD)
    expect(posted).to_contain_text("已归档")
    expect(posted).not_to_contain_text("13800001234")


def test_an_unknown_monitor_id_is_shown_on_its_field(page, sign_in):
    sign_in(page, LEADER)
    page.goto("/#/complaints?state=intake")
    open_complaint(page, FLOODING)
    monitor_id = page.get_by_label("质量监督员工号")
    monitor_id.fill("E9999")

    with page.expect_response(lambda r: r.url.endswith("/transitions") and r.request.method == "POST") as answer:
        page.get_by_role("button", name="指派").click()

    assert answer.value.status == 400
    assert answer.value.json()["error"]["field"] == "monitor_id"
    expect_error_on_field(page.locator(".complaint-assign"), monitor_id, "质量监督员工号", "没有这个工号的员工。")
    expect(page.locator(".detail-head")).to_contain_text("已受理")


def test_the_desk_on_a_phone_and_in_english(phone_page, sign_in):
    sign_in(phone_page, OTHER_MONITOR)
    phone_page.goto("/#/complaints")
    expect(row_of(phone_page, LIGHTS)).to_be_visible(timeout=FIRST_LOAD)
    assert phone_page.evaluate("document.scrollingElement.scrollWidth") <= 375

    open_complaint(phone_page, LIGHTS)
    expect(phone_page.get_by_label("责任单位", exact=True)).to_be_visible()
    assert phone_page.evaluate("document.scrollingElement.scrollWidth") <= 375

    phone_page.get_by_role("button", name="菜单").click()
    phone_page.get_by_role("button", name="Switch to English").click()
    expect(phone_page.get_by_role("heading", name=re.compile(r"^Complaint O\d{6}-"))).to_be_visible()
    expect(phone_page.get_by_role("button", name="Refer")).to_be_visible()
    assert phone_page.evaluate("document.scrollingElement.scrollWidth") <= 375
