"""Every page (the sign-in page has its own tests), for a demo user of its role, on the demo data: on a desktop
in Chinese and on a 375-pixel phone in English. Each first load must finish without an error box, with the
title in the page's language, without a violation of axe-core's WCAG 2.1 A/AA rules (contrast, labels, names,
roles) and, on the phone, without sideways scrolling. (Each page's own test file performs its actions; this
proves the whole set in both languages at both widths, and saves a screenshot of each.)"""

from __future__ import annotations

import re
from pathlib import Path

import axe_playwright_python
import pytest
from playwright.sync_api import expect

from tests.browser.waits import FIRST_LOAD

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u4e00-\u9fff]")
AXE = Path(axe_playwright_python.__file__).with_name("axe.min.js")  # axe-core (MPL-2.0), as that package ships it
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}

# (page id, who signs in: a demo person id, or None for a visitor)
PAGES = [
    ("home", "S00001"), ("repairs", "S00001"), ("worker", "E0001"), ("desk", "E0097"), ("kpis", "E1602"),
    ("alarms", "E0727"), ("rolls", "E0723"), ("dorm-map", "E0723"), ("dorm-reports", "E0723"),
    ("beds", "E0723"), ("parent", "PS00001"), ("payroll", "E1601"), ("payslips", "E0102"),
    ("attendance", "E0102"), ("worklog", "E0102"), ("team", "E0101"), ("terminals", "E1603"),
    ("complaints", "E1602"),
    ("board", None), ("opinions", None), ("api", None),
]


def open_page(page, sign_in, page_id: str, who: str | None, language: str) -> None:
    if who:
        sign_in(page, who)
    else:
        page.goto("/#/board")
    page.evaluate("lang => localStorage.setItem('houqin.lang', lang)", language)
    page.goto(f"/#/{page_id}")
    page.reload()  # the language is read when the app starts
    expect(page.locator(f'#page[data-rendered="{page_id}"]')).to_be_attached(timeout=FIRST_LOAD)
    expect(page.locator("#page .alert-error")).to_have_count(0)
    assert page.evaluate("document.documentElement.lang") == language
    assert_accessible(page)


def assert_accessible(page) -> None:
    """axe-core's WCAG 2.1 A/AA rules (contrast, labels, names, roles, language...) on the page as shown."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("options => axe.run(document, options).then(r => r.violations)", WCAG_AA)
    found = [f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} x, e.g. {v['nodes'][0]['target']}"
             for v in violations]
    assert not found, "\n".join(found)


def test_the_registry_and_this_list_name_the_same_pages(page):
    page.goto("/#/board")
    ids = page.evaluate("import('/js/pages.js').then(m => m.pages.filter(p => p.id !== 'signin').map(p => p.id))")
    assert sorted(ids) == sorted(page_id for page_id, _ in PAGES)


@pytest.mark.parametrize(("page_id", "who"), PAGES, ids=[p for p, _ in PAGES])
def test_each_page_on_a_desktop_in_chinese(page, sign_in, page_id, who):
    open_page(page, sign_in, page_id, who, "zh-CN")
    assert CJK.search(page.locator("#page-title").inner_text())


@pytest.mark.parametrize(("page_id", "who"), PAGES, ids=[p for p, _ in PAGES])
def test_each_page_on_a_phone_in_english(phone_page, sign_in, page_id, who):
    open_page(phone_page, sign_in, page_id, who, "en")
    title = phone_page.locator("#page-title").inner_text()
    assert title and not CJK.search(title)
    wide = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"{page_id} scrolls sideways by {wide} px at 375 px"
