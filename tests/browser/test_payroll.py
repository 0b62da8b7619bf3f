"""工资 and 我的工资单: finance runs HY's payroll for the demo month on the page, a leader approves it, and a
person of HY sees their own payslip, line by line, and nobody else's.

Only this file runs payroll in the browser session. The demo month (last calendar month) of HY is run
on the page by one test; the payslip tests use their own approved HY run of the month before, set up
over HTTP, so neither depends on the other or on their order.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AT
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

WORKER_TIMEOUT_MS = 90_000  # the worker computes HY's 50 payslips of a real month
HY_STAFF, OTHER_HY_STAFF = "E1552", "E1553"


def month_before(month: str) -> str:
    first = datetime.strptime(f"{month}-01", "%Y-%m-%d")
    return (first - timedelta(days=1)).strftime("%Y-%m")


LAST_MONTH = month_before(AT.strftime("%Y-%m"))  # the demo month: the one before the cloud's (campus) month
EARLIER_MONTH = month_before(LAST_MONTH)


def demo_token(houqin_web, who: str) -> str:
    person = houqin_web.demo_user(who)["person_id"]
    with urllib.request.urlopen(f"{houqin_web.web}/_local/token?person_id={person}", timeout=5) as answer:  # noqa: S310
        return json.load(answer)["token"]


def person_token(houqin_web, role: str, person_id: str, name: str) -> str:
    """A dev token for anyone, issued on the running cloud's clock: the cloud and this command share the dev key."""
    done = subprocess.run([sys.executable, "-m", "localcloud.cli", "token", "--role", role, "--as", person_id,
                           "--name", name, "--lambda-url", houqin_web.lambda_], cwd=ROOT, capture_output=True,
                          text=True, timeout=30, check=True)
    return done.stdout.strip().splitlines()[-1]


