"""The payroll API (工薪) end to end through the Chalice app, the worker's handler called in place of the
asynchronous Lambda invocation (moto cannot run Lambdas): rules, income and bonuses, a run of two
departments computed and checked line by line against figures worked out by hand, approval and locks,
the idempotent trigger, permissions with two users of a role, bad input, the failure path and retry,
reports (JSON, CSV, XLSX), the bank transfer list, income tax over two months and a mid-year rule change.

Attendance and grades come from houqin.services.attendance (another function's data); here its two
readers are replaced by the fixtures below, so every figure is known.

The world (fen; 1 yuan = 100 fen), "now" is 2026-03-05 in Shanghai:
- WY 物业 (repairs): E1 repair worker (team T1, post 5,000.00, base 5,000.00), E2 clerk, support staff
  (post 4,000.00, no declared base: the post salary is used); rules v1 from 2026-01: performance base
  2,000.00, piece rates minor 30.00 / major 80.00, pool 5% of income, late 20.00, early 30.00;
  contributions floor 4,000.00 cap 20,000.00, rates 8% / 2% / 0.5% / 12%.
- CY 餐饮 (dining): E3 cook (6,000.00), E4 office, support staff (4,500.00, declared base 3,000.00 ->
  floor 4,000.00, special deductions 2,000.00), E5 cook (6,000.00, no bank account); rules v1 from
  2026-01: performance base 1,000.00, no piece rates, pool 2%, late and early 10.00.
- January 2026 has 22 workdays. E1 was late on the 5th and 6th, left early on the 7th, was absent on
  the 8th; E4 was late on the 12th. Grades: E2 A, B (92.50); E4 B, B (85.00).
- E1's tickets: T-A minor confirmed 10 Jan, T-B major closed 20 Jan (paid); T-C completed but not
  confirmed (not paid); T-D confirmed at 01:00 on 1 Feb local time (17:00 UTC 31 Jan: February's);
  T-E confirmed 28 Dec 2025 (December's).
"""

from __future__ import annotations

import base64
import csv
import io
import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from houqin.clock import FixedClock, days, parse_iso, to_iso
from houqin.contract import parse
from houqin.domain.attendance import DayRecord, DayStatus
from houqin.domain.tickets import State, Ticket
from houqin.services import attendance
from houqin.services.payroll import Payroll, compute
from houqin.services.payroll.inputs import RulesInput, parse_rules
from houqin.store import payroll as store
from houqin.store import tickets as ticket_store
from houqin.store.staff import Department, Post, StaffMember
from tests.conftest import load_function_module
from tests.integration import sqs
from tests.integration.apigw import Context, User, call, event

NOW = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FINANCE_1, FINANCE_2 = User("F1", "finance"), User("F2", "finance")
LEADER_1, LEADER_2 = User("L1", "leader"), User("L2", "leader")
STAFF_1, STAFF_2 = User("E1", "staff"), User("E2", "staff")
MANAGER = User("M1", "manager")
ADMIN = User("A1", "admin")
ACCOUNT_1 = "6222 0212 3456 7890 1234"

CONTRIBUTIONS = {"base_floor_fen": 400_000, "base_cap_fen": 2_000_000, "pension_rate": "0.08",
                 "medical_rate": "0.02", "unemployment_rate": "0.005", "housing_fund_rate": "0.12"}
WY_RULES = {"effective_from": "2026-01", "performance_base_fen": 200_000,
            "piece_rates_fen": {"minor": 3_000, "major": 8_000}, "bonus_pool_share": "0.05",
            "late_deduction_fen": 2_000, "early_leave_deduction_fen": 3_000, "contributions": CONTRIBUTIONS}
CY_RULES = {"effective_from": "2026-01", "performance_base_fen": 100_000, "bonus_pool_share": 0.02,
            "late_deduction_fen": 1_000, "early_leave_deduction_fen": 1_000, "contributions": CONTRIBUTIONS}
ATTENDANCE = {("E1", "2026-01"): {"late": (5, 6), "early": (7,), "absent": (8,)},
              ("E4", "2026-01"): {"late": (12,)},
              ("E1", "2026-02"): {"late": (3,)}}
GRADES = {("E2", "2026-01"): ["A", "B"], ("E4", "2026-01"): ["B", "B"], ("E2", "2026-02"): ["A"]}


class WorkerContext(Context):
    function_name = "houqin-payroll-worker"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 900_000


class Invocations(list):
    """The Invoker port as a list: the worker's asynchronous invocations, kept for the tests to run."""

    def invoke_async(self, function_name, payload):
        assert function_name == WorkerContext.function_name
        self.append(dict(payload))


