"""后勤意见: posting without signing in, and the API's error shown at the field it names."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.expectations import expect_error_on_field

pytestmark = pytest.mark.browser


def test_an_opinion_posted_without_signing_in_appears_on_the_board(page):
    text = f"三食堂晚饭排队太久,建议多开一个窗口。({uuid.uuid4().hex[:12]})"
    page.goto("/#/opinions")
    page.get_by_label("类型").select_option("suggestion")
    page.get_by_label("内容").fill(text)
    page.get_by_label("联系方式").fill("13800000000")

    page.get_by_role("button", name="发表").click()

    expect(page.get_by_role("status").filter(has_text="已发表")).to_be_visible()
    expect(page.locator(".opinion-list > li").first).to_contain_text(text)
    expect(page.get_by_label("内容")).to_have_value("")
    page.reload()
    posted = page.locator(".opinion-list > li", has_text=text)
    expect(posted).to_contain_text("建议")
    expect(posted).to_contain_text("待回复")
    expect(posted).not_to_contain_text("13800000000")  # the contact is for staff only


def test_an_empty_opinion_shows_the_apis_error_under_the_field(page):
    page.goto("/#/opinions")
    text = page.get_by_label("内容")

    with page.expect_response(lambda r: r.url.endswith("/opinions") and r.request.method == "POST") as answer:
        page.get_by_role("button", name="发表").click()

    assert answer.value.status == 400
    assert answer.value.json()["error"]["field"] == "text"
    expect_error_on_field(page, text, "内容", "此项必填。")


def test_typing_in_the_field_clears_its_error(page):
    page.goto("/#/opinions")
    text = page.get_by_label("内容")
    page.get_by_role("button", name="发表").click()
    expect(text).to_have_attribute("aria-invalid", "true")

    text.fill("写点什么")

    expect(text).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error:visible")).to_have_count(0)
    expect(page.locator(".form-error")).to_have_count(0)


def test_the_error_is_in_english_after_the_switch(page):
    page.goto("/#/opinions")
    page.get_by_role("button", name="Switch to English").click()
    page.get_by_role("button", name="Post").click()

    expect(page.get_by_label("Your message")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error:visible")).to_have_text("This field is required.")
    expect(page.locator(".form-error")).to_have_text("Check “Your message”: This field is required.")


def test_a_complaint_asks_what_it_is_about(page):
    page.goto("/#/opinions")
    category = page.get_by_label("投诉事由")
    expect(category).to_be_hidden()
    page.get_by_label("类型").select_option("complaint")
    expect(category).to_be_visible()
    expect(category.locator("option")).to_have_text(["推诿", "拖延", "拒绝", "其他"])