def call(houqin_web, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(houqin_web.api + path, method=method,  # noqa: S310 - loopback
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as failed:
        return failed.code, json.load(failed)


def sign_in_with_token(page, token: str) -> None:
    """Sign in as someone who is not a demo user: the session the sign-in page would keep."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    page.goto("/#/signin")
    page.evaluate("([token, claims]) => sessionStorage.setItem('houqin.session', JSON.stringify({token, claims}))",
                  [token, claims])


@pytest.fixture(scope="module")
def approved_run(houqin_web) -> str:
    """An approved HY run of the month before the demo month (its own income entered over HTTP)."""
    finance, leader = demo_token(houqin_web, "finance"), demo_token(houqin_web, "leader")
    assert call(houqin_web, "PUT", f"/payroll/income/{EARLIER_MONTH}/HY", finance,
                {"income_fen": 1_000_000_000})[0] in (200, 409)
    status, run = call(houqin_web, "POST", "/payroll/runs", finance, {"month": EARLIER_MONTH, "departments": ["HY"]})
    if status == 409:  # approved already (this module ran before on this cloud)
        runs = call(houqin_web, "GET", f"/payroll/runs?month={EARLIER_MONTH}", finance)[1]["items"]
        return next(r["run_id"] for r in runs if r["state"] == "approved")
    deadline = time.monotonic() + WORKER_TIMEOUT_MS / 1000
    while run["state"] in ("queued", "computing") and time.monotonic() < deadline:
        time.sleep(1)
        run = call(houqin_web, "GET", f"/payroll/runs/{run['run_id']}", finance)[1]
    assert run["state"] in ("draft", "submitted", "approved"), run
    if run["state"] == "draft":
        assert call(houqin_web, "POST", f"/payroll/runs/{run['run_id']}/submit", finance, {})[0] == 200
    if run["state"] != "approved":
        assert call(houqin_web, "POST", f"/payroll/runs/{run['run_id']}/approve", leader, {})[0] == 200
    return run["run_id"]


def test_a_negative_income_shows_the_apis_error_under_the_field(page, sign_in):
    sign_in(page, "finance")
    page.goto("/#/payroll")
    expect(page.locator("#page-title")).to_have_text("工资")
    expect(page.get_by_role("table", name=re.compile("各单位收入"))).to_contain_text("会议服务中心")
    page.get_by_label("单位", exact=True).select_option("BG")
    amount = page.get_by_label("收入（元）")
    amount.fill("-5")

    with page.expect_response(lambda r: "/payroll/income/" in r.url and r.request.method == "PUT") as answer:
        page.get_by_role("button", name="保存收入").click()

    assert answer.value.status == 400
    expect(amount).to_have_attribute("aria-invalid", "true")
    error_id = amount.get_attribute("aria-describedby").split()[-1]
    expect(page.locator(f"#{error_id}")).to_have_text("不能小于 0。")
    expect(page.locator(".form-error")).to_have_text("请检查“收入（元）”：不能小于 0。")


def test_finance_adds_a_named_bonus_and_sees_it_listed(page, sign_in):
    sign_in(page, "finance")
    page.goto("/#/payroll")
    page.get_by_label("工号").fill("E0102")  # WY: no payroll run in this session
    page.get_by_label("奖励类别").select_option("suggestion")
    page.get_by_label("金额（元）").fill("123.45")
    page.get_by_label("说明").last.fill("节水建议")

    page.get_by_role("button", name="添加奖励").click()

    expect(page.get_by_role("status").filter(has_text="已为 E0102 添加建议奖")).to_contain_text("¥123.45")
    row = page.get_by_role("table", name=re.compile("的奖励")).locator("tr", has_text="节水建议").first
    expect(row).to_contain_text("E0102")
    expect(row).to_contain_text("¥123.45")


def test_finance_runs_hy_on_the_page_submits_it_and_a_leader_approves_it(page, sign_in):
    sign_in(page, "finance")
    page.goto(f"/#/payroll?month={LAST_MONTH}")
    start = page.locator("form", has=page.get_by_role("heading", name="发起工资核算"))
    start.get_by_label(re.compile("会议服务中心")).check()
    start.get_by_role("button", name="开始核算").click()

    expect(page).to_have_url(re.compile(r"#/payroll\?run=PR-"))
    run_id = re.search(r"run=(PR-[\w-]+)", page.url).group(1)
    expect(page.locator(".run-progress")).to_be_visible()  # queued or computing, with the staff done
    expect(page.locator(".run-state")).to_have_text("草稿", timeout=WORKER_TIMEOUT_MS)
    totals = page.get_by_role("table", name=re.compile("各部门工资合计"))
    expect(totals).to_contain_text("HY")
    expect(totals.locator("td[data-label=人数]")).to_have_text("50")
    expect(totals.locator("td[data-label=实发]")).to_contain_text("¥")
    expect(page.locator(".run-progress")).to_have_count(0)

    # the same month and departments started again is the same run
    page.goto(f"/#/payroll?month={LAST_MONTH}")
    start.get_by_label(re.compile("会议服务中心")).check()
    start.get_by_role("button", name="开始核算").click()
    expect(page).to_have_url(re.compile(rf"#/payroll\?run={run_id}$"))
    expect(page.locator(".run-state")).to_have_text("草稿")

    page.get_by_role("button", name="提交审批").click()
    expect(page.locator(".run-state")).to_have_text("待审批")
    expect(page.get_by_role("status").filter(has_text="已提交")).to_be_visible()
    expect(page.get_by_role("button", name="批准")).to_have_count(0)  # finance does not approve
    with page.expect_download() as report:
        page.get_by_role("button", name="工资报表（CSV）").click()
    assert report.value.suggested_filename == f"工资报表_payroll_{run_id}_all.csv"  # the UTF-8 name the API gives

    sign_in(page, "leader")
    page.goto(f"/#/payroll?run={run_id}")
    expect(page.get_by_role("table", name=re.compile("各部门工资合计"))).to_contain_text("HY")
    page.get_by_role("button", name="批准").click()

    expect(page.locator(".run-state")).to_have_text("已批准")
    expect(page.locator(".payroll-run")).to_contain_text("已锁定")
    expect(page.get_by_role("status").filter(has_text="本月工资已审批通过并锁定")).to_be_visible()
    expect(page.locator(".run-actions")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("批准|退回|提交审批|重新核算"))).to_have_count(0)
    history = page.get_by_role("table", name=re.compile("处理记录"))
    expect(history).to_contain_text("批准")
    expect(history).to_contain_text("提交")


def test_a_person_sees_their_own_payslip_line_by_line_and_not_anothers(page, approved_run, houqin_web):
    sign_in_with_token(page, person_token(houqin_web, "staff", HY_STAFF, "会议服务员"))
    page.goto("/#/payslips")
    expect(page.locator("#page-title")).to_have_text("我的工资单")
    rows = page.get_by_role("table", name="工资单").locator("tbody tr")
    year, month = EARLIER_MONTH.split("-")
    mine = rows.filter(has_text=f"{year}年{int(month)}月")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("HY")
    expect(mine).to_contain_text("已批准")
    assert rows.count() <= 2  # this run's, and the demo month's if it is approved by now: nobody else's

    mine.get_by_role("link", name=re.compile("查看.*明细")).click()

    expect(page).to_have_url(re.compile(rf"run={approved_run}&staff={HY_STAFF}"))
    lines = page.get_by_role("table", name=re.compile("工资明细"))
    expect(lines).to_contain_text("岗位工资")
    expect(lines).to_contain_text("缺勤")
    expect(lines).to_contain_text("个工作日")  # the absence line says how the day rate is made
    expect(lines).to_contain_text("奖金池")
    expect(lines).to_contain_text("养老保险")
    expect(lines).to_contain_text("缴费基数")
    expect(lines).to_contain_text("累计应纳税所得额")
    expect(page.locator(".payslip-sums")).to_contain_text("实发")
    expect(page.locator(".payslip")).to_contain_text(re.compile(r"工资卡：\*+\d{4}"))

    page.goto(f"/#/payslips?run={approved_run}&staff={OTHER_HY_STAFF}")
    expect(page.get_by_role("alert")).to_have_text("找不到这张工资单：它不存在、还没有审批，或者不是你的。")
    expect(page.locator(".payslip")).to_have_count(0)


def test_a_payslip_reads_in_english_on_a_phone(phone_page, approved_run, houqin_web):
    page = phone_page
    sign_in_with_token(page, person_token(houqin_web, "staff", HY_STAFF, "会议服务员"))
    page.goto(f"/#/payslips?run={approved_run}&staff={HY_STAFF}")
    expect(page.locator(".payslip")).to_be_visible()
    page.get_by_role("button", name="菜单").click()
    page.get_by_role("button", name="Switch to English").click()

    expect(page.locator("#page-title")).to_have_text("My payslips")
    lines = page.get_by_role("table", name=re.compile("Pay lines"))
    expect(lines).to_contain_text("post salary")
    expect(lines).to_contain_text("workdays this month")
    expect(lines).to_contain_text("taxable so far")
    expect(page.locator(".payslip-sums")).to_contain_text("Net")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the payslip is {width} px wide on a 375 px phone"


def test_a_staff_member_may_not_open_the_payroll_page(page, sign_in):
    sign_in(page, "E0102")
    page.goto("/#/payroll")
    expect(page.locator("#page-title")).to_have_text("无权访问")
    expect(page.locator("#menu")).to_contain_text("我的工资单")
