"""报警, 查寝和零报告: alarms acknowledged and resolved on the page, a building's night roll, the zero report
signed once, and who may see what.

The tests work in 江南六公寓 (JN06), empty in the demo: two residents of 江南五公寓 are moved into it, so
their newest swipe is at another building's gate and every roll of JN06 counts them out; the building is
kept "open" round the clock, so its gate reader, which hears only the odd visitor, is reported silent.
The checks then run at once through the local Lambda endpoint (synchronous invocations), which gives
alarms and last night's zero report of JN06 whatever the time of day (before 06:00 the building's
morning roll is moved to 00:01, so last night already has both rolls).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.expectations import expect_error_on_field
from tests.browser.waits import FIRST_LOAD

pytestmark = pytest.mark.browser

CAMPUS = ZoneInfo("Asia/Shanghai")
BUILDING, FROM_BUILDING = "JN06", "JN05"
MANAGER, OTHER_MANAGER = "E0727", "E0723"  # 江南 buildings; 松北 buildings
ALARMS = "ul.alarm-list > li.alarm"


# ---------------------------------------------------------------- HTTP set-up (not the page under test)
class Cloud:
    def __init__(self, houqin_web: Any) -> None:
        self.houqin = houqin_web
        self.web, self.api, self.lam = houqin_web.web, houqin_web.api, houqin_web.lambda_
        self.tokens: dict[str, str] = {}

    def token(self, person: str) -> str:
        if person not in self.tokens:
            with urllib.request.urlopen(f"{self.web}/_local/token?person_id={person}", timeout=10) as reply:  # noqa: S310
                self.tokens[person] = json.load(reply)["token"]
        return self.tokens[person]

    def call(self, method: str, path: str, person: str, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(  # noqa: S310 - loopback
            self.api + path, method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token(person)}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310
                return reply.status, json.load(reply)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def run_check(self, check: str) -> dict[str, Any]:
        """AlarmsFunction with its schedule's input, synchronously (`houqin fire` only queues it)."""
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{self.lam}/2015-03-31/functions/AlarmsFunction/invocations", method="POST",
            data=json.dumps({"check": check}).encode())
        with urllib.request.urlopen(request, timeout=120) as reply:  # noqa: S310
            return json.load(reply)


@pytest.fixture(scope="module")
def cloud(houqin_web) -> Cloud:
    return Cloud(houqin_web)


@pytest.fixture(scope="module")
def night(cloud: Cloud) -> dict[str, Any]:
    """Alarms and last night's rolls and zero report in JN06; returns the night and the residents moved in."""
    now = cloud.houqin.now().astimezone(CAMPUS)  # 10:00, the browser cloud's --at: last night's rolls are due
    status, listed = cloud.call("GET", "/buildings?campus_id=JN", MANAGER)
    assert status == 200, listed
    settings = next(b for b in listed["items"] if b["building_id"] == BUILDING)["settings"]
    status, reply = cloud.call("PUT", f"/buildings/{BUILDING}/settings", MANAGER, {
        "curfew": settings["curfew"], "morning_roll": settings["morning_roll"], "opens": "00:00", "closes": "23:59"})
    assert status == 200, reply

    moved = move_two_residents(cloud)
    cloud.run_check("silent_readers")
    cloud.run_check("night_roll")
    for person in (MANAGER, OTHER_MANAGER, "E1602"):  # the alarms function is warm before the pages ask
        cloud.call("GET", f"/alarms?building_id={BUILDING}&limit=1", person)
    return {"night": (now.date() - timedelta(days=1)).isoformat(), "residents": moved}


def move_two_residents(cloud: Cloud) -> list[dict[str, str]]:
    status, source = cloud.call("GET", f"/buildings/{FROM_BUILDING}/map", MANAGER)
    assert status == 200, source
    status, target = cloud.call("GET", f"/buildings/{BUILDING}/map", MANAGER)
    assert status == 200, target
    already = [b["resident"] for r in target["rooms"] for b in r["beds"] if b["resident"]
               and b["resident"]["resident_id"].startswith("S0")]
    room = next(r for r in reversed(source["rooms"]) if r["occupied"] >= 2)
    people = [b["resident"] for b in room["beds"] if b["resident"]][:2]
    free = next(r for r in reversed(target["rooms"]) if r["gender"] == room["gender"] and r["free"] >= 2)
    beds = [b["bed_no"] for b in free["beds"] if b["empty"]]
    for person, bed in zip(people, beds, strict=False):
        status, reply = cloud.call("POST", f"/residents/{person['resident_id']}/room-change", MANAGER, {
            "building_id": BUILDING, "room_no": free["room_no"], "bed_no": bed, "reason": "browser test: alarms"})
        assert status == 200, reply
    return [{"id": p["resident_id"], "name": p["name"]} for p in people + already]


