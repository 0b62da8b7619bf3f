"""总值班台 and 维修考核: open tickets with live clocks, dispatching, phone reports, KPIs per repair point."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AT
from tests.browser.expectations import expect_error_on_field
from tests.browser.waits import FIRST_LOAD

pytestmark = pytest.mark.browser


def token(houqin_web, person_id: str) -> str:
    url = f"{houqin_web.web}/_local/token?person_id={person_id}"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return json.load(response)["token"]


def call(houqin_web, person_id: str, method: str, path: str, body: Any = None, query: dict | None = None) -> Any:
    url = houqin_web.api + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
    request = urllib.request.Request(  # noqa: S310 - loopback
        url, method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token(houqin_web, person_id)}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return json.load(response)


def fresh_ticket(houqin_web) -> dict[str, Any]:
    """A carpentry repair a student reports on the web (routed at once to 松北木工维修点)."""
    return call(houqin_web, "S00002", "POST", "/tickets", {
        "campus_id": "SB", "building_id": "SB06", "room_no": "606", "category": "carpentry", "severity": "minor",
        "description": f"柜门合页脱落({uuid.uuid4().hex[:12]})"})


def test_the_desk_lists_open_tickets_overdue_first_with_ticking_clocks(page, sign_in):
    sign_in(page, "E0097")
    page.goto("/#/desk")

    expect(page.locator("#page-title")).to_have_text("总值班台")
    rows = page.locator(".desk-list tbody tr")
    expect(rows.first).to_be_visible()
    first_clock = rows.first.locator(".sla-clock")
    expect(first_clock).to_contain_text("已超时")
    expect(first_clock).to_have_class("badge sla-clock badge-danger")
    expect(rows.first).to_have_class("overdue")
    # Overdue rows come before the others: once a row is on time, no later row is overdue.
    flags = [("overdue" in (c or "")) for c in rows.evaluate_all("rows => rows.map(r => r.className)")]
    assert flags[0] and flags == sorted(flags, reverse=True)
    expect(page.locator(".desk-summary")).to_contain_text("已超时")

    before = first_clock.inner_text()
    expect(first_clock).not_to_have_text(before, timeout=3000)  # it ticks


def test_the_desk_re_dispatches_a_fresh_ticket_to_another_repair_point(page, sign_in, houqin_web):
    ticket = fresh_ticket(houqin_web)
    number = ticket["ticket_id"]
    sign_in(page, "E0097")
    page.goto("/#/desk")
    row = page.locator(".desk-list tbody tr", has_text=number)
    expect(row).to_contain_text("已派单")
    expect(row).to_contain_text("松北木工维修点")
    expect(row.locator(".sla-clock")).to_contain_text("剩余")

    row.get_by_role("button", name=f"改派：{number}").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("派往维修点").select_option(label="松北泥瓦维修点")
    dialog.get_by_role("button", name="派单").click()  # a re-dispatch needs its reason
    reason = dialog.get_by_label("原因")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator(".field-error:visible")).to_have_text("此项必填。")
    reason.fill("木柜属泥瓦班组负责")
    dialog.get_by_role("button", name="派单").click()

    expect(dialog).to_be_hidden()
    expect(row.locator(".cell-team")).to_have_text("松北泥瓦维修点")
    expect(row.locator(".cell-state")).to_have_text("已派单")
    expect(page.get_by_role("status").filter(has_text=f"{number} 已派往 松北泥瓦维修点")).to_be_visible()
    stored = call(houqin_web, "E0097", "GET", f"/tickets/{number}")
    assert stored["team_id"] == "SB-MASON" and stored["reason"] == "木柜属泥瓦班组负责"
    page.reload()
    expect(page.locator(".desk-list tbody tr", has_text=number).locator(".cell-team")).to_have_text("松北泥瓦维修点")


def test_a_phone_report_without_a_description_shows_the_apis_error_then_joins_the_list(page, sign_in):
    sign_in(page, "E0099")
    page.goto("/#/desk")
    # the form is filled while the list may still load: its end must not take the focus from the form
    page.get_by_role("button", name="登记电话报修").click()
    form = page.locator("#phone-intake")
    form.get_by_label("来电人姓名").fill("王老师")
    form.get_by_label("联系电话").fill("0451-86400000")
    form.get_by_label("校区").select_option(label="江南")
    form.get_by_label("公共区域地点").fill("江南图书馆三楼")
    form.get_by_label("工种").select_option(label="水")
    description = form.get_by_label("问题描述")

    with page.expect_response(lambda r: r.url.endswith("/tickets") and r.request.method == "POST") as answer:
        form.get_by_role("button", name="登记").click()
    assert answer.value.status == 400 and answer.value.json()["error"]["field"] == "description"
    expect_error_on_field(form, description, "问题描述", "此项必填。")

    text = f"三楼开水器不出水({uuid.uuid4().hex[:12]})"
    description.fill(text)
    with page.expect_response(lambda r: r.url.endswith("/tickets") and r.request.method == "POST") as answer:
        form.get_by_role("button", name="登记").click()
    created = answer.value.json()
    assert answer.value.status == 201 and created["channel"] == "phone" and created["caller_name"] == "王老师"
    expect(page.get_by_role("status").filter(has_text=f"已登记 {created['ticket_id']}")).to_be_visible()
    row = page.locator(".desk-list tbody tr", has_text=text)
    expect(row).to_contain_text(created["ticket_id"])
    expect(row).to_contain_text("电话")
    expect(row).to_contain_text("江南图书馆三楼")
    expect(description).to_have_value("")


def test_a_student_gets_the_forbidden_view_for_the_desk(page, sign_in):
    sign_in(page, "S00002")
    page.goto("/#/desk")
    expect(page.locator("#page-title")).to_have_text("无权访问")
    expect(page.locator("#page")).to_contain_text("总值班台")


def test_on_a_phone_the_desk_stacks_into_cards_and_the_intake_form_fits(phone_page, sign_in):
    sign_in(phone_page, "E0097")
    phone_page.goto("/#/desk")
    card = phone_page.locator(".desk-list tbody tr").first
    expect(card.locator(".sla-clock")).to_be_visible()
    phone_page.get_by_role("button", name="登记电话报修").click()
    expect(phone_page.get_by_label("问题描述")).to_be_visible()
    assert phone_page.evaluate("document.scrollingElement.scrollWidth") <= 375


def kpi_period() -> dict[str, str]:
    """A period that ended yesterday on the cloud's clock: tickets other tests report today do not change it."""
    yesterday = AT.date() - timedelta(days=1)
    return {"from": (yesterday - timedelta(days=29)).isoformat(), "to": yesterday.isoformat()}


