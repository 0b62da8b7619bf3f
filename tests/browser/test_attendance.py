"""考勤, 工作日志, 团队考核 and 考勤终端 in the browser, on the demo month (the cloud runs at 2026-11-25 10:00,
a Wednesday): a support staff member writes today's plan and reads their month, sees nobody else's; their
manager grades a waiting log with a comment (the member then reads it) and corrects a day with a reason; another
manager cannot open this team's members; the administrator registers a terminal and reads the refused punches.

Only this file changes attendance data in the browser session: E0102's plan of today, the grade of one of
E0102's waiting logs and a correction of one of E0102's late days; nothing else reads them.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AT
from tests.browser.test_payroll import person_token, sign_in_with_token
from tests.browser.waits import FIRST_LOAD

pytestmark = pytest.mark.browser

TODAY = AT.strftime("%Y-%m-%d")
TODAY_ZH = f"{AT.year}年{AT.month}月{AT.day}日"
NOT_FOUND = "找不到 {staff} 的考勤：没有这个人，或者你无权查看。"


def test_a_staff_member_writes_todays_plan_and_reads_their_month(page, sign_in):
    sign_in(page, "E0102")
    page.goto("/#/worklog")
    plan = page.get_by_label("今日计划")
    expect(plan).to_be_visible(timeout=FIRST_LOAD)
    expect(page.locator(".worklog-due")).to_have_text(f"截止时间：{TODAY_ZH} 23:59")
    plan.fill("巡查三号楼消防通道，整理维修工单台账")

    page.get_by_role("button", name="保存计划").click()

    expect(page.get_by_role("status").filter(has_text="今日计划已保存。")).to_be_visible()
    table = page.get_by_role("table", name=re.compile("工作日志"))
    today = table.locator("tr", has=page.locator(f'[data-day="{TODAY}"]'))
    expect(today).to_contain_text("巡查三号楼消防通道")
    expect(page.locator(".worklog-score")).to_contain_text("已评天数")

    page.goto("/#/attendance")
    days = page.get_by_role("table", name=f"{AT.year}年{AT.month}月每日考勤")
    expect(days).to_be_visible(timeout=FIRST_LOAD)
    expect(days.locator("tbody tr")).to_have_count(AT.day)  # the 1st to today
    expect(days.locator("tr", has=page.locator(f'[data-day="{TODAY}"]'))).to_contain_text("今天，进行中")
    expect(page.locator(".attendance-summary [data-count=workdays] dd")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("#attendance-title")).to_contain_text("（E0102）")


def test_a_staff_member_sees_nobody_elses_attendance_or_work_log(page, sign_in):
    sign_in(page, "E0104")
    page.goto("/#/attendance?staff=E0102")
    expect(page.get_by_role("alert")).to_have_text(NOT_FOUND.format(staff="E0102"), timeout=FIRST_LOAD)
    expect(page.locator(".data-table")).to_have_count(0)

    page.goto("/#/worklog?staff=E0102")
    expect(page.get_by_role("alert")).to_have_text("找不到 E0102 的工作日志：没有这个人，或者你无权查看。")

    page.goto("/#/attendance")
    expect(page.locator("#attendance-title")).to_contain_text("（E0104）", timeout=FIRST_LOAD)


def test_a_staff_member_outside_a_support_post_keeps_no_work_log(page, houqin_web):
    sign_in_with_token(page, person_token(houqin_web, "staff", "E0103", "维修工"))  # E0101's team, not support staff
    page.goto("/#/worklog")
    expect(page.locator(".not-support")).to_have_text("你的岗位不是二线岗位，不需要写工作日志。", timeout=FIRST_LOAD)
    expect(page.get_by_label("今日计划")).to_have_count(0)


def test_a_manager_grades_a_waiting_log_with_a_comment_and_the_member_reads_it(page, sign_in):
    sign_in(page, "E0101")
    page.goto("/#/team")
    waiting = page.locator(".waiting-item[data-staff=E0102]").first
    expect(waiting).to_be_visible(timeout=FIRST_LOAD)
    day = waiting.get_attribute("data-day")
    expect(waiting.get_by_label("等级").locator("option[value=A]")).to_have_text("A（100 分）")  # WY's scores
    waiting.get_by_label("等级").select_option("A")
    waiting.get_by_label("评语").fill("台账整理得很清楚")

    waiting.get_by_role("button", name="评定").click()

    expect(page.get_by_role("status").filter(has_text=re.compile(r"已将 .* 的日志评为 A。"))).to_be_visible()
    expect(page.locator(f'.waiting-item[data-staff=E0102][data-day="{day}"]')).to_have_count(0)
    expect(page.get_by_role("table", name=re.compile("团队考勤和考核")).locator("tr", has_text="E0102")).to_be_visible()

    sign_in(page, "E0102")
    page.goto("/#/worklog")
    row = page.get_by_role("table", name=re.compile("工作日志")).locator("tr", has=page.locator(f'[data-day="{day}"]'))
    expect(row.locator("td[data-label=等级]")).to_have_text("A", timeout=FIRST_LOAD)
    expect(row.locator("td[data-label=得分]")).to_have_text("100")
    expect(row.locator("td[data-label=主管评语]")).to_contain_text("台账整理得很清楚")


def test_a_manager_corrects_a_members_day_with_a_reason(page, sign_in):
    sign_in(page, "E0101")
    page.goto("/#/team")
    page.get_by_role("link", name=re.compile(r"（E0102）")).click()
    expect(page).to_have_url(re.compile(r"#/team\?staff=E0102"))
    late = page.locator('tr:has(td[data-label="状态"] .badge:text-is("迟到"))').first
    expect(late).to_be_visible(timeout=FIRST_LOAD)
    late_before = int(page.locator(".attendance-summary [data-count=late_count] dd").inner_text())
    day = late.locator("[data-day]").get_attribute("data-day")
    row = page.locator("tr", has=page.locator(f'[data-day="{day}"]'))
    row.get_by_role("button", name=re.compile("^更正 .* 的考勤$")).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("更正为").select_option("present")

    dialog.get_by_role("button", name="保存更正").click()  # no reason
    reason = dialog.get_by_label("原因")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator(".form-error")).to_have_text("请检查“原因”：此项必填。")

    reason.fill("指纹机读不出，门卫登记 07:55 到岗")
    dialog.get_by_role("button", name="保存更正").click()

    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text=re.compile("更正为“出勤”"))).to_be_visible()
    expect(row.locator("td[data-label=状态]")).to_have_text("出勤 已更正")
    correction = row.locator("td[data-label=更正]")
    expect(correction).to_contain_text("原因：指纹机读不出，门卫登记 07:55 到岗")
    expect(correction).to_contain_text("打卡记录为：迟到")
    expect(correction).to_contain_text("E0101 于")
    expect(page.locator(".attendance-summary [data-count=late_count] dd")).to_have_text(str(late_before - 1))

    row.get_by_role("button", name=re.compile("^更正")).click()  # corrected again: both stay on record
    dialog.get_by_label("更正为").select_option("on_leave")
    dialog.get_by_label("原因").fill("补办了事假手续")
    dialog.get_by_role("button", name="保存更正").click()
    expect(row.locator("td[data-label=状态]")).to_have_text("请假 已更正")
    history = row.locator(".correction-history")
    expect(history.locator("summary")).to_have_text("更正记录（2 次）")
    history.locator("summary").click()
    expect(history.locator("li")).to_have_count(2)
    expect(history.locator("li").last).to_contain_text("迟到 → 请假，补办了事假手续")


def test_another_manager_cannot_open_this_teams_members(page, sign_in):
    sign_in(page, "E0126")
    page.goto("/#/team")
    team = page.get_by_role("table", name=re.compile("团队考勤和考核"))
    expect(team).to_be_visible(timeout=FIRST_LOAD)
    expect(team).not_to_contain_text("E0102")
    expect(page.locator(".waiting-item[data-staff=E0102]")).to_have_count(0)

    page.goto("/#/team?staff=E0102")
    expect(page.get_by_role("alert")).to_have_text(NOT_FOUND.format(staff="E0102"), timeout=FIRST_LOAD)
    expect(page.get_by_role("button", name=re.compile("^更正"))).to_have_count(0)


def test_the_administrator_registers_a_terminal_and_reads_the_refused_punches(page, sign_in):
    sign_in(page, "E1603")
    page.goto("/#/terminals")
    terminals = page.get_by_role("table", name="考勤终端")
    expect(terminals.locator("tr", has_text="FP-WY")).to_contain_text("物业管理中心（WY）", timeout=FIRST_LOAD)
    refused = page.get_by_role("table", name=re.compile("被拒绝的打卡"))
    expect(refused).to_contain_text("员工不属于这台终端绑定的部门")
    expect(refused).to_contain_text("wrong_department")

    form = page.locator("form", has=page.get_by_role("heading", name="登记或重新绑定终端"))
    form.get_by_label("终端编号").fill("FP-BG-2")
    form.get_by_label("名称").fill("宾馆服务中心 后门指纹机")
    form.get_by_role("button", name="保存终端").click()  # no department
    expect(form.locator(".form-error")).to_contain_text("部门")
    expect(form.locator(".check-group")).to_have_attribute("aria-invalid", "true")

    form.get_by_label(re.compile("宾馆服务中心")).check()
    form.get_by_role("button", name="保存终端").click()
    expect(page.get_by_role("status").filter(has_text="已保存终端 FP-BG-2")).to_be_visible()
    expect(terminals.locator("tr", has_text="FP-BG-2")).to_contain_text("宾馆服务中心（BG）")

    page.get_by_label("终端", exact=True).select_option("FP-HY")
    page.get_by_role("button", name="查看").click()
    expect(refused.locator("tbody tr").first).to_contain_text("FP-HY")
    expect(refused.locator("td[data-label=终端编号]").filter(has_not_text="FP-HY")).to_have_count(0)


def test_a_staff_member_reads_their_month_on_a_phone_in_english(phone_page, sign_in):
    page = phone_page
    sign_in(page, "E0104")
    page.goto("/#/attendance")
    expect(page.locator("#attendance-title")).to_be_visible(timeout=FIRST_LOAD)
    page.get_by_role("button", name="菜单").click()
    page.get_by_role("button", name="Switch to English").click()

    expect(page.locator("#page-title")).to_have_text("My attendance")
    days = page.get_by_role("table", name=re.compile("Attendance day by day"))
    expect(days.locator(f'tr:has([data-day="{TODAY}"]) td[data-label=Status]')).to_contain_text("Today, in progress")
    expect(days.locator("td[data-label=Status]").filter(has_text="Rest day").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the month is {width} px wide on a 375 px phone"
