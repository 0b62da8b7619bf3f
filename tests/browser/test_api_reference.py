"""The API reference page (#/api): the contract the API publishes (GET /openapi.json), read by a person."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_a_visitor_finds_a_route_its_roles_and_inputs_and_the_error_codes(page):
    page.goto("/#/api")
    expect(page.locator("#page-title")).to_have_text("接口参考")
    routes = page.locator(".api-route")
    expect(routes).to_have_count(83)
    page.get_by_role("searchbox").fill("/payroll/runs")
    expect(page.locator(".api-route:visible").first).to_be_visible()
    visible = page.locator(".api-route:visible")
    assert 1 < visible.count() < 83
    start = page.locator(".api-route", has_text=re.compile(r"POST\s+/payroll/runs\s+—"))
    start.locator("summary").click()
    expect(start).to_contain_text("角色：finance")
    expect(start.get_by_role("cell", name="departments", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="version_conflict")).to_be_visible()
    expect(page.get_by_role("link", name="下载 openapi.json")).to_have_attribute("href", re.compile(r"/openapi\.json$"))