def test_the_kpi_page_shows_each_repair_points_figures_and_charts(page, sign_in, houqin_web):
    period = kpi_period()
    sign_in(page, "leader")
    page.goto(f"/#/kpis?{urllib.parse.urlencode(period)}")

    expect(page.locator("#page-title")).to_have_text("维修考核")
    rows = page.locator(".table-wrap").first.locator("tbody tr")
    expect(rows).to_have_count(12, timeout=FIRST_LOAD)  # twelve requests, on a cloud shared with other tests
    expected = call(houqin_web, "E1602", "GET", "/kpis/teams/SB-WATER", query=period)
    water = page.locator('tbody tr[data-team-id="SB-WATER"]')
    sla = (Decimal(str(expected["sla_met_rate"])) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    expect(water.locator(".kpi-sla")).to_have_text(f"{sla}%")
    expect(water.locator("td").nth(1)).to_have_text(str(expected["count"]))
    mean = (sum(Decimal(str(v)) for v in expected["average_rating"].values()) / 4).quantize(Decimal("0.01"),
                                                                                            ROUND_HALF_UP)
    expect(water.locator(".kpi-rating")).to_have_text(f"{mean} 分")
    charts = page.locator("figure.chart")
    expect(charts).to_have_count(3)
    expect(charts.first.locator("svg rect.bar")).to_have_count(12)
    expect(charts.first.locator("table.visually-hidden tbody tr")).to_have_count(12)  # for screen readers

    water.get_by_role("link").click()
    expect(page.get_by_role("heading", name="松北水维修点的维修工")).to_be_visible(timeout=FIRST_LOAD)
    expect(page.locator(".kpi-workers tbody tr").first).to_be_visible()


def test_the_kpi_page_in_english_and_a_bad_period_marks_the_field(page, sign_in):
    sign_in(page, "E0097")
    page.goto("/#/kpis?from=2026-11-20&to=2026-11-01")  # reversed
    expect(page.get_by_label("结束日期")).to_have_attribute("aria-invalid", "true", timeout=FIRST_LOAD)
    page.get_by_role("button", name="Switch to English").click()
    expect(page.locator("#page-title")).to_have_text("Repair KPIs")
    expect(page.locator(".form-error")).to_contain_text("Check “To”")
    page.get_by_label("From").fill("2026-10-01")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"from=2026-10-01&to=2026-11-01"))
    expect(page.locator("figure.chart figcaption").first).to_have_text("Share finished on time", timeout=FIRST_LOAD)
    expect(page.locator("th", has_text="On time").first).to_be_visible()


def test_a_worker_sees_their_own_figures_and_their_repair_point_only(page, sign_in):
    sign_in(page, "E0001")
    page.goto(f"/#/kpis?{urllib.parse.urlencode(kpi_period())}")
    expect(page.get_by_role("heading", name="我的考核")).to_be_visible(timeout=FIRST_LOAD)
    expect(page.locator(".kpi-workers")).to_contain_text("松北水维修点")
    expect(page.locator(".kpi-workers")).not_to_contain_text("松北电维修点")