def first_open_alarm(cloud: Cloud) -> dict[str, Any]:
    status, page = cloud.call("GET", f"/alarms?building_id={BUILDING}&state=open&limit=50", MANAGER)
    assert status == 200 and page["items"], f"no open alarm in {BUILDING}: {page}"
    return page["items"][0]


# ---------------------------------------------------------------- 报警
def test_a_dorm_manager_acknowledges_then_resolves_an_alarm_with_a_note(page, sign_in, cloud, night):
    sign_in(page, MANAGER)
    page.goto(f"/#/alarms?building={BUILDING}")
    expect(page.locator("#page-title")).to_have_text("报警")
    expect(page.locator(ALARMS).first).to_be_visible(timeout=FIRST_LOAD)
    alarm_id = page.locator(ALARMS).first.get_attribute("data-alarm-id")
    alarm = page.locator(f'{ALARMS}[data-alarm-id="{alarm_id}"]')
    expect(alarm.locator(".badge").nth(1)).to_have_text("未处理")
    expect(page.locator("#page")).not_to_contain_text("null")

    alarm.get_by_role("button", name="确认接手").click()

    expect(alarm.locator(".badge").nth(1)).to_have_text("已接手")
    expect(alarm).to_contain_text(f"{MANAGER} 于")
    expect(alarm.get_by_role("status")).to_contain_text("不会再向上级通知")
    expect(alarm.get_by_role("button", name="确认接手")).to_have_count(0)

    alarm.get_by_role("button", name="解除报警…").click()
    note = alarm.get_by_label("处理情况")
    with page.expect_response(lambda r: r.url.endswith("/resolve") and r.request.method == "POST") as answer:
        alarm.get_by_role("button", name="解除", exact=True).click()
    assert answer.value.status == 400 and answer.value.json()["error"]["field"] == "note"
    expect_error_on_field(alarm, note, "处理情况", "此项必填。")

    note.fill("电话联系，在同学家，明早回")
    alarm.get_by_role("button", name="解除", exact=True).click()

    expect(alarm.locator(".badge").nth(1)).to_have_text("已解除")
    expect(alarm).to_contain_text("电话联系，在同学家，明早回")
    expect(alarm.get_by_role("button", name="解除报警…")).to_have_count(0)
    alarm.get_by_role("button", name="处理记录和通知").click()
    expect(alarm.locator(".alarm-history li")).to_contain_text(["报警", "接手", "解除"])

    page.goto(f"/#/alarms?building={BUILDING}&state=resolved")
    resolved = page.locator(f'{ALARMS}[data-alarm-id="{alarm_id}"]')
    expect(resolved).to_contain_text("已解除")
    status, stored = cloud.call("GET", f"/alarms/{alarm_id}", MANAGER)
    assert (status, stored["state"], stored["resolved_by"]) == (200, "resolved", MANAGER)


def test_another_buildings_manager_does_not_see_these_alarms_and_a_student_gets_403(page, sign_in, cloud, night):
    hidden = first_open_alarm(cloud)
    sign_in(page, OTHER_MANAGER)
    page.goto("/#/alarms")
    building = page.get_by_label("楼宇")
    expect(building.locator("option").first).to_be_attached(timeout=FIRST_LOAD)  # his 9 buildings' beds are counted
    expect(building.locator(f'option[value="{BUILDING}"]')).to_have_count(0)  # only his 松北 buildings
    expect(building.locator("option").first).to_have_text(re.compile("^松北"))

    page.goto(f"/#/alarms?building={BUILDING}")
    expect(page.get_by_role("alert")).to_contain_text("找不到")
    expect(page.locator(ALARMS)).to_have_count(0)
    assert cloud.call("GET", f"/alarms/{hidden['alarm_id']}", OTHER_MANAGER)[0] == 404

    page.goto(f"/#/rolls?building={BUILDING}&night={night['night']}")
    expect(page.get_by_role("alert")).to_contain_text("找不到")

    page.get_by_role("button", name="退出登录").click()
    sign_in(page, "student")
    page.goto("/#/alarms")
    expect(page.locator("#page-title")).to_have_text("无权访问")
    page.goto("/#/rolls")
    expect(page.locator("#page-title")).to_have_text("无权访问")


