"""GIVEN the opinions function under moto WHEN the board is used THEN posts, replies and complaints behave.

Events are built the way API Gateway (REST) hands them to Chalice: the route template in
requestContext.resourcePath, the Cognito claims at requestContext.authorizer.claims.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from houqin.clock import FixedClock
from houqin.services.opinions import Opinions
from tests.conftest import ROOT, load_function_module
from tests.integration import apigw
from tests.integration.apigw import Context

T0 = datetime(2025, 3, 3, 1, 0, 0, tzinfo=UTC)  # 09:00 in Harbin, the start of a rate window
IP_A, IP_B = "203.0.113.7", "198.51.100.9"
CONTACT = "13800001111"


def user(person_id: str, role: str, name: str = "") -> dict[str, str]:
    claims = {"sub": f"sub-{person_id}", "cognito:groups": role, "custom:person_id": person_id}
    return {**claims, "name": name} if name else claims


DISPATCHER = user("E0201", "dispatcher", "王调度")
LEADER = user("E0001", "leader", "李主任")
MONITOR_A = user("E0101", "staff")  # two quality monitors of 监控部, the same role (staff, as in the demo)
MONITOR_B = user("E0102", "staff")
LEADER_B = user("E0002", "leader", "周主任")  # a second leader
STUDENT = user("S00001", "student", "赵同学")


def event(method: str, resource: str, *, path_params: dict[str, str] | None = None,
          claims: dict[str, str] | None = None, ip: str = IP_A, **kwargs: Any) -> dict[str, Any]:
    """An API Gateway event (tests/integration/apigw.py) with these raw Cognito claims."""
    built = apigw.event(method, resource, source_ip=ip, **kwargs, **(path_params or {}))
    if claims is not None:
        built["requestContext"]["authorizer"] = {"claims": claims}
    return built


class Board:
    """The function, with a pinned clock, called like API Gateway would."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.clock = FixedClock(T0)
        module.service = Opinions(clock=self.clock)  # the production repositories (moto), a pinned clock

    def call(self, method: str, resource: str, **kwargs: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
        response = self.module.app(event(method, resource, **kwargs), Context())
        return response["statusCode"], json.loads(response["body"]), response["headers"]

    def post(self, body: dict[str, Any], ip: str = IP_A) -> tuple[int, dict[str, Any]]:
        status, data, _ = self.call("POST", "/opinions", body=body, ip=ip)
        return status, data

    def posted(self, body: dict[str, Any], ip: str = IP_A) -> str:
        status, data = self.post(body, ip)
        assert status == 201, data
        return data["opinion_id"]

    def reply(self, opinion_id: str, text: str, claims: dict[str, str], **kwargs: Any):
        return self.call("POST", "/opinions/{opinion_id}/replies", path_params={"opinion_id": opinion_id},
                         body={"text": text}, claims=claims, **kwargs)

    def step(self, opinion_id: str, claims: dict[str, str], headers: dict[str, str] | None = None, **body: Any):
        status, data, _ = self.call("POST", "/opinions/{opinion_id}/transitions", claims=claims, headers=headers,
                                    path_params={"opinion_id": opinion_id}, body=body)
        return status, data

    def public(self, opinion_id: str) -> dict[str, Any]:
        status, data, _ = self.call("GET", "/public/opinions/{opinion_id}", path_params={"opinion_id": opinion_id})
        assert status == 200, data
        return data

    def staff_list(self, claims: dict[str, str] = DISPATCHER, **query: str):
        status, data, _ = self.call("GET", "/opinions", claims=claims, query=query)
        return status, data

    def mine(self, claims: dict[str, str], **query: str) -> list[str]:
        """The ids in the caller's ``?assigned=me`` list."""
        status, data = self.staff_list(claims, assigned="me", **query)
        assert status == 200, data
        return [o["opinion_id"] for o in data["items"]]

    def staff_get(self, opinion_id: str, claims: dict[str, str] | None):
        status, data, _ = self.call("GET", "/opinions/{opinion_id}", path_params={"opinion_id": opinion_id},
                                    claims=claims)
        return status, data


@pytest.fixture
def board(aws) -> Board:
    from houqin.store.staff import Department, StaffMember

    for staff_id, name in (("E0101", "张质检"), ("E0102", "陈质检")):
        StaffMember.make(staff_id, "JK", name=name, gender="M", post="质量监督员", contract="regular",
                         phone="13900000000").save()
    StaffMember.make("E0201", "WY", name="王调度", gender="F", post="值班调度员", contract="regular",
                     phone="13900000001").save()
    Department.make("JK", "监控部").save()
    Department.make("WY", "物业管理中心").save()
    return Board(load_function_module(aws, "OpinionsFunction"))


def complaint(board: Board) -> str:
    return board.posted({"type": "complaint", "category": "buck_passing", "text": "报修被推给别的部门",
                         "contact": CONTACT})


# ---------------------------------------------------------------- posting
def test_an_anonymous_post_is_on_the_public_board_without_its_contact(board):
    status, created = board.post({"type": "enquiry", "text": "  开水房几点开门？ ", "contact": CONTACT})
    assert status == 201
    assert created["state"] == "open" and created["text"] == "开水房几点开门？"
    assert created["opinion_id"].startswith("O250303-")
    assert "contact" not in created

    status, listing, _ = board.call("GET", "/public/opinions")
    assert status == 200
    assert [o["opinion_id"] for o in listing["items"]] == [created["opinion_id"]]
    assert listing["cursor"] is None
    assert CONTACT not in json.dumps(listing) and CONTACT not in json.dumps(board.public(created["opinion_id"]))

    status, staff = board.staff_list()
    assert status == 200 and staff["items"][0]["contact"] == CONTACT  # staff may call the poster back


def test_the_sample_event_posts_a_complaint(board, template):
    sample = json.loads((ROOT / "events/opinions/post.json").read_text())
    route = next(r for r in template.routes() if r.function == "OpinionsFunction" and r.method == "POST"
                 and r.path == sample["requestContext"]["resourcePath"])
    assert route.authorizer is None  # posting needs no sign-in
    response = board.module.app(sample, Context())
    assert response["statusCode"] == 201
    assert json.loads(response["body"])["state"] == "intake"


@pytest.mark.parametrize(("body", "field"), [
    ({"type": "enquiry", "text": "长" * 2001}, "text"),
    ({"type": "enquiry", "text": "   "}, "text"),
    ({"type": "enquiry"}, "text"),
    ({"type": "praise", "text": "很好"}, "type"),
    ({"type": "enquiry", "text": "问", "contact": "1" * 101}, "contact"),
    ({"type": "suggestion", "text": "建议", "category": "delay"}, "category"),
    ({"type": "complaint", "text": "投诉", "category": "rude"}, "category"),
    ({"type": "enquiry", "text": "问", "state": "archived"}, "state"),
])
def test_a_bad_post_is_400_naming_the_field(board, body, field):
    status, data = board.post(body)
    assert status == 400
    assert data["error"]["field"] == field, data


def test_text_up_to_the_limit_is_accepted(board):
    assert board.post({"type": "suggestion", "text": "长" * 2000})[0] == 201


def test_the_sixth_post_in_ten_minutes_is_429_for_that_client_only(board):
    for n in range(5):
        assert board.post({"type": "enquiry", "text": f"第{n}个问题"}, ip=IP_A)[0] == 201
        board.clock.advance(seconds=30)
    status, data, headers = board.call("POST", "/opinions", body={"type": "enquiry", "text": "第六个"}, ip=IP_A)
    assert status == 429
    assert data["error"]["code"] == "rate_limited"
    assert headers["Retry-After"] == str(600 - 5 * 30)

    assert board.post({"type": "enquiry", "text": "另一位同学"}, ip=IP_B)[0] == 201
    board.clock.advance(minutes=10)  # the next window
    assert board.post({"type": "enquiry", "text": "第六个"}, ip=IP_A)[0] == 201


def test_an_invalid_post_does_not_use_up_the_clients_posts(board):
    for _ in range(6):
        assert board.post({"type": "enquiry", "text": "长" * 2001})[0] == 400
    assert board.post({"type": "enquiry", "text": "这次对了"})[0] == 201


# ---------------------------------------------------------------- replies
def test_a_dispatchers_reply_is_public(board):
    opinion_id = board.posted({"type": "enquiry", "text": "宿舍热水几点供应？", "contact": CONTACT})
    board.clock.advance(minutes=5)
    status, staff, _ = board.reply(opinion_id, "每天 6:00-23:00 供应热水。", DISPATCHER)
    assert status == 201
    assert staff["state"] == "replied" and staff["version"] == 2
    assert staff["replies"] == [{"text": "每天 6:00-23:00 供应热水。", "by_id": "E0201", "by_name": "王调度",
                                 "at": "2025-03-03T01:05:00.000Z"}]
    assert [(h["action"], h["by_id"]) for h in staff["history"]] == [("posted", None), ("reply", "E0201")]

    public = board.public(opinion_id)
    assert public["state"] == "replied"
    assert public["replies"] == [{"text": "每天 6:00-23:00 供应热水。", "by_name": "王调度",
                                  "at": "2025-03-03T01:05:00.000Z"}]
    status, listing, _ = board.call("GET", "/public/opinions")
    assert listing["items"][0]["replies"] == public["replies"]


def test_a_reply_is_signed_with_the_staff_records_name_else_the_tokens(board):
    opinion_id = board.posted({"type": "suggestion", "text": "食堂多开一个窗口"})
    status, staff, _ = board.reply(opinion_id, "已转餐饮中心。", user("E0201", "dispatcher", "E0201"))
    assert status == 201 and staff["replies"][0]["by_name"] == "王调度"
    status, staff, _ = board.reply(opinion_id, "餐饮中心已答复。", LEADER)  # E0001 has no staff record here
    assert status == 201 and staff["replies"][1]["by_name"] == "李主任"


def test_a_student_cannot_reply_and_an_anonymous_caller_must_sign_in(board):
    opinion_id = board.posted({"type": "enquiry", "text": "问一下"})
    status, data, _ = board.reply(opinion_id, "我来回答", STUDENT)
    assert status == 403 and data["error"]["code"] == "forbidden"
    status, data, _ = board.reply(opinion_id, "我来回答", None)
    assert status == 401
    assert board.public(opinion_id)["replies"] == []


def test_a_reply_to_a_missing_opinion_is_404(board):
    status, data, _ = board.reply("O250303-DEADBEEF", "有人吗", DISPATCHER)
    assert status == 404 and data["error"]["code"] == "not_found"


# ---------------------------------------------------------------- complaint workflow
def test_a_complaint_goes_through_every_step_and_each_is_recorded(board):
    opinion_id = complaint(board)
    board.clock.advance(hours=1)
    status, data = board.step(opinion_id, LEADER, action="assign", monitor_id="E0101", note="请张质检跟进")
    assert status == 200, data
    assert (data["state"], data["monitor_id"], data["monitor_name"]) == ("investigating", "E0101", "张质检")
    board.clock.advance(hours=1)
    status, data = board.step(opinion_id, MONITOR_A, action="refer", department_id="WY")
    assert status == 200, data
    assert (data["state"], data["department_name"]) == ("with_unit", "物业管理中心")
    board.clock.advance(days=1)
    status, data = board.step(opinion_id, MONITOR_A, action="fix", note="已约谈维修点负责人，当天修好")
    assert status == 200 and data["state"] == "fixed"
    board.clock.advance(days=1)
    status, data = board.step(opinion_id, LEADER, action="archive")
    assert status == 200 and data["state"] == "archived"
    assert data["version"] == 5

    trail = [(h["seq"], h["action"], h["from_state"], h["to_state"], h["by_id"]) for h in data["history"]]
    assert trail == [(1, "posted", None, "intake", None),
                     (2, "assign", "intake", "investigating", "E0001"),
                     (3, "refer", "investigating", "with_unit", "E0101"),
                     (4, "fix", "with_unit", "fixed", "E0101"),
                     (5, "archive", "fixed", "archived", "E0001")]
    by_action = {h["action"]: h for h in data["history"]}
    assert by_action["assign"]["monitor_id"] == "E0101" and by_action["assign"]["text"] == "请张质检跟进"
    assert by_action["refer"]["department_id"] == "WY"
    assert by_action["fix"]["text"] == "已约谈维修点负责人，当天修好"
    assert by_action["archive"]["at"] == "2025-03-05T03:00:00.000Z"
    assert [h["at"] for h in data["history"]] == sorted(h["at"] for h in data["history"])

    # the state lists follow: it left every earlier state's list
    assert [o["opinion_id"] for o in board.staff_list(state="archived")[1]["items"]] == [opinion_id]
    for state in ("intake", "investigating", "with_unit", "fixed"):
        assert board.staff_list(state=state)[1]["items"] == []
    public = board.public(opinion_id)
    assert public["state"] == "archived" and "monitor_id" not in public and CONTACT not in json.dumps(public)


def test_an_archived_complaint_takes_no_reply(board):
    opinion_id = complaint(board)
    for claims, body in ((LEADER, {"action": "assign", "monitor_id": "E0101"}),
                         (MONITOR_A, {"action": "refer", "department_id": "WY"}),
                         (MONITOR_A, {"action": "fix", "note": "修好了"}), (LEADER, {"action": "archive"})):
        assert board.step(opinion_id, claims, **body)[0] == 200
    status, data, _ = board.reply(opinion_id, "补充说明", DISPATCHER)
    assert status == 409 and "archived" in data["error"]["message"]


def test_a_reply_to_a_complaint_keeps_its_workflow_state(board):
    opinion_id = complaint(board)
    status, data, _ = board.reply(opinion_id, "已收到，正在安排质检员。", DISPATCHER)
    assert status == 201 and data["state"] == "intake"


def test_an_illegal_step_is_409_naming_the_current_state(board):
    opinion_id = complaint(board)
    status, data = board.step(opinion_id, LEADER, action="fix", note="跳过调查")
    assert status == 409
    assert data["error"]["field"] == "state" and "intake" in data["error"]["message"]

    enquiry = board.posted({"type": "enquiry", "text": "问一下"})
    status, data = board.step(enquiry, LEADER, action="assign", monitor_id="E0101")
    assert status == 409 and "open" in data["error"]["message"]


@pytest.mark.parametrize(("body", "field"), [
    ({"action": "assign"}, "monitor_id"),
    ({"action": "assign", "monitor_id": "E9999"}, "monitor_id"),  # no such staff member
    ({"action": "assign", "monitor_id": "E0101", "department_id": "WY"}, "department_id"),
    ({"action": "escalate"}, "action"),
    ({"action": "archive", "state": "archived"}, "state"),
])
def test_a_bad_step_is_400_naming_the_field(board, body, field):
    opinion_id = complaint(board)
    status, data = board.step(opinion_id, LEADER, **body)
    assert status == 400 and data["error"]["field"] == field, data


def test_only_the_assigned_monitor_moves_the_complaint_on(board):
    opinion_id = complaint(board)
    status, data = board.step(opinion_id, MONITOR_A, action="assign", monitor_id="E0101")
    assert status == 403  # monitors do not assign themselves
    assert board.step(opinion_id, LEADER, action="assign", monitor_id="E0101")[0] == 200

    status, data = board.step(opinion_id, MONITOR_B, action="refer", department_id="WY")
    assert status == 403 and "assigned" in data["error"]["message"]
    status, data = board.step(opinion_id, STUDENT, action="refer", department_id="WY")
    assert status == 403
    assert board.step(opinion_id, MONITOR_A, action="refer", department_id="WY")[0] == 200
    assert board.step(opinion_id, MONITOR_A, action="fix", note="已处理")[0] == 200
    status, data = board.step(opinion_id, MONITOR_A, action="archive")
    assert status == 403 and "leader or admin" in data["error"]["message"]


def test_a_change_on_a_stale_version_is_409(board):
    opinion_id = complaint(board)
    status, data = board.step(opinion_id, LEADER, headers={"If-Match": '"1"'}, action="assign", monitor_id="E0101")
    assert status == 200 and data["version"] == 2
    # a second leader, still looking at version 1
    status, data = board.step(opinion_id, LEADER, headers={"If-Match": "1"}, action="assign", monitor_id="E0102")
    assert status == 409 and data["error"]["code"] == "version_conflict"
    status, data, _ = board.reply(opinion_id, "旧页面上的回复", DISPATCHER, headers={"If-Match": "1"})
    assert status == 409 and "version 2" in data["error"]["message"]
    status, data, _ = board.reply(opinion_id, "x", DISPATCHER, headers={"If-Match": "latest"})
    assert status == 400 and data["error"]["field"] == "If-Match"


def test_two_writers_racing_on_the_same_version_one_gets_409(board):
    from houqin.errors import Conflict
    from houqin.store import opinions as store
    from houqin.store.opinions import OpinionLog

    opinion_id = board.posted({"type": "enquiry", "text": "问一下"})
    first, second = store.get(opinion_id), store.get(opinion_id)
    for copy, who in ((first, "E0201"), (second, "E0202")):
        copy.state = "replied"
        log = OpinionLog.make(opinion_id, store.next_seq(copy), action="reply", from_state="open",
                              to_state="replied", at="2025-03-03T01:00:00.000Z", by_id=who)
        if copy is first:
            store.record(copy, log, "open")
        else:
            with pytest.raises(Conflict):
                store.record(copy, log, "open")
    assert [line.by_id for line in store.audit_trail(opinion_id)] == [None, "E0201"]


# ---------------------------------------------------------------- lists
def test_the_public_board_pages_newest_first_with_a_cursor(board):
    ids = []
    for n in range(5):
        ids.append(board.posted({"type": "suggestion", "text": f"建议{n}"}, ip=f"192.0.2.{n}"))
        board.clock.advance(seconds=1)
    seen, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        status, page, _ = board.call("GET", "/public/opinions", query=query)
        assert status == 200 and len(page["items"]) <= 2
        seen += [o["opinion_id"] for o in page["items"]]
        cursor = page["cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))


def test_a_tampered_or_foreign_cursor_is_400(board):
    for n in range(3):
        board.posted({"type": "enquiry", "text": f"问题{n}"}, ip=f"192.0.2.{n}")
    status, page, _ = board.call("GET", "/public/opinions", query={"limit": "1"})
    cursor = page["cursor"]
    assert cursor
    for bad in (cursor[:-3] + "AAA", "not-a-cursor", cursor + "x"):
        status, data, _ = board.call("GET", "/public/opinions", query={"limit": "1", "cursor": bad})
        assert status == 400 and data["error"]["field"] == "cursor", bad
    status, data = board.staff_list(state="open", cursor=cursor)  # a board cursor on a state list
    assert status == 400 and data["error"]["field"] == "cursor"
    status, data, _ = board.call("GET", "/public/opinions", query={"limit": "1000"})
    assert status == 400 and data["error"]["field"] == "limit"


def test_the_staff_list_filters_by_state_and_type_and_pages(board):
    enquiries = [board.posted({"type": "enquiry", "text": f"问题{n}"}, ip=f"192.0.2.{n}") for n in range(3)]
    suggestion = board.posted({"type": "suggestion", "text": "建议"}, ip="192.0.2.9")
    complaint_id = complaint(board)
    board.reply(enquiries[0], "已答复", DISPATCHER)

    def ids(**query: str) -> set[str]:
        status, data = board.staff_list(**query)
        assert status == 200, data
        return {o["opinion_id"] for o in data["items"]}

    assert ids() == {*enquiries, suggestion, complaint_id}
    assert ids(type="enquiry") == set(enquiries)
    assert ids(state="open") == {enquiries[1], enquiries[2], suggestion}
    assert ids(state="open", type="enquiry") == {enquiries[1], enquiries[2]}
    assert ids(state="replied") == {enquiries[0]}
    assert ids(state="intake", type="complaint") == {complaint_id}

    # a filtered page is full even when the filter skips items, and its cursor goes on
    status, first = board.staff_list(type="enquiry", limit="2")
    status, rest = board.staff_list(type="enquiry", limit="2", cursor=first["cursor"])
    assert len(first["items"]) == 2 and rest["cursor"] is None
    assert {o["opinion_id"] for o in first["items"] + rest["items"]} == set(enquiries)

    status, data = board.staff_list(state="closed")
    assert status == 400 and data["error"]["field"] == "state"
    assert board.staff_list(claims=STUDENT)[0] == 403
    assert board.staff_list(claims=MONITOR_A)[0] == 403
    assert board.staff_list(claims=LEADER)[0] == 200


def test_the_public_routes_declare_no_roles_and_the_staff_routes_declare_who_may_call(board, template):
    public = {(r.path, r.method) for r in template.routes()
              if r.function == "OpinionsFunction" and r.authorizer is None}
    declared = board.module.app.declared
    assert {(d.path, d.method) for d in declared if d.roles is None} == public == {
        ("/opinions", "POST"), ("/public/opinions", "GET"), ("/public/opinions/{opinion_id}", "GET")}
    assert all(d.summary and d.view.__doc__ for d in declared)


@pytest.mark.parametrize(("method", "resource", "claims", "request_", "field"), [
    ("GET", "/public/opinions", None, {"query": {"state": "open"}}, "state"),  # the public board filters nothing
    ("GET", "/public/opinions/{opinion_id}", None, {"query": {"limit": "1"}}, "limit"),
    ("GET", "/opinions", LEADER, {"query": {"monitor_id": "E0101"}}, "monitor_id"),
    ("GET", "/opinions/{opinion_id}", LEADER, {"query": {"history": "false"}}, "history"),
    ("GET", "/opinions/{opinion_id}", LEADER, {"body": {"opinion_id": "x"}}, "body"),
    ("POST", "/opinions/{opinion_id}/replies", DISPATCHER, {"body": {"text": "好", "by_name": "李主任"}}, "by_name"),
    ("POST", "/opinions/{opinion_id}/replies", DISPATCHER, {"body": {"text": "好"}, "query": {"notify": "1"}},
     "notify"),
    ("POST", "/opinions/{opinion_id}/transitions", LEADER, {"body": {"action": "assign", "monitor_id": "E0101",
                                                                     "monitor_name": "张质检"}}, "monitor_name"),
])
def test_a_field_or_parameter_a_route_does_not_declare_is_400_naming_it(board, method, resource, claims, request_,
                                                                        field):
    opinion_id = complaint(board)
    status, data, _ = board.call(method, resource, path_params={"opinion_id": opinion_id}, claims=claims, **request_)
    assert status == 400 and data["error"]["field"] == field, data
    assert board.staff_get(opinion_id, LEADER)[1]["version"] == 1  # nothing written


def test_a_role_the_route_does_not_declare_is_403_before_anything_is_read(board):
    opinion_id = complaint(board)
    worker = user("E0103", "worker")
    status, data, _ = board.reply(opinion_id, "我来答复", worker)  # staff, but not on the reply desk
    assert status == 403 and data["error"]["code"] == "forbidden"
    status, data = board.step(opinion_id, user("P1", "parent"), action="assign", monitor_id="E0101")
    assert status == 403
    status, data = board.staff_list(STUDENT, state="closed")  # refused before its query is read
    assert status == 403
    assert board.staff_get(opinion_id, LEADER)[1]["version"] == 1


def test_an_unknown_opinion_is_404_on_the_public_board(board):
    status, data, _ = board.call("GET", "/public/opinions/{opinion_id}", path_params={"opinion_id": "O000000-X"})
    assert status == 404


# ---------------------------------------------------------------- the complaint desk: monitors and their own
def complaints(board: Board, count: int) -> list[str]:
    """``count`` complaints, a second apart (newest last), each from its own client."""
    ids = []
    for n in range(count):
        ids.append(board.posted({"type": "complaint", "category": "delay", "text": f"投诉{n}", "contact": CONTACT},
                                ip=f"192.0.2.{100 + n}"))
        board.clock.advance(seconds=1)
    return ids


def test_a_monitor_lists_only_the_complaints_assigned_to_them(board):
    mine, theirs, waiting = complaints(board, 3)
    assert board.step(mine, LEADER, action="assign", monitor_id="E0101")[0] == 200
    assert board.step(theirs, LEADER_B, action="assign", monitor_id="E0102")[0] == 200

    assert board.mine(MONITOR_A) == [mine]
    assert board.mine(MONITOR_B) == [theirs]
    assert waiting not in board.mine(MONITOR_A) + board.mine(MONITOR_B)  # intake: nobody's yet
    assert board.mine(LEADER) == []  # a leader's own list holds what is assigned to them, not what they assigned

    status, data = board.staff_list(MONITOR_A, assigned="me")
    item = data["items"][0]
    assert (item["state"], item["monitor_name"], item["contact"]) == ("investigating", "张质检", CONTACT)

    # the state is a filter on the monitor's list
    assert board.step(mine, MONITOR_A, action="refer", department_id="WY")[0] == 200
    assert board.mine(MONITOR_A, state="investigating") == []
    assert board.mine(MONITOR_A, state="with_unit") == [mine]
    assert board.mine(MONITOR_B, state="with_unit") == []
    assert board.mine(MONITOR_A, type="complaint") == [mine]
    assert board.mine(MONITOR_A, type="enquiry") == []


def test_a_monitor_opens_their_complaint_and_another_monitor_is_told_it_does_not_exist(board):
    opinion_id = complaint(board)
    status, data = board.staff_get(opinion_id, MONITOR_A)
    assert status == 404  # not assigned to anyone yet
    assert board.step(opinion_id, LEADER, action="assign", monitor_id="E0101", note="请张质检跟进")[0] == 200

    status, data = board.staff_get(opinion_id, MONITOR_A)
    assert status == 200, data
    assert (data["state"], data["monitor_id"], data["contact"], data["version"]) == ("investigating", "E0101",
                                                                                     CONTACT, 2)
    assert [h["action"] for h in data["history"]] == ["posted", "assign"]
    assert data["actions"] == ["refer"]  # no archive, no reply: a monitor is not on the reply desk

    for other in (MONITOR_B, user("E0103", "worker")):
        status, data = board.staff_get(opinion_id, other)
        assert status == 404 and data["error"]["code"] == "not_found", other
        assert CONTACT not in json.dumps(data)
    status, data = board.staff_get(opinion_id, STUDENT)  # not staff: refused whatever the id
    assert status == 403 and CONTACT not in json.dumps(data)
    assert board.staff_get(opinion_id, None)[0] == 401

    # nor may the other monitor act on it or answer it
    status, data = board.step(opinion_id, MONITOR_B, action="refer", department_id="WY")
    assert status == 403
    status, data, _ = board.reply(opinion_id, "我来答复", MONITOR_B)
    assert status == 403
    assert board.staff_get(opinion_id, MONITOR_A)[1]["version"] == 2  # unchanged

    # the list desk reads every complaint
    assert board.staff_get(opinion_id, DISPATCHER)[1]["actions"] == ["reply"]
    assert board.staff_get(opinion_id, LEADER)[1]["actions"] == ["refer", "reply"]


def test_the_actions_offered_follow_the_state_and_who_asks(board):
    opinion_id = complaint(board)

    def offered(claims: dict[str, str]) -> list[str]:
        status, data = board.staff_get(opinion_id, claims)
        return data["actions"] if status == 200 else None

    assert (offered(LEADER), offered(DISPATCHER), offered(MONITOR_A)) == (["assign", "reply"], ["reply"], None)
    status, data = board.step(opinion_id, LEADER, action="assign", monitor_id="E0101")
    assert data["actions"] == ["refer", "reply"]  # each change answers what the caller may do next
    status, data = board.step(opinion_id, MONITOR_A, action="refer", department_id="WY")
    assert data["actions"] == ["fix"]
    status, data = board.step(opinion_id, MONITOR_A, action="fix", note="已修好")
    assert data["actions"] == []
    assert (offered(LEADER), offered(DISPATCHER), offered(MONITOR_A)) == (["archive", "reply"], ["reply"], [])
    status, data, _ = board.reply(opinion_id, "已整改完毕，感谢监督。", LEADER)
    assert status == 201 and data["actions"] == ["archive", "reply"]
    status, data = board.step(opinion_id, LEADER, action="archive")
    assert data["actions"] == []
    assert (offered(LEADER_B), offered(MONITOR_A)) == ([], [])

    enquiry = board.posted({"type": "enquiry", "text": "问一下"}, ip=IP_B)
    status, data = board.staff_get(enquiry, LEADER)
    assert data["actions"] == ["reply"] and "contact" in data


def test_two_leaders_share_every_complaint_and_the_slower_one_gets_409(board):
    opinion_id = complaint(board)
    seen_a, seen_b = board.staff_get(opinion_id, LEADER)[1], board.staff_get(opinion_id, LEADER_B)[1]
    assert seen_a["version"] == seen_b["version"] == 1
    status, data = board.step(opinion_id, LEADER, headers={"If-Match": str(seen_a["version"])}, action="assign",
                              monitor_id="E0101")
    assert status == 200
    status, data = board.step(opinion_id, LEADER_B, headers={"If-Match": str(seen_b["version"])}, action="assign",
                              monitor_id="E0102")
    assert status == 409 and data["error"]["code"] == "version_conflict"
    status, data = board.staff_get(opinion_id, LEADER_B)  # reloaded: A's choice stands, and both see it
    assert (data["monitor_id"], data["version"], data["actions"]) == ("E0101", 2, ["refer", "reply"])
    assert board.mine(MONITOR_A) == [opinion_id] and board.mine(MONITOR_B) == []
    for leader in (LEADER, LEADER_B):
        status, listing = board.staff_list(leader, state="investigating")
        assert [o["opinion_id"] for o in listing["items"]] == [opinion_id]


@pytest.mark.parametrize(("claims", "query", "status", "field"), [
    (STUDENT, {"assigned": "me"}, 403, None),
    (user("PS00001", "parent"), {"assigned": "me"}, 403, None),
    (MONITOR_A, {}, 403, None),  # the whole list is the desk's
    (MONITOR_A, {"assigned": "E0102"}, 400, "assigned"),  # nobody lists someone else's
    (MONITOR_A, {"assigned": ""}, 400, "assigned"),
    (MONITOR_A, {"assigned": "me", "state": "closed"}, 400, "state"),
    (MONITOR_A, {"assigned": "me", "limit": "0"}, 400, "limit"),
])
def test_the_assigned_list_is_for_staff_and_only_their_own(board, claims, query, status, field):
    got, data = board.staff_list(claims, **query)
    assert got == status, data
    assert data["error"]["field"] == field


def test_a_monitors_list_pages_and_their_cursor_is_no_key_to_another_list(board):
    ids = complaints(board, 3)
    for opinion_id in ids:
        assert board.step(opinion_id, LEADER, action="assign", monitor_id="E0101")[0] == 200
    status, first = board.staff_list(MONITOR_A, assigned="me", limit="2")
    assert [o["opinion_id"] for o in first["items"]] == [ids[2], ids[1]] and first["cursor"]
    status, rest = board.staff_list(MONITOR_A, assigned="me", limit="2", cursor=first["cursor"])
    assert [o["opinion_id"] for o in rest["items"]] == [ids[0]] and rest["cursor"] is None
    status, data = board.staff_list(MONITOR_B, assigned="me", limit="2", cursor=first["cursor"])
    assert status == 400 and data["error"]["field"] == "cursor"


def test_a_complaint_assigned_before_the_monitor_index_gets_its_key_from_the_backfill(board):
    from houqin.store import opinions as store
    from houqin.store.opinions import Opinion

    waiting, fixed = complaints(board, 2)
    for body, claims in (({"action": "assign", "monitor_id": "E0101"}, LEADER),
                         ({"action": "refer", "department_id": "WY"}, MONITOR_A),
                         ({"action": "fix", "note": "已修好"}, MONITOR_A)):
        assert board.step(fixed, claims, **body)[0] == 200
    # as stored before GSI2: the monitor, no key
    Opinion._get_connection().update_item(f"OPINION#{fixed}", "META",
                                          actions=[Opinion.gsi2pk.remove(), Opinion.gsi2sk.remove()])
    assert board.mine(MONITOR_A) == []

    assert store.backfill_monitor_index() == 1
    assert board.mine(MONITOR_A) == [fixed]
    stored = store.get(fixed)
    assert (stored.version, stored.state, stored.gsi2pk) == (4, "fixed", "MONITOR#E0101")  # no new version
    assert store.get(waiting).gsi2pk is None  # no monitor, no key
    assert store.backfill_monitor_index() == 0  # once is enough

    # and a later write keeps it
    assert board.step(fixed, LEADER, action="archive")[0] == 200
    assert board.mine(MONITOR_A, state="archived") == [fixed]


def test_the_demo_complaints_wait_at_each_step_and_each_demo_monitor_has_only_theirs(board):
    from localcloud import demo, demo_opinions

    data = demo.generate()
    assert demo_opinions.load(data, T0) == len(demo_opinions.POSTS)
    first, second = (user(u.person_id, u.role) for u in data.users if u.note == demo_opinions.MONITOR_NOTE)
    assert (first["custom:person_id"], second["custom:person_id"]) == ("E1604", "E1605")

    waiting = board.staff_list(LEADER, state="intake", type="complaint")[1]["items"]
    assert len(waiting) == 3 and all(o["monitor_id"] is None for o in waiting)
    assert [o["state"] for o in board.staff_list(first, assigned="me")[1]["items"]] == ["archived"]
    assert [o["state"] for o in board.staff_list(second, assigned="me")[1]["items"]] == ["with_unit", "investigating"]

    archived = board.mine(first)[0]
    status, data = board.staff_get(archived, first)
    assert status == 200 and data["version"] == len(data["history"]) == 6
    assert [h["action"] for h in data["history"]] == ["posted", "assign", "refer", "fix", "reply", "archive"]
    assert data["department_name"] == "饮食服务中心" and data["actions"] == []
    assert board.staff_get(archived, second)[0] == 404
    assert board.public(archived)["replies"][0]["by_name"] == "杨丽娜"  # the demo leader, E1602
    # the demo trail is one a real write would continue
    investigating = board.mine(second, state="investigating")[0]
    status, data = board.step(investigating, second, headers={"If-Match": "2"}, action="refer", department_id="WY")
    assert status == 200 and data["version"] == 3 and data["history"][-1]["seq"] == 3
