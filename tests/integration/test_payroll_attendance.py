"""A payroll run on attendance as the attendance function stores it (nothing stood in): a terminal posts a
month of punches, the manager corrects a day, the work log is graded, and the worker turns that into the
payslip's lines, checked against figures worked out by hand.

The world, "now" 2026-02-05 10:00 Shanghai: department HY (08:00-17:00, 5 minutes' grace); E1, support
staff of manager M1, post 4,400.00 (no declared base: the post salary is the base); rules v1 from 2026-01:
performance base 2,000.00, no bonus pool, late 20.00, early leave 30.00, contributions 8/2/0.5/12% with
floor 4,000.00. January 2026 has 22 workdays; E1 clocks in 07:55 and out 17:05 on each, except: in at
08:20 on Monday the 5th (late), out at 16:00 on the 6th (early), no punch on the 7th (absent, corrected by
M1 to on leave). Work log grades: A on the 5th, C on the 6th.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from houqin.clock import FixedClock, at_local, to_iso
from houqin.contract import parse
from houqin.services.attendance import Attendance
from houqin.services.payroll import Payroll
from houqin.services.payroll.inputs import RulesInput, parse_rules
from houqin.settings import settings
from houqin.store import attendance as attendance_store
from houqin.store import payroll as store
from houqin.store.staff import Department, Post, StaffMember
from tests.conftest import load_function_module
from tests.fakes.ports import FakeInvoker
from tests.integration.apigw import Context, User, call

NOW = datetime(2026, 2, 5, 2, 0, tzinfo=UTC)
DEVICE, MANAGER, FINANCE = User("FP-HY", "device"), User("M1", "manager"), User("F1", "finance")
RULES = {"effective_from": "2026-01", "performance_base_fen": 200_000, "bonus_pool_share": "0",
         "late_deduction_fen": 2_000, "early_leave_deduction_fen": 3_000,
         "contributions": {"base_floor_fen": 400_000, "base_cap_fen": 2_000_000, "pension_rate": "0.08",
                           "medical_rate": "0.02", "unemployment_rate": "0.005", "housing_fund_rate": "0.12"}}


class WorkerContext(Context):
    function_name = "houqin-payroll-worker"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 900_000


def january_punches() -> list[dict]:
    punches, seq = [], 0
    for number in range(1, 32):
        day = date(2026, 1, number)
        if day.weekday() >= 5 or number == 7:
            continue
        clock_in = time(8, 20) if number == 5 else time(7, 55)
        clock_out = time(16, 0) if number == 6 else time(17, 5)
        for moment in (clock_in, clock_out):
            seq += 1
            punches.append({"staff_id": "E1", "seq": seq, "at": to_iso(at_local(day, moment))})
    return punches


def january_payslip_of_e1(payroll_app, worker, invocations) -> dict:
    """Finance runs HY's January; the worker computes it (the asynchronous invocations, by hand); E1's payslip."""
    started = call(payroll_app, "POST", "/payroll/runs", user=FINANCE, body={"month": "2026-01", "departments": ["HY"]})
    assert started.status == 202, started.body
    for _, invocation in invocations.calls:
        worker.handler(invocation, WorkerContext())
    return call(payroll_app, "GET", "/payroll/runs/{run_id}/payslips/{staff_id}", user=FINANCE,
                run_id=started.body["run_id"], staff_id="E1").body


@pytest.fixture
def world(aws, template, monkeypatch):
    monkeypatch.setenv("PUNCH_MAX_AGE_DAYS", "40")  # January's punches are posted in February, in one batch
    settings.cache_clear()
    Department.make("HY", "会议服务中心", shift_start="08:00", shift_end="17:00", grace_minutes=5).save()
    Post.make("HY-P1", "HY", "会务员", 440_000).save()
    StaffMember.make("E1", "HY", name="王静", gender="F", post="会务员", post_id="HY-P1", contract="regular",
                     phone="13800000000", support_staff=True, manager_id="M1", bank_account="6222021234560001").save()
    StaffMember.make("M1", "HY", name="赵主管", gender="M", post="会务员", post_id="HY-P1", contract="regular",
                     phone="13800000001").save()
    for number, grade in ((5, "A"), (6, "C")):
        log = attendance_store.WorkLogItem.new("HY", "E1", date(2026, 1, number))
        log.plan, log.completion = "布置会场", "已完成"
        log.completed_at = to_iso(at_local(date(2026, 1, number), time(17, 0)))
        log.set_grade(grade, "M1", at_local(date(2026, 1, number), time(18, 0)))
        log.save()
    rules = parse_rules("HY", parse(RulesInput, RULES), 1)
    assert store.add_rules(rules, "F1", to_iso(NOW))
    attendance_app = load_function_module(template, "AttendanceFunction")
    payroll_app = load_function_module(template, "PayrollFunction")
    worker = load_function_module(template, "PayrollWorkerFunction")
    attendance_app.service = Attendance(clock=FixedClock(NOW))
    invocations = FakeInvoker()  # the asynchronous invocations: run by hand below
    payroll_app.service = worker.service = Payroll(clock=FixedClock(NOW), invoker=invocations,
                                                   worker_function=WorkerContext.function_name)
    registered = call(attendance_app.app, "PUT", "/attendance/terminals/{device_id}", user=User("A1", "admin"),
                      body={"name": "会议中心 1 楼", "departments": ["HY"]}, device_id="FP-HY")
    assert registered.status == 200, registered.body
    return attendance_app.app, payroll_app.app, worker, invocations


def test_a_payslip_follows_the_punches_the_correction_and_the_grades_the_attendance_function_stored(world):
    attendance_app, payroll_app, worker, invocations = world
    posted = call(attendance_app, "POST", "/attendance/punches", user=DEVICE, body={"punches": january_punches()})
    assert posted.status == 200 and posted.body["stored"] == 42, posted.body  # 21 days x 2
    corrected = call(attendance_app, "POST", "/staff/{staff_id}/attendance/{day}/correction", user=MANAGER,
                     body={"status": "on_leave", "reason": "事假，已批准"}, staff_id="E1", day="2026-01-07")
    assert corrected.status == 200, corrected.body

    slip = january_payslip_of_e1(payroll_app, worker, invocations)
    lines = {line["code"]: line for line in slip["lines"]}
    amounts = {code: line["amount_fen"] for code, line in lines.items()}

    assert (lines["late"]["inputs"]["late_count"], lines["early_leave"]["inputs"]["early_count"],
            lines["absent"]["inputs"]["absent_days"]) == (1, 1, 0)  # the 7th is leave, not absence
    assert lines["absent"]["inputs"]["workdays"] == 22
    assert slip["score"] == "85.00"  # (100 + 70) / 2
    assert amounts == {
        "post_salary": 440_000,
        "performance": 170_000,  # 2,000.00 x 85 / 100
        "late": -2_000, "early_leave": -3_000, "absent": 0,
        "pension": -35_200, "medical": -8_800, "unemployment": -2_200, "housing_fund": -52_800,  # of 4,400.00
        "income_tax": -180,  # 3% of (6,050.00 - 5,000.00 - 990.00) = 3% of 60.00
    }
    assert (slip["gross_fen"], slip["deductions_fen"], slip["tax_fen"], slip["net_fen"]) == (
        605_000, 99_000, 180, 505_820)


def test_a_departments_own_grade_scores_are_the_ones_the_log_view_the_talk_flag_and_the_payslip_use(world):
    """HY scores grades its own way from November (A 100, B 55, C 40, D 20): E1's B in November and December
    and B + C in January are 55, 55 and 47.5, all below 60 (a talk), where the default scores (85, 85, 77.5)
    would call for none."""
    attendance_app, payroll_app, worker, invocations = world
    scores = {"A": 100, "B": 55, "C": 40, "D": 20}
    for version, effective_from in ((2, "2025-11"), (3, "2026-01")):  # v1 (2026-01, default scores) is older
        given = parse(RulesInput, {**RULES, "effective_from": effective_from, "grade_scores": scores})
        rules = parse_rules("HY", given, version)
        assert store.add_rules(rules, "F1", to_iso(NOW))
    for day in (date(2025, 11, 10), date(2025, 12, 10)):
        log = attendance_store.WorkLogItem.new("HY", "E1", day)
        log.plan, log.completion = "布置会场", "已完成"
        log.set_grade("B", "M1", at_local(day, time(18, 0)))
        log.save()
    regraded = call(attendance_app, "POST", "/staff/{staff_id}/worklogs/{day}/grade", user=MANAGER,
                    body={"grade": "B"}, staff_id="E1", day="2026-01-05")
    assert regraded.status == 200 and regraded.body["grade_score"] == 55, regraded.body

    view = call(attendance_app, "GET", "/staff/{staff_id}/worklogs", user=MANAGER, staff_id="E1",
                query={"month": "2026-01"}).body
    assert [(log["grade"], log["grade_score"]) for log in view["logs"]] == [("B", 55), ("C", 40)]
    assert Decimal(view["score"]) == Decimal("47.5")
    assert [Decimal(m["score"]) for m in view["recent_scores"]] == [55, 55, Decimal("47.5")]
    assert view["needs_talk"] is True

    slip = january_payslip_of_e1(payroll_app, worker, invocations)
    assert Decimal(slip["score"]) == Decimal("47.5")
    assert {line["code"]: line["amount_fen"] for line in slip["lines"]}["performance"] == 95_000  # 2,000.00 x 47.5%
