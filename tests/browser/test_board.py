"""公众监督: the public repair board, without signing in, on a desktop and on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROWS = "table.data-table tbody tr"


def show_a_month_with_repairs(page) -> None:
    """This month's board, or last month's early on the 1st when this month has none yet."""
    expect(page.locator(f"{ROWS}, .board-list .empty").first).to_be_visible()
    if page.locator(".board-list .empty").count():
        page.get_by_role("button", name="上个月").click()
    expect(page.locator(ROWS).first).to_be_visible()


def test_the_board_shows_repairs_to_a_visitor_who_is_not_signed_in(page):
    page.goto("/#/board")

    expect(page.locator("#page-title")).to_have_text("公众监督")
    show_a_month_with_repairs(page)
    assert page.locator(ROWS).count() == 20  # one page; more on demand
    first = page.locator(ROWS).first
    expect(first.locator("td").nth(1)).to_have_text(re.compile("(松北|江南)"))
    expect(first.locator(".badge").first).to_be_visible()
    expect(page.get_by_role("link", name="登录")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('houqin.session')") is None

    page.get_by_role("button", name="加载更多").click()
    expect(page.locator(ROWS)).to_have_count(40)

    page.get_by_role("button", name="上个月").click()
    expect(page).to_have_url(re.compile(r"#/board\?month=\d{4}-\d{2}$"))
    expect(page.locator("table.data-table caption, .board-list .empty").first).to_be_visible()


def test_on_a_phone_the_board_stacks_into_cards_and_the_menu_folds_behind_a_toggle(phone_page):
    page = phone_page
    page.goto("/#/board")
    show_a_month_with_repairs(page)

    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing scrolls sideways
    card = page.locator(ROWS).first.bounding_box()
    assert card["width"] < 375 and card["height"] > 200  # a row is a card of labelled lines
    expect(page.locator("table.data-table thead")).not_to_be_in_viewport()

    toggle = page.get_by_role("button", name="菜单")
    menu = page.locator("#menu")
    expect(menu).to_be_hidden()
    toggle.tap()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    menu.get_by_role("link", name="后勤意见").tap()

    expect(page).to_have_url(re.compile(r"#/opinions$"))
    expect(menu).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