# ---------------------------------------------------------------- the world
def month_records(member, month, shift, until=None, *, reads=None):
    """Stands in for houqin.services.attendance.month_records: a record per day from ATTENDANCE."""
    spec = ATTENDANCE.get((member.staff_id, month), {})
    year, number = int(month[:4]), int(month[5:])
    first = date(year, number, 1)
    last = (date(year + number // 12, number % 12 + 1, 1)) - timedelta(days=1)
    out = []
    for day in days(first, until or last):
        late, early = day.day in spec.get("late", ()), day.day in spec.get("early", ())
        if not shift.is_workday(day):
            status = DayStatus.REST_DAY
        elif day.day in spec.get("absent", ()):
            status = DayStatus.ABSENT
        elif late and early:
            status = DayStatus.LATE_AND_EARLY
        else:
            status = DayStatus.LATE if late else DayStatus.EARLY_LEAVE if early else DayStatus.PRESENT
        out.append(DayRecord(day, status))
    return out


def month_grades(member, month, *, reads=None):
    return list(GRADES.get((member.staff_id, month), []))


def ticket(ticket_id: str, state: State, created: datetime, completed: datetime | None, severity: str) -> Ticket:
    return Ticket(ticket_id=ticket_id, channel="web", requester_id="S1", category="water", severity=severity,
                  description="漏水", campus_id="C1", created_at=to_iso(created), deadline=to_iso(created),
                  received_by="D1", owner="E1", state=state, team_id="T1", worker_id="E1",
                  completed_at=to_iso(completed) if completed else None)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def build_world() -> None:
    with Department.batch_write() as writer:
        writer.save(Department.make("WY", "物业管理中心"))
        writer.save(Department.make("CY", "餐饮服务中心"))
    with Post.batch_write() as writer:
        for post in (Post.make("P-REPAIR", "WY", "维修工", 500_000, duties="水电维修",
                               requirements={"education": "高中", "min_years": 2, "certificates": ["电工证"]}),
                     Post.make("P-CLERK", "WY", "文员", 400_000),
                     Post.make("P-COOK", "CY", "厨师", 600_000),
                     Post.make("P-OFFICE", "CY", "办公室", 450_000)):
            writer.save(post)
    people = [
        ("E1", "WY", "T1", dict(name="王强", post="维修工", post_id="P-REPAIR", bank_account=ACCOUNT_1,
                                social_insurance_base_fen=500_000, education="大专", years_of_service=6,
                                certificates=["电工证"])),
        ("E2", "WY", None, dict(name="李娜", post="文员", post_id="P-CLERK", support_staff=True, manager_id="M1",
                                bank_account="6222021234560002", education="本科", years_of_service=3)),
        ("E3", "CY", None, dict(name="张伟", post="厨师", post_id="P-COOK", bank_account="6222021234560003",
                                social_insurance_base_fen=600_000, education="高中", years_of_service=9,
                                certificates=["电工证", "厨师证"])),
        ("E4", "CY", None, dict(name="刘芳", post="办公室", post_id="P-OFFICE", support_staff=True,
                                bank_account="6222021234560004", social_insurance_base_fen=300_000,
                                special_deduction_fen=200_000, education="硕士", years_of_service=1,
                                certificates=["电工证"])),
        ("E5", "CY", None, dict(name="陈静", post="厨师", post_id="P-COOK", social_insurance_base_fen=600_000)),
    ]
    with StaffMember.batch_write() as writer:
        for staff_id, department_id, team_id, fields in people:
            writer.save(StaffMember.make(staff_id, department_id, team_id, gender="M", contract="regular",
                                         phone="13800000000", **fields))
    ticket_store.batch_put([(t, []) for t in (
        ticket("T-A", State.CONFIRMED, utc(2026, 1, 9, 2), utc(2026, 1, 10, 3), "minor"),
        ticket("T-B", State.CLOSED, utc(2025, 12, 30, 2), utc(2026, 1, 20, 3), "major"),
        ticket("T-C", State.COMPLETED, utc(2026, 1, 24, 2), utc(2026, 1, 25, 3), "minor"),
        ticket("T-D", State.CONFIRMED, utc(2026, 1, 30, 2), utc(2026, 1, 31, 17), "minor"),
        ticket("T-E", State.CONFIRMED, utc(2025, 12, 27, 2), utc(2025, 12, 28, 3), "major"),
    )])


@pytest.fixture
def api(aws, template, monkeypatch):
    build_world()
    monkeypatch.setattr(attendance, "month_records", month_records)
    monkeypatch.setattr(attendance, "month_grades", month_grades)
    module = load_function_module(template, "PayrollFunction")
    worker = load_function_module(template, "PayrollWorkerFunction")
    module.invocations = Invocations()  # the async invocations: the tests run the worker themselves
    module.service = worker.service = Payroll(clock=FixedClock(NOW), invoker=module.invocations,
                                              worker_function=WorkerContext.function_name)
    module.worker_module = worker
    for department_id, rules in (("WY", WY_RULES), ("CY", CY_RULES)):  # as POST /payroll/rules would
        parsed = parse_rules(department_id, parse(RulesInput, rules), 1)
        assert store.add_rules(parsed, "F1", to_iso(NOW))
    for department_id, income_fen in (("WY", 10_000_000), ("CY", 5_000_000)):
        assert store.save_income("2026-01", department_id, income_fen, None, "F1", to_iso(NOW), None)
    return module


def post(api, user, resource, body=None, **params):
    return call(api.app, "POST", resource, user=user, body=body, **params)


def get(api, user, resource, query=None, **params):
    return call(api.app, "GET", resource, user=user, query=query, **params)


def put_income(api, month, department_id, income_fen, user=FINANCE_1):
    reply = call(api.app, "PUT", "/payroll/income/{month}/{department_id}", user=user, body={"income_fen": income_fen},
                 month=month, department_id=department_id)
    return reply


def drain(api):
    """Run every invocation the API sent, in order, through the worker's handler (as Lambda would)."""
    results = []
    while api.invocations:
        results.append(api.worker_module.handler(api.invocations.pop(0), WorkerContext()))
    return results


def start(api, month="2026-01", departments=("WY", "CY"), user=FINANCE_1):
    return post(api, user, "/payroll/runs", {"month": month, "departments": list(departments)})


def act(api, user, run_id, action, **body):
    return post(api, user, "/payroll/runs/{run_id}/{action}", body or None, run_id=run_id, action=action)


def run(api, run_id, user=FINANCE_1):
    return get(api, user, "/payroll/runs/{run_id}", run_id=run_id).body


def computed(api, month="2026-01", departments=("WY", "CY")) -> str:
    reply = start(api, month, departments)
    assert reply.status == 202, reply.body
    drain(api)
    assert run(api, reply.body["run_id"])["state"] == "draft"
    return reply.body["run_id"]


def approved(api, month="2026-01", departments=("WY", "CY")) -> str:
    run_id = computed(api, month, departments)
    assert act(api, FINANCE_1, run_id, "submit").status == 200
    assert act(api, LEADER_1, run_id, "approve").status == 200
    return run_id


def payslip(api, run_id, staff_id, user=FINANCE_1):
    return get(api, user, "/payroll/runs/{run_id}/payslips/{staff_id}", run_id=run_id, staff_id=staff_id)


def lines(slip) -> dict[str, dict]:
    return {line["code"]: line for line in slip["lines"]}


def amounts(slip) -> dict[str, int]:
    return {line["code"]: line["amount_fen"] for line in slip["lines"]}


# ---------------------------------------------------------------- the whole run, by hand
def test_a_run_is_accepted_at_once_computed_by_the_worker_and_every_line_is_worked_out_by_hand(api):
    reply = start(api)
    assert reply.status == 202
    run_id = reply.body["run_id"]
    assert run_id.startswith("PR-2026-01-") and reply.body["state"] == "queued"
    assert reply.body["departments"] == ["CY", "WY"]  # sorted: the id does not depend on the order given
    assert api.invocations == [{"run_id": run_id, "generation": 1}]
    assert payslip(api, run_id, "E1").status == 409  # nothing computed yet

    [result] = drain(api)
    assert result["outcome"] == "draft" and result["staff"] == 5
    view = run(api, run_id)
    assert (view["state"], view["payslip_version"], view["progress"]) == (
        "draft", 1, {"staff_done": 5, "staff_total": 5})
    assert [e["action"] for e in view["history"]] == ["create", "start", "finish"]

    e1 = payslip(api, run_id, "E1").body
    assert amounts(e1)["post_salary"] == 500_000
    assert "performance" not in amounts(e1)  # not support staff: no daily grades, no performance line
    assert amounts(e1)["piece_rate"] == 11_000
    assert lines(e1)["piece_rate"]["inputs"] == {
        "paid": [{"ticket_id": "T-A", "ticket_class": "minor", "rate_fen": 3_000},
                 {"ticket_id": "T-B", "ticket_class": "major", "rate_fen": 8_000}], "skipped": []}
    # the pool: 5,000.00 split by points, E1 100, E2 92.50 -> 2,597.4025 and 2,402.5974: the left-over fen
    # goes to the larger fraction (E2)
    assert amounts(e1)["bonus_pool"] == 259_740
    assert lines(e1)["bonus_pool"]["inputs"] == {"income_fen": 10_000_000, "share": "0.05", "pool_fen": 500_000,
                                                 "points": "100", "total_points": "192.50", "unpaid_fen": 0}
    # late 2 x 20.00, early 1 x 30.00, absent 1 x (5,000.00 / 22 = 227.2727 -> 227.27)
    assert (amounts(e1)["late"], amounts(e1)["early_leave"], amounts(e1)["absent"]) == (-4_000, -3_000, -22_727)
    assert lines(e1)["absent"]["inputs"] == {"absent_days": 1, "post_salary_fen": 500_000, "workdays": 22,
                                             "per_day_fen": 22_727}
    # gross 5,000 + 110 + 2,597.40 - 40 - 30 - 227.27 = 7,410.13
    assert e1["gross_fen"] == 741_013
    # contributions on the base 5,000.00: 400.00, 100.00, 25.00, 600.00 = 1,125.00
    assert (amounts(e1)["pension"], amounts(e1)["medical"], amounts(e1)["unemployment"],
            amounts(e1)["housing_fund"]) == (-40_000, -10_000, -2_500, -60_000)
    assert e1["deductions_fen"] == 112_500
    # tax: 7,410.13 - 5,000 - 1,125 = 1,285.13 taxable x 3% = 38.5539 -> 38.55
    assert e1["tax_fen"] == 3_855 and amounts(e1)["income_tax"] == -3_855
    assert lines(e1)["income_tax"]["inputs"]["taxable_fen"] == 128_513
    assert e1["net_fen"] == 741_013 - 112_500 - 3_855 == 624_658
    assert sum(amounts(e1).values()) == e1["net_fen"]  # the lines add up to the net
    assert e1["bank_account"] == "****************1234" and e1["months_in_year"] == 1

    e2 = payslip(api, run_id, "E2").body
    # support staff: performance 2,000.00 x 92.50 / 100 = 1,850.00; pool 2,402.60; no attendance deductions
    assert amounts(e2) == {"post_salary": 400_000, "performance": 185_000, "bonus_pool": 240_260, "late": 0,
                           "early_leave": 0, "absent": 0, "pension": -32_000, "medical": -8_000,
                           "unemployment": -2_000, "housing_fund": -48_000, "income_tax": -7_058}
    assert lines(e2)["performance"]["inputs"]["grades"] == {"A": 1, "B": 1} and e2["score"] == "92.50"
    # gross 8,252.60; no declared base: the post salary 4,000.00; tax (8,252.60 - 5,000 - 900) x 3% = 70.578
    assert (e2["gross_fen"], e2["deductions_fen"], e2["tax_fen"], e2["net_fen"]) == (
        825_260, 90_000, 7_058, 728_202)

    # CY: pool 2% of 50,000.00 = 1,000.00; points E3 100, E4 85, E5 100 = 285 -> 350.877.., 298.245.., 350.877..:
    # the two fen left go to E3 and E5 (equal fractions: smaller id first; both larger than E4's)
    e4 = payslip(api, run_id, "E4").body
    assert amounts(e4)["bonus_pool"] == 29_824 and amounts(e4)["performance"] == 85_000
    assert amounts(e4)["late"] == -1_000
    # base 3,000.00 clamped to the floor 4,000.00; special deductions 2,000.00 leave nothing taxable
    assert amounts(e4)["pension"] == -32_000 and e4["tax_fen"] == 0
    assert lines(e4)["income_tax"]["inputs"]["cumulative_additional_fen"] == 200_000
    assert (e4["gross_fen"], e4["net_fen"]) == (563_824, 473_824)
    e3 = payslip(api, run_id, "E3").body
    # 6,350.88 gross; tax (6,350.88 - 5,000 - 1,350) x 3% = 0.0264 -> 0.03
    assert (amounts(e3)["bonus_pool"], e3["gross_fen"], e3["tax_fen"], e3["net_fen"]) == (
        35_088, 635_088, 3, 500_085)

    totals = view["totals"]
    assert totals["departments"]["WY"] == {
        "staff": 2, "skipped": 0, "gross_fen": 741_013 + 825_260, "deductions_fen": 202_500, "tax_fen": 10_913,
        "net_fen": 624_658 + 728_202, "income_fen": 10_000_000, "rules_version": 1, "bonus_pool_fen": 500_000,
        "bonus_unpaid_fen": 0}
    assert totals["departments"]["CY"]["gross_fen"] == 635_088 * 2 + 563_824
    assert totals["departments"]["CY"]["bonus_pool_fen"] == 100_000
    assert totals["all"]["staff"] == 5 and totals["all"]["gross_fen"] == 741_013 + 825_260 + 1_834_000
    assert {"staff_id": "E5", "department_id": "CY", "warning": "no bank account"} in view["warnings"]

    # approval: finance submits, a leader approves; the run is locked
    assert act(api, FINANCE_1, run_id, "submit").body["state"] == "submitted"
    approval = act(api, LEADER_1, run_id, "approve")
    assert approval.status == 200 and approval.body["state"] == "approved" and approval.body["locked"]
    assert approval.body["decided_by"] == "L1"
    assert sorted(lock.department_id for lock in store.locks_of_year("2026")) == ["CY", "WY"]
    assert act(api, FINANCE_1, run_id, "recompute").status == 409
    assert get(api, STAFF_1, "/payroll/runs/{run_id}/payslips/{staff_id}", run_id=run_id,
               staff_id="E1").body["net_fen"] == 624_658


def test_awards_and_the_local_month_of_a_ticket(api):
    reply = post(api, FINANCE_1, "/payroll/bonuses", {"staff_id": "E1", "month": "2026-01", "kind": "suggestion",
                                                        "amount_fen": 50_000, "note": "节水建议"})
    assert reply.status == 201 and reply.body["label_zh"] == "建议奖" and reply.body["department_id"] == "WY"
    run_id = computed(api)
    e1 = payslip(api, run_id, "E1").body
    assert lines(e1)["award_suggestion"]["amount_fen"] == 50_000
    assert lines(e1)["award_suggestion"]["inputs"] == {"kind": "suggestion", "note": "节水建议"}
    assert e1["gross_fen"] == 741_013 + 50_000
    # T-D was confirmed at 01:00 on 1 February in Shanghai: February's, even though it was 31 January in UTC
    assert [p["ticket_id"] for p in lines(e1)["piece_rate"]["inputs"]["paid"]] == ["T-A", "T-B"]
    listed = get(api, LEADER_1, "/payroll/bonuses", {"month": "2026-01", "staff_id": "E1"})
    assert [b["amount_fen"] for b in listed.body["items"]] == [50_000]


# ---------------------------------------------------------------- idempotent trigger
def test_the_same_trigger_twice_makes_one_run_whoever_sends_it_and_in_any_order(api):
    first = start(api, departments=("WY", "CY"), user=FINANCE_1)
    again = start(api, departments=("CY", "WY"), user=FINANCE_2)
    assert (first.status, again.status) == (202, 200)
    assert first.body["run_id"] == again.body["run_id"]
    # still queued: the repeat sends the worker its event again; the second invocation finds nothing to do
    assert len(api.invocations) == 2
    outcomes = [r["outcome"] for r in drain(api)]
    assert outcomes == ["draft", "skipped"]
    assert start(api, departments=("WY", "CY"), user=FINANCE_2).status == 200
    assert api.invocations == []  # a computed run is not sent again
    listed = get(api, LEADER_2, "/payroll/runs", {"month": "2026-01"}).body["items"]
    assert [r["run_id"] for r in listed] == [first.body["run_id"]]
    other = start(api, departments=("WY",))
    assert other.status == 202 and other.body["run_id"] != first.body["run_id"]


# ---------------------------------------------------------------- permissions
def test_each_person_sees_only_their_own_payslips_and_only_once_approved(api):
    run_id = computed(api)
    assert payslip(api, run_id, "E1", user=STAFF_1).status == 404  # a draft is not shown to the person
    assert get(api, STAFF_1, "/staff/{staff_id}/payslips", staff_id="E1").body["items"] == []
    assert act(api, FINANCE_1, run_id, "submit").status == 200
    assert act(api, LEADER_1, run_id, "approve").status == 200
    assert payslip(api, run_id, "E1", user=STAFF_1).status == 200
    assert payslip(api, run_id, "E2", user=STAFF_2).body["net_fen"] == 728_202
    assert payslip(api, run_id, "E2", user=STAFF_1).status == 404  # another person's: as if it did not exist
    assert payslip(api, run_id, "E1", user=STAFF_2).status == 404
    assert get(api, STAFF_1, "/staff/{staff_id}/payslips", staff_id="E2").status == 404
    mine = get(api, STAFF_1, "/staff/{staff_id}/payslips", staff_id="E1").body["items"]
    assert [(p["month"], p["net_fen"]) for p in mine] == [("2026-01", 624_658)]
    assert get(api, LEADER_2, "/staff/{staff_id}/payslips", staff_id="E2").body["items"][0]["net_fen"] == 728_202
    for resource in ("/payroll/runs/{run_id}", "/payroll/runs/{run_id}/report",
                     "/payroll/runs/{run_id}/bank-transfers"):
        assert get(api, STAFF_1, resource, run_id=run_id).status == 403
    assert get(api, STAFF_1, "/payroll/runs").status == 403


def test_finance_prepares_leaders_decide_and_two_leaders_cannot_both_approve(api):
    assert start(api, user=LEADER_1).status == 403  # a leader does not create runs
    assert start(api, user=STAFF_1).status == 403
    assert api.invocations == [] and get(api, ADMIN, "/payroll/runs").body["items"] == []
    run_id = computed(api)
    assert act(api, LEADER_1, run_id, "submit").status == 403
    assert act(api, FINANCE_2, run_id, "submit").status == 200  # any finance user
    assert act(api, FINANCE_1, run_id, "approve").status == 403  # finance does not approve its own work
    assert act(api, STAFF_1, run_id, "approve").status == 403
    assert act(api, LEADER_2, run_id, "reject").status == 400  # a rejection needs its reason
    assert act(api, LEADER_1, run_id, "approve").status == 200
    late = act(api, LEADER_2, run_id, "approve")
    assert late.status == 409 and late.body["error"]["code"] == "run_locked"
    assert act(api, LEADER_2, run_id, "reject", reason="太晚了").status == 409
    assert act(api, FINANCE_1, run_id, "cancel").status == 404


# ---------------------------------------------------------------- four eyes
BOTH_1, BOTH_2 = User("L7", "finance,leader"), User("L8", "finance,leader")  # one person, two roles


def refused_for_four_eyes(reply, *words: str) -> bool:
    error = reply.body["error"]
    return reply.status == 409 and error["code"] == "four_eyes" and all(w in error["message"] for w in words)


def test_one_person_holding_finance_and_leader_cannot_approve_what_they_submitted(api):
    run_id = computed(api)
    assert act(api, BOTH_1, run_id, "submit").status == 200
    assert refused_for_four_eyes(act(api, BOTH_1, run_id, "approve"), "you submitted this run")
    assert run(api, run_id)["state"] == "submitted"  # nothing written
    assert act(api, BOTH_2, run_id, "approve").status == 200  # the same two roles, another person


def test_whoever_entered_an_income_figure_or_a_named_bonus_the_run_pays_cannot_approve_it(api):
    assert put_income(api, "2026-01", "CY", 6_000_000, user=BOTH_1).status == 200
    bonus = post(api, BOTH_2, "/payroll/bonuses", {"staff_id": "E1", "month": "2026-01", "kind": "saving",
                                                   "amount_fen": 10_000})
    assert bonus.status == 201
    run_id = computed(api)
    assert act(api, FINANCE_1, run_id, "submit").status == 200
    assert refused_for_four_eyes(act(api, BOTH_1, run_id, "approve"), "the income of CY for 2026-01")
    assert refused_for_four_eyes(act(api, BOTH_2, run_id, "approve"), f"named bonus {bonus.body['bonus_id']}")
    assert act(api, LEADER_1, run_id, "approve").status == 200


def test_figures_of_another_department_or_month_do_not_bar_an_approver(api):
    assert put_income(api, "2026-01", "CY", 6_000_000, user=BOTH_1).status == 200  # CY is not in this run
    run_id = computed(api, departments=("WY",))
    assert act(api, FINANCE_1, run_id, "submit").status == 200
    assert act(api, BOTH_1, run_id, "approve").status == 200


def test_nobody_enters_a_named_bonus_for_themselves(api):
    own = post(api, User("E1", "finance"), "/payroll/bonuses", {"staff_id": "E1", "month": "2026-01",
                                                               "kind": "saving", "amount_fen": 10_000})
    assert refused_for_four_eyes(own, "for themselves") and own.body["error"]["field"] == "staff_id"
    assert get(api, LEADER_1, "/payroll/bonuses", {"month": "2026-01"}).body["items"] == []
    for finance in (FINANCE_1, FINANCE_2):  # two users of the role: each may enter one for someone else
        assert post(api, finance, "/payroll/bonuses", {"staff_id": "E1", "month": "2026-01", "kind": "saving",
                                                       "amount_fen": 10_000}).status == 201


def test_an_approval_racing_another_for_the_same_month_and_department_loses_with_409(api):
    wide, narrow = computed(api), computed(api, departments=("WY",))
    for run_id in (wide, narrow):
        assert act(api, FINANCE_1, run_id, "submit").status == 200
    assert act(api, LEADER_1, narrow, "approve").status == 200
    refused = act(api, LEADER_2, wide, "approve")
    assert refused.status == 409 and refused.body["error"]["code"] == "month_locked"
    assert "WY" in refused.body["error"]["message"]
    assert run(api, wide)["state"] == "submitted"  # nothing half-written: no CY lock either
    assert [lock.department_id for lock in store.locks_of_year("2026")] == ["WY"]


def test_a_person_sees_their_profile_their_manager_too_bank_accounts_always_masked(api):
    mine = get(api, STAFF_1, "/staff/{staff_id}", staff_id="E1")
    assert mine.status == 200 and mine.body["bank_account"] == "****************1234"
    assert get(api, STAFF_1, "/staff/{staff_id}", staff_id="E2").status == 404
    assert get(api, MANAGER, "/staff/{staff_id}", staff_id="E2").status == 200  # E2's manager
    assert get(api, MANAGER, "/staff/{staff_id}", staff_id="E1").status == 404
    assert get(api, FINANCE_2, "/staff/{staff_id}", staff_id="E1").body["post_id"] == "P-REPAIR"
    assert get(api, FINANCE_1, "/staff/{staff_id}", staff_id="E9").status == 404


def test_the_departments_are_listed_for_anyone_on_the_staff_without_figures(api):
    expected = [{"department_id": "CY", "name": "餐饮服务中心"}, {"department_id": "WY", "name": "物业管理中心"}]
    for user in (STAFF_1, MANAGER, FINANCE_1, ADMIN, User("W1", "worker")):
        assert get(api, user, "/departments").body == {"items": expected}, user
    for user in (User("S1", "student"), User("P1", "parent"), User("FP-01", "device")):
        assert get(api, user, "/departments").status == 403, user


# ---------------------------------------------------------------- bad input
BAD_INPUT = [
    ("/payroll/bonuses", {}, {"staff_id": "E9", "month": "2026-01", "kind": "saving", "amount_fen": 100}, "staff_id"),
    ("/payroll/bonuses", {}, {"staff_id": "E1", "month": "2026-04", "kind": "saving", "amount_fen": 100}, "month"),
    ("/payroll/bonuses", {}, {"staff_id": "E1", "month": "2026-01", "kind": "lottery", "amount_fen": 100}, "kind"),
    ("/payroll/bonuses", {}, {"staff_id": "E1", "month": "2026-01", "kind": "saving", "amount_fen": -5}, "amount_fen"),
    ("/payroll/runs", {}, {"month": "2026-04", "departments": ["WY"]}, "month"),
    ("/payroll/runs", {}, {"month": "2026-1", "departments": ["WY"]}, "month"),
    ("/payroll/runs", {}, {"month": "2026-01", "departments": ["WY", "XX"]}, "departments"),
    ("/payroll/runs", {}, {"month": "2026-01", "departments": []}, "departments"),
    ("/payroll/runs", {}, {"month": "2025-12", "departments": ["WY"]}, "departments"),  # no rules in force
    ("/payroll/runs", {}, {"month": "2026-02", "departments": ["WY"]}, "departments"),  # no income yet
    ("/payroll/rules/{department_id}", {"department_id": "WY"},
     {**WY_RULES, "contributions": {**CONTRIBUTIONS, "housing_fund_rate": "0.9"}}, "contributions"),
    ("/payroll/rules/{department_id}", {"department_id": "WY"},
     {**WY_RULES, "grade_scores": {"A": 100, "B": 85, "C": 90, "D": 50}}, "grade_scores"),
    ("/payroll/rules/{department_id}", {"department_id": "WY"}, {**WY_RULES, "bonus_pool_share": "1.5"},
     "bonus_pool_share"),
    ("/payroll/rules/{department_id}", {"department_id": "WY"}, {**WY_RULES, "effective_from": "2026-13"},
     "effective_from"),
    ("/payroll/rules/{department_id}", {"department_id": "WY"},
     {**WY_RULES, "piece_rates_fen": {"huge": 1}}, "piece_rates_fen.huge"),
    ("/payroll/rules/{department_id}", {"department_id": "WY"},
     {**WY_RULES, "contributions": {"base_floor_fen": 400_000}}, "contributions.base_cap_fen"),
    ("/payroll/rules/{department_id}", {"department_id": "WY"}, {**WY_RULES, "bonus_pool_share": "lots"},
     "bonus_pool_share"),
]


def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(api):
    for resource, params, body, field in BAD_INPUT:
        reply = post(api, FINANCE_1, resource, body, **params)
        assert (reply.status, reply.body["error"]["field"]) == (400, field), (body, reply.body)
        assert store.bonuses("2026-01", limit=10, cursor=None).items == []
        assert get(api, FINANCE_1, "/payroll/runs").body["items"] == []
        assert [v.version for v in store.rule_versions("WY")] == [1]
        assert api.invocations == []


UNDECLARED = [  # (method, resource, path values, query, body, the field named): each from finance
    ("POST", "/payroll/bonuses", {}, None, {"staff_id": "E1", "month": "2026-01", "kind": "saving",
                                            "amount_fen": 100, "bonus_id": "B1"}, "bonus_id"),
    ("PUT", "/payroll/income/{month}/{department_id}", {"month": "2026-02", "department_id": "WY"}, None,
     {"income_fen": 100, "department_id": "CY"}, "department_id"),
    ("POST", "/payroll/rules/{department_id}", {"department_id": "WY"}, None,
     {**WY_RULES, "contributions": {**CONTRIBUTIONS, "employer_rate": "0.2"}}, "contributions.employer_rate"),
    ("POST", "/payroll/rules/{department_id}", {"department_id": "WY"}, None, {**WY_RULES, "version": 7}, "version"),
    ("POST", "/payroll/rules/{department_id}", {"department_id": "WY"}, None,
     {**WY_RULES, "piece_rates_fen": {"minor": 30.5}}, "piece_rates_fen.minor"),  # money is whole fen
    ("POST", "/payroll/rules/{department_id}", {"department_id": "WY"}, None,
     {**WY_RULES, "grade_scores": {"A": 100, "B": 85, "C": 70, "E": 50}}, "grade_scores.E"),
    ("POST", "/payroll/runs", {}, None, {"month": "2026-01", "departments": ["WY"], "state": "approved"}, "state"),
    ("POST", "/payroll/runs", {}, {"force": "true"}, {"month": "2026-01", "departments": ["WY"]}, "force"),
    ("GET", "/departments", {}, {"limit": "5"}, None, "limit"),
    ("GET", "/payroll/bonuses", {}, None, None, "month"),  # a query value the route requires
    ("GET", "/payroll/bonuses", {}, {"month": "2026-01", "kind": "saving"}, None, "kind"),
    ("GET", "/posts/{post_id}/candidates", {"post_id": "P-REPAIR"}, {"cursor": "x"}, None, "cursor"),
    ("GET", "/payroll/runs", {}, {"month": "2026-1"}, None, "month"),
    ("GET", "/payroll/income/{month}", {"month": "2026-01"}, None, {"income_fen": 1}, "body"),  # takes no body
]


def test_a_value_a_route_does_not_declare_is_400_naming_it_and_writes_nothing(api):
    for method, resource, path, query, body, field in UNDECLARED:
        reply = call(api.app, method, resource, user=FINANCE_1, query=query, body=body, **path)
        assert (reply.status, reply.body["error"]["field"]) == (400, field), (resource, query, body, reply.body)
    assert store.bonuses("2026-01", limit=10, cursor=None).items == [] and api.invocations == []
    assert [v.version for v in store.rule_versions("WY")] == [1] and store.income("2026-02", "WY") is None


def test_a_rate_or_a_score_is_read_exactly_from_a_json_number_or_its_text(api):
    rules = {**WY_RULES, "effective_from": "2026-02", "bonus_pool_share": 0.05,
             "contributions": {**CONTRIBUTIONS, "pension_rate": 0.08, "medical_rate": "0.02"},
             "grade_scores": {"A": 100, "B": "92.5", "C": 70.25, "D": 50}}
    reply = post(api, FINANCE_1, "/payroll/rules/{department_id}", rules, department_id="WY")
    assert reply.status == 201, reply.body
    assert (reply.body["bonus_pool_share"], reply.body["contributions"]["pension_rate"],
            reply.body["contributions"]["medical_rate"], reply.body["grade_scores"]) == (
        "0.05", "0.08", "0.02", {"A": "100", "B": "92.5", "C": "70.25", "D": "50"})
    defaults = {**WY_RULES, "effective_from": "2026-03", "contributions": {"base_floor_fen": 1, "base_cap_fen": 2}}
    given = post(api, FINANCE_1, "/payroll/rules/{department_id}", defaults, department_id="WY").body
    assert given["contributions"] | {"base_floor_fen": 0, "base_cap_fen": 0} == {
        "base_floor_fen": 0, "base_cap_fen": 0, "pension_rate": "0.08", "medical_rate": "0.02",
        "unemployment_rate": "0.005", "housing_fund_rate": "0.12"}  # the rates left out: the usual ones
    assert given["grade_scores"] == {"A": "100", "B": "85", "C": "70", "D": "50"}


def test_a_caller_without_a_role_the_route_names_is_403_whatever_they_send(api):
    student, device = User("S1", "student"), User("FP-01", "device")
    refused = [
        (STAFF_1, "GET", "/payroll/runs", {}, None),
        (MANAGER, "GET", "/payroll/income/{month}", {"month": "2026-01"}, None),
        (LEADER_1, "POST", "/payroll/bonuses", {}, {"staff_id": "E1"}),  # a leader decides, finance enters
        (ADMIN, "POST", "/payroll/runs", {}, {"month": "2026-01", "departments": ["WY"]}),
        (ADMIN, "POST", "/payroll/runs/{run_id}/{action}", {"run_id": "PR-2026-01-0000000000", "action": "submit"},
         None),  # an admin reads runs but neither prepares nor decides them
        (MANAGER, "POST", "/payroll/rules/{department_id}", {"department_id": "WY"}, {"nonsense": 1}),
        (student, "GET", "/staff/{staff_id}", {"staff_id": "E1"}, None),
        (device, "GET", "/staff/{staff_id}/payslips", {"staff_id": "E1"}, None),
        (student, "GET", "/payroll/runs/{run_id}/payslips/{staff_id}", {"run_id": "PR-2026-01-0000000000",
                                                                        "staff_id": "S1"}, None),
    ]
    for user, method, resource, path, body in refused:
        reply = call(api.app, method, resource, user=user, body=body, **path)
        assert reply.status == 403, (user, resource, reply.body)


def test_the_report_declares_the_files_it_answers_besides_json(api):
    declared = {(d.method, d.path): d for d in api.app.declared}
    assert declared[("GET", "/payroll/runs/{run_id}/report")].files == ("text/csv", XLSX)
    assert all(d.view.__doc__ for d in api.app.declared)  # each route's summary
    assert not [d.path for d in api.app.declared if d.roles is None]  # nothing here is public


def test_income_below_zero_or_in_the_future_is_400_and_unknown_departments_404(api):
    below = put_income(api, "2026-02", "WY", -1)
    assert below.status == 400 and below.body["error"]["field"] == "income_fen"
    future = put_income(api, "2026-04", "WY", 100)
    assert future.status == 400 and future.body["error"]["field"] == "month"
    assert put_income(api, "2026-02", "XX", 100).status == 404
    assert put_income(api, "2026-02", "WY", 100, user=LEADER_1).status == 403
    listed = get(api, LEADER_1, "/payroll/income/{month}", month="2026-02").body["items"]
    assert {(i["department_id"], i["income_fen"]) for i in listed} == {("WY", None), ("CY", None)}
    assert put_income(api, "2026-02", "WY", 800_000).body["version"] == 1
    assert put_income(api, "2026-02", "WY", 8_000_000).body["version"] == 2  # a correction
    january = get(api, FINANCE_1, "/payroll/income/{month}", month="2026-01").body["items"]
    assert {(i["department_id"], i["income_fen"]) for i in january} == {("WY", 10_000_000), ("CY", 5_000_000)}


def test_an_approved_month_is_locked_for_new_runs_income_bonuses_and_rules(api):
    run_id = approved(api, departments=("WY",))
    again = start(api, departments=("WY", "CY"))
    assert again.status == 409 and again.body["error"]["field"] == "departments"
    assert "WY" in again.body["error"]["message"]
    assert put_income(api, "2026-01", "WY", 1).status == 409
    bonus = post(api, FINANCE_1, "/payroll/bonuses", {"staff_id": "E2", "month": "2026-01", "kind": "post",
                                                        "amount_fen": 100})
    assert bonus.status == 409 and bonus.body["error"]["code"] == "month_locked"
    rules = post(api, FINANCE_1, "/payroll/rules/{department_id}", {**WY_RULES, "late_deduction_fen": 9},
                 department_id="WY")
    assert rules.status == 409 and rules.body["error"]["field"] == "effective_from"
    for action in ("recompute", "submit", "reject"):
        assert act(api, FINANCE_1 if action != "reject" else LEADER_1, run_id, action, reason="x").status == 409
    # CY's January is not locked: its own run goes ahead
    assert start(api, departments=("CY",)).status == 202
    assert put_income(api, "2026-01", "CY", 5_000_001).status == 200


# ---------------------------------------------------------------- recompute and failure
def test_a_rejected_run_is_recomputed_under_a_new_generation_and_the_old_payslips_go(api):
    run_id = computed(api)
    assert act(api, FINANCE_1, run_id, "submit").status == 200
    rejected = act(api, LEADER_1, run_id, "reject", reason="物业收入有误")
    assert rejected.body["state"] == "rejected" and rejected.body["reason"] == "物业收入有误"
    assert put_income(api, "2026-01", "WY", 12_000_000).status == 200
    again = act(api, FINANCE_1, run_id, "recompute")
    assert again.status == 202 and again.body["state"] == "queued" and again.body["generation"] == 2
    assert again.body["payslip_version"] == 1  # readers still on generation 1 ...
    assert payslip(api, run_id, "E1").status == 409  # ... but a queued run shows none
    assert again.body["totals"] == {} and again.body["previous_totals"]["all"]["staff"] == 5  # nor their totals
    assert api.invocations == [{"run_id": run_id, "generation": 2}]
    drain(api)
    view = run(api, run_id)
    assert (view["state"], view["payslip_version"], view["reason"]) == ("draft", 2, None)
    assert view["previous_totals"] == {} and view["totals"]["all"]["staff"] == 5
    # pool 5% of 120,000.00 = 6,000.00; E1's 100 of 192.50 points = 3,116.883.. -> 3,116.88
    assert amounts(payslip(api, run_id, "E1").body)["bonus_pool"] == 311_688
    assert list(store.payslips(run_id, 1, "WY")) == []  # the old generation is gone
    assert [p.staff_id for p in store.payslips(run_id, 2, "WY")] == ["E1", "E2"]
    assert [e["action"] for e in view["history"]] == ["create", "start", "finish", "submit", "reject", "recompute",
                                                      "start", "finish"]


def test_a_worker_error_fails_the_run_with_its_reason_the_failure_record_changes_nothing_and_recompute_works(
        api, monkeypatch):
    real, calls = compute.compute_payslip, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(compute, "compute_payslip", flaky)
    run_id = start(api).body["run_id"]
    [result] = drain(api)  # the handler does not raise: the run records the error
    assert result["outcome"] == "failed"
    view = run(api, run_id)
    assert view["state"] == "failed" and view["failure_reason"] == "RuntimeError: disk on fire"
    assert view["payslip_version"] == 0 and payslip(api, run_id, "E1").status == 409

    record = failure_record(run_id, 1, "RuntimeError: disk on fire")
    reply = api.worker_module.handler(sqs.batch(record), WorkerContext())
    assert reply == {"batchItemFailures": []}
    assert run(api, run_id)["failure_reason"] == "RuntimeError: disk on fire"  # unchanged, no second event
    assert [e["action"] for e in run(api, run_id)["history"]] == ["create", "start", "fail"]

    assert act(api, FINANCE_1, run_id, "recompute").status == 202
    drain(api)
    view = run(api, run_id)
    assert (view["state"], view["generation"], view["payslip_version"], view["failure_reason"]) == (
        "draft", 2, 2, None)
    assert payslip(api, run_id, "E1").body["net_fen"] == 624_658


def failure_record(run_id: str, generation: int, message: str, condition: str = "RetriesExhausted") -> dict:
    body = {"version": "1.0", "timestamp": to_iso(NOW),
            "requestContext": {"requestId": "r-1", "condition": condition, "approximateInvokeCount": 2,
                               "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:worker:$LATEST"},
            "requestPayload": {"run_id": run_id, "generation": generation},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": message, "errorType": "Error"}}
    return sqs.record(body, NOW)


def test_a_worker_that_timed_out_is_marked_failed_by_its_failure_record_or_taken_over_by_the_retry(api, monkeypatch):
    clock = api.service.clock
    watched = []
    monkeypatch.setattr(api.service, "pause", lambda seconds: watched.append(clock.advance(seconds=seconds)))
    run_id = start(api).body["run_id"]
    api.invocations.pop()
    # the first attempt claims the run, then dies (a timeout), and so does Lambda's retry
    claimed = api.service.claim(store.get_run(run_id), 1)
    assert claimed is not None and run(api, run_id)["state"] == "computing"
    # ... both attempts gone: the on-failure record marks the run failed, once
    record = failure_record(run_id, 1, "Task timed out after 900.00 seconds")
    assert api.worker_module.handler(sqs.batch(record, record), WorkerContext()) == {"batchItemFailures": []}
    view = run(api, run_id)
    assert view["state"] == "failed"
    assert view["failure_reason"] == "the worker failed (RetriesExhausted): Task timed out after 900.00 seconds"
    assert [e["action"] for e in view["history"]] == ["create", "start", "fail"]

    # recomputed; the attempt dies again, and Lambda's retry comes a minute later: too soon to take over,
    # it watches the run (every 15 s of the clock) and takes over once the heartbeat is 3 minutes old
    assert act(api, FINANCE_1, run_id, "recompute").status == 202
    invocation = api.invocations.pop()
    api.service.claim(store.get_run(run_id), 2)
    clock.advance(minutes=1)
    assert api.worker_module.handler(invocation, WorkerContext())["outcome"] == "draft"
    assert len(watched) == 9  # 2 minutes and 15 s of watching: the heartbeat is then more than 3 minutes old
    view = run(api, run_id)
    assert view["state"] == "draft" and "took over from attempt" in view["history"][-2]["reason"]
    # a duplicate delivery of the event finds the run computed: skipped, without watching
    assert api.worker_module.handler(invocation, WorkerContext())["outcome"] == "skipped" and len(watched) == 9
    # a failure record of an older generation changes nothing
    api.worker_module.handler(sqs.batch(failure_record(run_id, 1, "late news")), WorkerContext())
    assert run(api, run_id)["state"] == "draft"


def test_a_retry_out_of_time_while_another_attempt_computes_fails_to_reach_the_failure_path(api, monkeypatch):
    clock = api.service.clock
    monkeypatch.setattr(api.service, "pause", lambda seconds: clock.advance(seconds=seconds))
    run_id = start(api).body["run_id"]
    invocation = api.invocations.pop()
    api.service.claim(store.get_run(run_id), 1)

    class Ending(WorkerContext):
        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return 30_000

    with pytest.raises(compute.OutOfTime):  # Lambda counts it failed: the on-failure record follows
        api.worker_module.handler(invocation, Ending())
    assert run(api, run_id)["state"] == "computing"


def test_a_long_read_phase_keeps_the_heartbeat_fresh_and_fails_cleanly_when_out_of_time(api, monkeypatch):
    clock = api.service.clock
    real_facts, real_write = compute.Computation.facts, store.write_payslips
    beats, writes = [], []

    def slow_facts(self, member, *args):  # each person's reads take a minute of the clock
        clock.advance(minutes=1)
        return real_facts(self, member, *args)

    def report_progress(run_id, attempt, done, total, at):
        beats.append((parse_iso(at), done, len(writes)))
        return store_progress(run_id, attempt, done, total, at)

    store_progress = store.report_progress
    monkeypatch.setattr(compute, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(compute, "_readers", ThreadPoolExecutor(max_workers=1))  # one person at a time
    monkeypatch.setattr(compute.Computation, "facts", slow_facts)
    monkeypatch.setattr(store, "report_progress", report_progress)
    monkeypatch.setattr(store, "write_payslips", lambda batch: writes.append(len(batch)) or real_write(batch))
    run_id = computed(api)
    # CY's three people are read before its first payslip is written; a heartbeat before each read keeps
    # the longest silence at one person's reads (without it, three minutes: a retry would take over)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(beats)]
    assert max(gaps) == timedelta(minutes=1) and sum(writes) == 5
    assert run(api, run_id)["state"] == "draft"

    # recomputed out of time, before the first reads: the run fails with the reason at once, nothing is written
    writes.clear()
    assert act(api, FINANCE_1, run_id, "recompute").status == 202

    class Ending(WorkerContext):
        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return compute.MIN_TIME_LEFT_MS - 1

    result = api.worker_module.handler(api.invocations.pop(), Ending())
    assert result["outcome"] == "failed" and "ran out of time after 0 of 5 staff" in result["reason"]
    assert writes == [] and run(api, run_id)["state"] == "failed"


def test_a_person_paid_by_another_approved_run_this_month_is_not_paid_twice(api):
    approved(api, departments=("WY",))
    moved = StaffMember.get("STAFF#E2", "PROFILE")
    moved.move_to("CY", date(2026, 2, 10))  # E2 moved to dining after WY's January was paid
    moved.save()
    run_id = computed(api, departments=("CY",))
    view = run(api, run_id)
    assert view["totals"]["departments"]["CY"]["staff"] == 3 and view["totals"]["departments"]["CY"]["skipped"] == 1
    assert any(w["staff_id"] == "E2" and "already paid" in w["warning"] for w in view["warnings"])
    assert payslip(api, run_id, "E2").status == 404


# ---------------------------------------------------------------- reports and the bank transfer list
def raw(api, user, resource, query=None, headers=None, **params):
    return api.app(event("GET", resource, user=user, query=query, headers=headers, **params), Context())


def test_the_payroll_report_by_department_as_json_csv_and_xlsx(api):
    run_id = computed(api)
    report = get(api, LEADER_1, "/payroll/runs/{run_id}/report", {"department_id": "WY"}, run_id=run_id).body
    assert [(r["staff_id"], r["gross_fen"], r["net_fen"]) for r in report["items"]] == [
        ("E1", 741_013, 624_658), ("E2", 825_260, 728_202)]
    e1 = report["items"][0]
    assert (e1["post_salary_fen"], e1["piece_rate_fen"], e1["bonus_pool_fen"], e1["attendance_fen"]) == (
        500_000, 11_000, 259_740, -29_727)
    assert report["departments"]["WY"]["net_fen"] == 624_658 + 728_202 and list(report["departments"]) == ["WY"]
    bad = get(api, LEADER_1, "/payroll/runs/{run_id}/report", {"department_id": "XX"}, run_id=run_id)
    assert bad.status == 400 and bad.body["error"]["field"] == "department_id"

    response = raw(api, FINANCE_1, "/payroll/runs/{run_id}/report", {"format": "csv"}, run_id=run_id)
    assert response["statusCode"] == 200 and response["headers"]["Content-Type"].startswith("text/csv")
    assert response["headers"]["Content-Disposition"].startswith(f'attachment; filename="payroll_{run_id}_all.csv"')
    rows = list(csv.DictReader(io.StringIO(response["body"].encode("utf-8").decode("utf-8-sig"))))
    assert [(r["部门 Department"], r["工号 Staff id"], r["姓名 Name"], r["实发(分) Net (fen)"]) for r in rows] == [
        ("CY", "E3", "张伟", "500085"), ("CY", "E4", "刘芳", "473824"), ("CY", "E5", "陈静", "500085"),
        ("CY", "", "小计 Subtotal", str(500_085 * 2 + 473_824)),
        ("WY", "E1", "王强", "624658"), ("WY", "E2", "李娜", "728202"),
        ("WY", "", "小计 Subtotal", str(624_658 + 728_202)),
        ("", "", "合计 Total", str(500_085 * 2 + 473_824 + 624_658 + 728_202))]

    assert raw(api, FINANCE_1, "/payroll/runs/{run_id}/report", {"format": "xlsx"}, run_id=run_id)[
        "statusCode"] == 400  # a workbook needs Accept naming it
    response = raw(api, FINANCE_1, "/payroll/runs/{run_id}/report", {"format": "xlsx", "department_id": "WY"},
                   {"Accept": XLSX}, run_id=run_id)
    assert response["statusCode"] == 200 and response["isBase64Encoded"] is True
    sheet = load_workbook(io.BytesIO(base64.b64decode(response["body"]))).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:5] == ["部门 Department", "工号 Staff id", "姓名 Name", "岗位 Post", "考核分 Score"]
    header = values[0]
    assert values[1][:4] == ["WY", "E1", "王强", "维修工"]
    assert values[1][header.index("应发(分) Gross (fen)")] == 741_013  # a number Excel can sum
    assert values[2][4] == "92.50" and values[2][header.index("绩效工资(分) Performance (fen)")] == 185_000
    assert values[3][2] == "小计 Subtotal" and values[3][header.index("实发(分) Net (fen)")] == 624_658 + 728_202
    assert len(values) == 4


def test_the_bank_transfer_list_is_for_an_approved_run_only_with_masked_accounts(api):
    run_id = computed(api)
    early = get(api, FINANCE_1, "/payroll/runs/{run_id}/bank-transfers", run_id=run_id)
    assert early.status == 409 and early.body["error"]["code"] == "not_approved"
    assert act(api, FINANCE_1, run_id, "submit").status == 200
    assert get(api, FINANCE_1, "/payroll/runs/{run_id}/bank-transfers", run_id=run_id).status == 409
    assert act(api, LEADER_1, run_id, "approve").status == 200
    reply = get(api, LEADER_2, "/payroll/runs/{run_id}/bank-transfers", run_id=run_id)
    assert reply.status == 200
    listed = {item["staff_id"]: item for item in reply.body["items"]}
    assert listed["E1"] == {"staff_id": "E1", "name": "王强", "department_id": "WY",
                            "bank_account": "****************1234", "amount_fen": 624_658}
    assert listed["E2"]["bank_account"] == "************0002"
    assert reply.body["not_paid"] == [{"staff_id": "E5", "name": "陈静", "department_id": "CY", "net_fen": 500_085,
                                       "reason": "no bank account"}]
    assert reply.body["total_fen"] == 624_658 + 728_202 + 500_085 + 473_824 and reply.body["count"] == 4
    text = json.dumps(reply.body) + json.dumps(payslip(api, run_id, "E1").body)
    assert "34567890" not in text and "6222" not in text  # never the full number


# ---------------------------------------------------------------- two months: tax and a rule change
def test_february_withholds_tax_on_the_year_so_far_under_rules_changed_from_february(api):
    january = approved(api)
    # a rule change from February: late 50.00 a day, performance base 2,500.00
    change = post(api, FINANCE_1, "/payroll/rules/{department_id}",
                  {**WY_RULES, "effective_from": "2026-02", "late_deduction_fen": 5_000,
                   "performance_base_fen": 250_000}, department_id="WY")
    assert change.status == 201 and change.body["version"] == 2
    rules = get(api, FINANCE_1, "/payroll/rules/{department_id}", {"month": "2026-01"}, department_id="WY").body
    assert rules["in_force"]["version"] == 1 and [v["version"] for v in rules["versions"]] == [1, 2]
    assert put_income(api, "2026-02", "WY", 8_000_000).status == 200
    february = computed(api, "2026-02", ("WY",))
    e1 = payslip(api, february, "E1").body
    assert e1["rules_version"] == 2 and e1["months_in_year"] == 2
    # post 5,000 + T-D 30.00 + pool (5% of 80,000.00 = 4,000.00, E1 100 of 200 points) 2,000 - late 50.00
    assert amounts(e1)["piece_rate"] == 3_000 and amounts(e1)["bonus_pool"] == 200_000
    assert amounts(e1)["late"] == -5_000 and e1["gross_fen"] == 698_000
    # cumulative: income 7,410.13 + 6,980.00 = 14,390.13; deductions 2 x 5,000 + 2 x 1,125 = 12,250;
    # taxable 2,140.13 x 3% = 64.2039 -> 64.20; withheld in January 38.55 -> 25.65 this month
    tax = lines(e1)["income_tax"]["inputs"]
    assert (tax["cumulative_income_fen"], tax["cumulative_deductions_fen"], tax["taxable_fen"]) == (
        1_439_013, 1_225_000, 214_013)
    assert (tax["cumulative_tax_fen"], tax["withheld_before_fen"], e1["tax_fen"]) == (6_420, 3_855, 2_565)
    assert e1["year_to_date"]["tax_withheld_fen"] == 6_420
    e2 = payslip(api, february, "E2").body
    assert amounts(e2)["performance"] == 250_000  # the new base x 100.00
    # the person's list: both months, latest first
    mine = get(api, STAFF_1, "/staff/{staff_id}/payslips", staff_id="E1").body["items"]
    assert [p["month"] for p in mine] == ["2026-01"]  # February is not approved yet
    assert act(api, FINANCE_1, february, "submit").status == 200
    assert act(api, LEADER_2, february, "approve").status == 200
    mine = get(api, STAFF_1, "/staff/{staff_id}/payslips", staff_id="E1").body["items"]
    assert [(p["month"], p["run_id"]) for p in mine] == [("2026-02", february), ("2026-01", january)]


def test_a_past_month_is_recomputed_with_the_rules_it_had(api):
    run_id = computed(api, departments=("WY",))
    change = post(api, FINANCE_1, "/payroll/rules/{department_id}",
                  {**WY_RULES, "effective_from": "2026-02", "late_deduction_fen": 5_000}, department_id="WY")
    assert change.status == 201
    assert act(api, FINANCE_1, run_id, "recompute").status == 202
    drain(api)
    e1 = payslip(api, run_id, "E1").body
    assert e1["rules_version"] == 1 and amounts(e1)["late"] == -4_000  # January keeps 20.00 a late day
    assert e1["gross_fen"] == 741_013


# ---------------------------------------------------------------- posts and candidates
def test_posts_and_the_candidates_who_meet_a_posts_requirements(api):
    posts = get(api, STAFF_1, "/posts", {"department_id": "WY"}).body["items"]
    assert [(p["post_id"], p["salary_fen"]) for p in posts] == [("P-CLERK", 400_000), ("P-REPAIR", 500_000)]
    assert get(api, User("S1", "student"), "/posts").status == 403
    reply = get(api, LEADER_1, "/posts/{post_id}/candidates", post_id="P-REPAIR")
    # at least 高中, 2 years and the electrician's certificate; E1 holds the post; E4 has 1 year only
    assert [c["staff_id"] for c in reply.body["items"]] == ["E3"]
    assert reply.body["post"]["requirements"]["certificates"] == ["电工证"]
    assert get(api, STAFF_1, "/posts/{post_id}/candidates", post_id="P-REPAIR").status == 403
    assert get(api, LEADER_1, "/posts/{post_id}/candidates", post_id="P-NONE").status == 404


def test_the_sample_events_reach_the_worker(api):
    from tests.conftest import ROOT

    samples = ROOT / "events" / "payroll_worker"
    compute = json.loads((samples / "compute.json").read_text())
    assert api.worker_module.handler(compute, WorkerContext())["outcome"] == "skipped"  # no such run here
    failures = json.loads((samples / "on_failure.json").read_text())
    assert api.worker_module.handler(failures, WorkerContext()) == {"batchItemFailures": []}
    trigger = json.loads((ROOT / "events" / "payroll" / "start_run.json").read_text())
    assert api.app(trigger, Context())["statusCode"] == 400  # October 2026 is after "now" (March)