def test_on_a_phone_in_english_the_alarms_are_cards_with_their_actions(phone_page, sign_in, cloud, night):
    page = phone_page
    first_open_alarm(cloud)
    sign_in(page, MANAGER)
    page.goto(f"/#/alarms?building={BUILDING}")
    expect(page.locator(ALARMS).first).to_be_visible(timeout=FIRST_LOAD)
    page.get_by_role("button", name="菜单").tap()
    page.get_by_role("button", name="Switch to English").tap()

    expect(page.locator("#page-title")).to_have_text("Alarms")
    first = page.locator(ALARMS).first
    expect(first.get_by_role("button", name="Acknowledge")).to_be_visible()
    expect(first.locator(".alarm-check")).to_have_text(
        re.compile("^(Not back by curfew|Out all night|Gate reader silent|Repair overdue)$"))
    expect(first).to_contain_text("raised")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_label("State").select_option("resolved")
    expect(page).to_have_url(re.compile(r"state=resolved"))


# ---------------------------------------------------------------- 查寝和零报告
def test_the_night_roll_of_a_building_shows_its_numbers_and_who_is_out(page, sign_in, cloud, night):
    status, roll = cloud.call("GET", f"/buildings/{BUILDING}/rolls/{night['night']}", MANAGER)
    assert status == 200, roll
    sign_in(page, MANAGER)
    page.goto(f"/#/rolls?building={BUILDING}&night={night['night']}")

    expect(page.locator("#page-title")).to_have_text("查寝和零报告")
    expect(page.locator(".roll-body h2").first).to_contain_text("江南六公寓", timeout=FIRST_LOAD)
    for kind in ("curfew", "morning"):
        card = page.locator(f".roll-{kind}")
        counts = roll[kind]["counts"]
        expect(card.locator('[data-count="expected"] dd')).to_have_text(str(counts["expected"]))
        expect(card.locator('[data-count="present"] dd')).to_have_text(str(counts["present"]))
        expect(card.locator('[data-count="not_returned"] dd')).to_have_text(str(counts["not_returned"]))
        expect(card.locator('[data-count="on_leave"] dd')).to_have_text(str(counts["on_leave"]))
        for out in roll[kind]["not_returned"][:3]:
            expect(card.locator("table")).to_contain_text(out["resident_id"])
        for reader in roll[kind]["readers_behind"]:
            expect(card).to_contain_text(reader["reader_id"])
    flagged = {n["resident_id"] for n in roll["morning"]["not_returned"]}
    for person in night["residents"]:
        if person["id"] in flagged:  # named, not just numbered
            expect(page.locator(".roll-morning table")).to_contain_text(f"{person['name']} ({person['id']})")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def test_a_dorm_manager_signs_the_zero_report_once(page, phone_page, sign_in, cloud, night):
    where = f"/#/rolls?building={BUILDING}&night={night['night']}"
    sign_in(page, MANAGER)
    sign_in(phone_page, MANAGER)
    page.goto(where)
    phone_page.goto(where)  # a second screen, still showing the report unsigned
    for screen in (page, phone_page):
        expect(screen.locator(".zero-report")).to_contain_text("未签收", timeout=FIRST_LOAD)
    sign = page.get_by_role("button", name="签收零报告")
    late = phone_page.get_by_role("button", name="签收零报告")

    sign.click()

    report = page.locator(".zero-report")
    # the report may also carry a status that some readers had not uploaded everything
    expect(report.locator(".alert-success")).to_contain_text("已签收，这一晚的零报告不会再变动。")
    expect(report).to_contain_text(f"已由 {MANAGER} 于")
    expect(sign).to_have_count(0)
    expect(page.locator(".zero-history tbody tr").first).to_contain_text(f"已由 {MANAGER} 于")

    late.tap()  # the stale screen tries again

    expect(phone_page.locator(".zero-report").get_by_role("alert")).to_have_text(
        "这份零报告已经签收过了，不能重复签收。")
    expect(phone_page.locator(".zero-report")).to_contain_text(f"已由 {MANAGER} 于")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    status, roll = cloud.call("GET", f"/buildings/{BUILDING}/rolls/{night['night']}", MANAGER)
    assert status == 200 and roll["zero"]["signed_by"] == MANAGER


def test_a_leader_sees_the_unsigned_zero_reports_in_english_and_only_looks_at_alarms(page, sign_in, cloud, night):
    status, unsigned = cloud.call("GET", "/zero-reports", "E1602")
    assert status == 200
    sign_in(page, "leader")
    page.goto("/#/rolls")
    page.get_by_role("button", name="Switch to English").click()

    section = page.locator(".unsigned-reports")
    expect(section.get_by_role("heading")).to_have_text("Zero reports not signed off", timeout=FIRST_LOAD)
    if unsigned["items"]:
        expect(section.locator("tbody tr")).to_have_count(len(unsigned["items"]))
        expect(section.locator("tbody tr").first).to_contain_text("Not signed")
    else:
        expect(section).to_contain_text("Every zero report is signed off.")

    page.goto(f"/#/alarms?building={BUILDING}&state=open")
    expect(page.locator(".alarm-list > li").first).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Leaders see alarms")).to_be_visible()
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
