"""The shell every page lives in: sign-in, the menu by role, forbidden and unknown pages,
the language switch, translations and formatters."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AT

pytestmark = pytest.mark.browser


def menu_items(page) -> list[str]:
    return page.locator("#menu a").all_inner_texts()


@pytest.mark.parametrize(("who", "menu"), [
    ("S00001", ["首页", "我的报修", "公众监督", "后勤意见"]),
    ("PS00001", ["首页", "孩子的出入记录", "公众监督", "后勤意见"]),
], ids=["student", "parent"])
def test_a_demo_user_signs_in_and_sees_only_their_roles_menu(page, sign_in, who, menu):
    user = sign_in(page, who)

    expect(page).to_have_url(re.compile(r"#/home$"))
    expect(page.locator("#page-title")).to_have_text("首页")
    expect(page.locator(".greeting")).to_contain_text(user["name"])
    assert menu_items(page) == menu
    # the home page lists the same pages
    expect(page.locator(".link-grid strong")).to_have_text(menu[1:])
    claims = page.evaluate("JSON.parse(sessionStorage.getItem('houqin.session')).claims")
    assert claims["custom:person_id"] == who


def test_a_page_the_role_may_not_use_answers_forbidden(page, sign_in):
    sign_in(page, "parent")
    page.goto("/#/repairs")

    expect(page.locator("#page-title")).to_have_text("无权访问")
    expect(page.locator("#page")).to_contain_text("家长")
    expect(page.locator("#page")).to_contain_text("我的报修")
    assert "我的报修" not in menu_items(page)


def test_a_private_page_sends_a_visitor_to_sign_in_and_back(page, sign_in):
    page.goto("/#/repairs")
    expect(page).to_have_url(re.compile(r"#/signin\?next=%2Frepairs$"))
    page.locator('.demo-user[data-person-id="S00001"]').click()

    expect(page).to_have_url(re.compile(r"#/repairs$"))
    expect(page.locator("table.data-table tbody tr").first).to_be_visible()

    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"#/signin$"))
    expect(page.get_by_role("link", name="登录")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('houqin.session')") is None


def test_an_unknown_address_shows_not_found(page):
    page.goto("/#/no-such-page")
    expect(page.locator("#page-title")).to_have_text("找不到页面")
    expect(page.locator("#page")).to_contain_text("/no-such-page")


def test_the_language_switch_changes_the_words_keeps_the_choice_and_switches_back(page):
    page.goto("/#/opinions")
    page.get_by_label("内容").fill("草稿")  # typed text survives the switch
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    page.get_by_role("button", name="Switch to English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#page-title")).to_have_text("Opinions")
    assert menu_items(page) == ["Public board", "Opinions"]
    expect(page.get_by_label("Your message")).to_have_value("草稿")
    expect(page).to_have_title(re.compile("Houqin"))

    page.reload()  # the choice is kept
    expect(page.locator("#page-title")).to_have_text("Opinions")
    page.get_by_role("button", name="切换到中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#page-title")).to_have_text("后勤意见")
    assert menu_items(page) == ["公众监督", "后勤意见"]


def test_every_string_has_both_languages(page):
    page.goto("/#/board")
    expect(page.locator("body[data-ready]")).to_be_attached()
    missing = page.evaluate("""async () => {
        const i18n = await import("/js/i18n.js");
        await (await import("/js/pages.js")).loadAllPages();
        return i18n.missingKeys();
    }""")
    assert missing == []


def test_formatters_follow_the_language(page):
    page.goto("/#/board")
    expect(page.locator("body[data-ready]")).to_be_attached()
    formatted = page.evaluate("""async () => {
        const { fmt, setLanguage } = await import("/js/i18n.js");
        const sample = () => [fmt.money(123450), fmt.money(-5), fmt.duration(7500), fmt.duration(90061),
                              fmt.duration(20), fmt.dateTime("2026-11-23T16:30:00Z"), fmt.month("2026-11")];
        const zh = sample();
        setLanguage("en");
        const en = sample();
        setLanguage("zh-CN");
        return { zh, en };
    }""")
    assert formatted["zh"] == ["¥1,234.50", "-¥0.05", "2小时5分", "1天1小时", "不到1分钟", "2026年11月24日 00:30",
                               "2026年11月"]
    assert formatted["en"] == ["¥1,234.50", "-¥0.05", "2 h 5 min", "1 d 1 h", "under 1 min",
                               "Nov 24, 2026, 12:30 AM", "November 2026"]


def test_an_expired_sign_in_asks_to_sign_in_again(page, sign_in):
    sign_in(page, "student")
    page.evaluate("""() => {  // a token the gateway refuses, as an expired one would be
        const session = JSON.parse(sessionStorage.getItem("houqin.session"));
        session.token = session.token.slice(0, -4) + "AAAA";
        sessionStorage.setItem("houqin.session", JSON.stringify(session));
    }""")
    page.goto("/#/repairs")

    expect(page.get_by_role("alert")).to_contain_text("登录已失效，请重新登录。")
    page.get_by_role("link", name="重新登录").click()
    expect(page).to_have_url(re.compile(r"#/signin\?next=%2Frepairs$"))
    expect(page.locator(".user-name")).to_have_count(0)


def test_the_progress_line_shows_text_and_percentage(page):
    page.goto("/#/board")
    expect(page.locator("body[data-ready]")).to_be_attached()
    page.evaluate("""async () => {
        const { progress } = await import("/js/ui.js");
        const line = progress({ text: "正在计算工资" });
        line.id = "probe";
        document.getElementById("page").prepend(line);
        line.update({ percent: 40 });
    }""")
    line = page.locator("#probe")
    expect(line).to_have_attribute("role", "status")
    expect(line).to_contain_text("正在计算工资")
    expect(line.locator(".progress-percent")).to_have_text("40%")
    expect(line.locator("progress")).to_have_attribute("value", "40")


def test_pages_tick_with_the_clouds_clock_when_the_browsers_is_elsewhere(own_clock_page, sign_in, houqin_web):
    """The cloud runs from its --at, days from the machine's time: config.json's `now` shifts the pages to it, so
    "today" on the KPI page (and the desk's, board's and rolls' clocks) is the cloud's day."""
    page = own_clock_page
    sign_in(page, "leader")  # a token of the cloud's clock: on the browser's it would have expired long ago
    page.goto("/#/kpis")
    today = houqin_web.now().astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    expect(page.locator('.kpi-period input[name="to"]')).to_have_value(today)
    browser_day = page.evaluate("new Intl.DateTimeFormat('en-CA', {timeZone: 'Asia/Shanghai'}).format(new Date())")
    assert browser_day != today, f"the browser's own day is the cloud's ({AT:%Y-%m-%d}): this proves nothing"
