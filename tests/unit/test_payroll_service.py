"""The payroll use cases with in-memory ports (tests/fakes/payroll.py, tests/fakes/ports.py): no moto, no network,
no sleeping, a pinned clock. A small department's January computed end to end through ``Payroll``, then approved.

The world (test_payroll_attendance.py's, with a bonus pool and a named bonus), "now" 2026-02-05 10:00 Shanghai:
department HY (08:00-17:00, 5 minutes' grace); E1, support staff of manager M1 (of the office BG), post 4,400.00
(no declared base: the post salary is the base); rules v1 from 2026-01: performance base 2,000.00, bonus pool
5% of the unit's income, late 20.00, early leave 30.00, contributions 8/2/0.5/12% with floor 4,000.00. January
2026 has 22 workdays; E1 clocks in 07:55 and out 17:05 on each, except: in at 08:20 on Monday the 5th (late),
out at 16:00 on the 6th (early), no punch on the 7th (absent, corrected by M1 to on leave). Work log grades:
A on the 5th, C on the 6th. HY's January income 10,000.00 (entered by B1, finance and leader); a post bonus of
500.00 for E1 (entered by F2).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from houqin.auth import Principal
from houqin.clock import FixedClock, at_local, local_day
from houqin.contract import parse
from houqin.domain.actors import Role
from houqin.domain.attendance import Punch
from houqin.errors import Conflict
from houqin.services.payroll import Payroll, compute
from houqin.services.payroll.inputs import BonusEntry, IncomeEntry, RulesInput
from houqin.services.payroll.runs import RunAction, RunTrigger
from houqin.store.attendance import CorrectionItem, WorkLogItem
from houqin.store.staff import Department, Post, StaffMember
from tests.fakes.attendance import InMemoryAttendance
from tests.fakes.payroll import InMemoryPayroll, InMemoryStaff, InMemoryTickets
from tests.fakes.ports import FakeInvoker

NOW = datetime(2026, 2, 5, 2, 0, tzinfo=UTC)
RULES = {"effective_from": "2026-01", "performance_base_fen": 200_000, "bonus_pool_share": "0.05",
         "late_deduction_fen": 2_000, "early_leave_deduction_fen": 3_000,
         "contributions": {"base_floor_fen": 400_000, "base_cap_fen": 2_000_000, "pension_rate": "0.08",
                           "medical_rate": "0.02", "unemployment_rate": "0.005", "housing_fund_rate": "0.12"}}


def person(person_id: str, *roles: Role) -> Principal:
    return Principal(subject=f"sub-{person_id}", person_id=person_id, roles=frozenset(roles))


F1, F2 = person("F1", Role.FINANCE), person("F2", Role.FINANCE)
B1 = person("B1", Role.FINANCE, Role.LEADER)
L1 = person("L1", Role.LEADER)
E1 = person("E1", Role.STAFF)


def body(data: dict, cls: type) -> Any:
    """A request's body as the route declares it (parsed and checked as the edge does)."""
    return parse(cls, data)


def january_attendance() -> InMemoryAttendance:
    attendance = InMemoryAttendance()
    seq = 0
    for number in range(1, 32):
        day = date(2026, 1, number)
        if day.weekday() >= 5 or number == 7:
            continue
        for moment in (time(8, 20) if number == 5 else time(7, 55), time(16, 0) if number == 6 else time(17, 5)):
            seq += 1
            attendance.punch_items.append(("HY", Punch("E1", "FP-HY", seq, at_local(day, moment))))
    fix = CorrectionItem.new("HY", "E1", date(2026, 1, 7))
    fix.record("on_leave", "事假，已批准", "M1", at_local(date(2026, 1, 8), time(9, 0)), "absent")
    attendance.correction_items[("HY", "E1", date(2026, 1, 7))] = fix
    for number, grade in ((5, "A"), (6, "C")):
        log = WorkLogItem.new("HY", "E1", date(2026, 1, number))
        log.plan, log.completion = "布置会场", "已完成"
        log.set_grade(grade, "M1", at_local(date(2026, 1, number), time(18, 0)))
        attendance.log_items[("HY", "E1", date(2026, 1, number))] = log
    return attendance


def no_sleeping(seconds: float) -> None:
    raise AssertionError(f"the worker slept {seconds} s: nothing else computes this run")


@pytest.fixture
def service() -> Payroll:
    staff = InMemoryStaff(
        departments=[Department.make("HY", "会议服务中心", shift_start="08:00", shift_end="17:00", grace_minutes=5),
                     Department.make("BG", "办公室")],
        posts=[Post.make("HY-P1", "HY", "会务员", 440_000), Post.make("BG-P1", "BG", "主管", 600_000)],
        members=[StaffMember.make("E1", "HY", name="王静", gender="F", post="会务员", post_id="HY-P1",
                                  contract="regular", phone="13800000000", support_staff=True, manager_id="M1",
                                  bank_account="6222021234560001"),
                 StaffMember.make("M1", "BG", name="赵主管", gender="M", post="主管", post_id="BG-P1",
                                  contract="regular", phone="13800000001")])
    return Payroll(payroll=InMemoryPayroll(), staff=staff, attendance=january_attendance(), tickets=InMemoryTickets(),
                   clock=FixedClock(NOW), invoker=FakeInvoker(), worker_function="payroll-worker", pause=no_sleeping)


def computed_january(service: Payroll) -> str:
    """Finance enters the rules, the income and a bonus, starts HY's January; the worker computes it."""
    service.new_rules(F1, "HY", body(RULES, RulesInput))
    service.enter_income(B1, "2026-01", "HY", body({"income_fen": 1_000_000}, IncomeEntry))
    service.enter_bonus(F2, body({"staff_id": "E1", "month": "2026-01", "kind": "post", "amount_fen": 50_000},
                                 BonusEntry))
    started = service.start_run(F1, body({"month": "2026-01", "departments": ["HY"]}, RunTrigger))
    assert started.created and started.run["state"] == "queued"
    [(function_name, payload)] = service.invoker.calls
    assert function_name == "payroll-worker" and payload == {"run_id": started.run["run_id"], "generation": 1}
    outcome = service.handle(payload)
    assert outcome["outcome"] == "draft" and outcome["staff"] == 1, outcome
    return started.run["run_id"]


def test_a_departments_month_is_computed_line_by_line_from_the_archive_attendance_income_bonuses_and_rules(service):
    run_id = computed_january(service)
    slip = service.run_payslip(F1, run_id, "E1")
    lines = {line["code"]: line for line in slip["lines"]}
    amounts = {code: line["amount_fen"] for code, line in lines.items()}

    assert (lines["late"]["inputs"]["late_count"], lines["early_leave"]["inputs"]["early_count"],
            lines["absent"]["inputs"]["absent_days"]) == (1, 1, 0)  # the 7th is leave, not absence
    assert lines["absent"]["inputs"]["workdays"] == 22
    assert slip["score"] == "85.00"  # (100 + 70) / 2
    assert amounts == {
        "post_salary": 440_000,
        "performance": 170_000,  # 2,000.00 x 85 / 100
        "bonus_pool": 50_000,  # 5% of 10,000.00, all E1's: the only one with points
        "award_post": 50_000,
        "late": -2_000, "early_leave": -3_000, "absent": 0,
        "pension": -35_200, "medical": -8_800, "unemployment": -2_200, "housing_fund": -52_800,  # of 4,400.00
        "income_tax": -3_180,  # 3% of (7,050.00 - 5,000.00 - 990.00) = 3% of 1,060.00
    }
    assert (slip["gross_fen"], slip["deductions_fen"], slip["tax_fen"], slip["net_fen"]) == (
        705_000, 99_000, 3_180, 602_820)
    assert slip["bank_account"] == "************0001"
    run = service.get_run(F1, run_id)
    assert run["totals"]["all"]["net_fen"] == 602_820 and run["totals"]["departments"]["HY"]["bonus_pool_fen"] == 50_000
    assert [e["action"] for e in run["history"]] == ["create", "start", "finish"]


def test_approval_takes_a_second_pair_of_eyes_then_locks_the_month_and_pays_the_bank_list(service):
    run_id = computed_january(service)
    none = body({}, RunAction)
    assert service.act(F1, run_id, "submit", none)["state"] == "submitted"
    with pytest.raises(Conflict) as entered:  # B1 entered HY's income this run pays
        service.act(B1, run_id, "approve", none)
    assert entered.value.code == "four_eyes" and "income of HY" in entered.value.message
    assert service.get_run(L1, run_id)["state"] == "submitted"

    approved = service.act(L1, run_id, "approve", none)
    assert (approved["state"], approved["locked"], approved["decided_by"]) == ("approved", True, "L1")
    with pytest.raises(Conflict) as locked:
        service.enter_income(F1, "2026-01", "HY", body({"income_fen": 1}, IncomeEntry))
    assert locked.value.code == "month_locked"
    transfers = service.bank_transfers(L1, run_id)
    assert (transfers["count"], transfers["total_fen"], transfers["not_paid"]) == (1, 602_820, [])
    assert service.run_payslip(E1, run_id, "E1")["net_fen"] == 602_820  # their own, once approved
    assert [p["net_fen"] for p in service.staff_payslips(E1, "E1", 10, None)["items"]] == [602_820]


# ---------------------------------------------------------------- what the worker reads and writes
def record_history_reads(service: Payroll, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The worker's reads of payslips of the year, in order: (store function, its arguments)."""
    read: list[tuple[Any, ...]] = []
    for name in ("year_of_person", "department_history"):
        real = getattr(service.payroll, name)
        monkeypatch.setattr(service.payroll, name,
                            lambda *args, real=real, name=name: read.append((name, *args)) or real(*args))
    return read


def approve(service: Payroll, run_id: str) -> None:
    none = body({}, RunAction)
    service.act(F1, run_id, "submit", none)
    service.act(L1, run_id, "approve", none)


def test_the_worker_reads_a_departments_month_and_year_by_department_not_per_person(service, monkeypatch):
    history = record_history_reads(service, monkeypatch)
    run_id = computed_january(service)
    # HY's month: its punches, its corrections and its logs' grades, one read each; nothing per person
    assert service.attendance.reads == {"department_punches": 1, "department_corrections": 1, "department_grades": 1}
    assert history == []  # nothing approved in 2026 yet: no payslip of the year can count, none is read
    approve(service, run_id)
    service.enter_income(B1, "2026-02", "HY", body({"income_fen": 1_000_000}, IncomeEntry))
    february = service.start_run(F1, body({"month": "2026-02", "departments": ["HY"]}, RunTrigger)).run["run_id"]
    assert service.handle({"run_id": february, "generation": 1})["outcome"] == "draft"
    assert history == [("department_history", run_id, 1, "HY")]  # January approved: HY's payslips of it, one read
    assert service.run_payslip(F1, february, "E1")["months_in_year"] == 2  # January's carries the tax year so far


def test_a_person_who_moved_department_is_paid_on_their_whole_month_and_year(service, monkeypatch):
    """E1 moved from HY to BG on 16 January: their punches from then on are kept under BG, the correction (the 7th)
    and the grades (the 5th and 6th) under HY. BG's January reads BG's month and, for E1 alone, HY's part of it:
    the same attendance and score as when all of it was HY's; BG's February reads E1's year per person (the
    payslips of a person who moved may be under either department)."""
    history = record_history_reads(service, monkeypatch)
    attendance = service.attendance
    service.staff.member_items["E1"].move_to("BG", date(2026, 1, 16))
    attendance.punch_items = [("BG" if local_day(p.at) >= date(2026, 1, 16) else "HY", p)
                              for _, p in attendance.punch_items]
    service.new_rules(F1, "BG", body(RULES, RulesInput))
    for month in ("2026-01", "2026-02"):
        service.enter_income(B1, month, "BG", body({"income_fen": 1_000_000}, IncomeEntry))
    january = service.start_run(F1, body({"month": "2026-01", "departments": ["BG"]}, RunTrigger)).run["run_id"]
    assert service.handle({"run_id": january, "generation": 1})["outcome"] == "draft"

    slip = service.run_payslip(F1, january, "E1")
    lines = {line["code"]: line["inputs"] for line in slip["lines"]}
    assert (lines["late"]["late_count"], lines["early_leave"]["early_count"], lines["absent"]["absent_days"],
            lines["absent"]["workdays"], slip["score"]) == (1, 1, 0, 22, "85.00")
    assert attendance.reads == {"department_punches": 1, "department_corrections": 1, "department_grades": 1,
                                "punches_of_month": 1, "corrections_of_month": 1, "grades_of_month": 1}  # E1's HY part
    assert history == []

    approve(service, january)
    february = service.start_run(F1, body({"month": "2026-02", "departments": ["BG"]}, RunTrigger)).run["run_id"]
    assert service.handle({"run_id": february, "generation": 1})["outcome"] == "draft"
    assert history == [("department_history", january, 1, "BG"), ("year_of_person", "E1", "2026-02")]
    assert service.run_payslip(F1, february, "E1")["months_in_year"] == 2


class DeferredWrites:
    """compute's writer pool, by hand: a write submitted runs when its result is asked for, or at
    ``run_pending`` (what a writer thread still under way does after the worker moved on)."""

    class Write(Future):
        def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
            super().__init__()
            self.call = (fn, args)

        def result(self, timeout: float | None = None) -> Any:
            if not self.done():
                fn, args = self.call
                try:
                    self.set_result(fn(*args))
                except Exception as exc:  # noqa: BLE001 - handed to whoever waits, as a thread's future does
                    self.set_exception(exc)
            return super().result(timeout)

    def __init__(self) -> None:
        self.submitted: list[DeferredWrites.Write] = []

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        self.submitted.append(self.Write(fn, args))
        return self.submitted[-1]

    def run_pending(self) -> None:
        for write in self.submitted:
            write.result()


def test_a_run_failing_after_its_first_department_deletes_its_payslips_once_the_writes_under_way_end(
        service, monkeypatch):
    writes = DeferredWrites()
    monkeypatch.setattr(compute, "_writers", writes)
    service.staff.department_items["YS"] = Department.make("YS", "印刷厂")
    service.staff.member_items["Y1"] = StaffMember.make("Y1", "YS", name="周印", gender="M", post="印刷工",
                                                        contract="regular", phone="13800000002")  # no post id
    service.new_rules(F1, "HY", body(RULES, RulesInput))
    service.new_rules(F1, "YS", body(RULES, RulesInput))
    for department_id in ("HY", "YS"):
        service.enter_income(B1, "2026-01", department_id, body({"income_fen": 1_000_000}, IncomeEntry))
    run_id = service.start_run(F1, body({"month": "2026-01", "departments": ["HY", "YS"]}, RunTrigger)).run["run_id"]
    outcome = service.handle({"run_id": run_id, "generation": 1})
    assert outcome["outcome"] == "failed" and "Y1 has no post" in outcome["reason"]
    assert len(writes.submitted) == 1  # HY's payslip was handed to a writer before YS was read
    writes.run_pending()  # a write still under way at the deletion would land now
    assert not any(service.payroll.slips.values())


def test_a_payslip_write_that_fails_fails_the_run_with_its_reason(service, monkeypatch):
    def throttled(items):
        raise RuntimeError("ProvisionedThroughputExceededException")

    monkeypatch.setattr(service.payroll, "write_payslips", throttled)
    service.new_rules(F1, "HY", body(RULES, RulesInput))
    service.enter_income(B1, "2026-01", "HY", body({"income_fen": 1_000_000}, IncomeEntry))
    run_id = service.start_run(F1, body({"month": "2026-01", "departments": ["HY"]}, RunTrigger)).run["run_id"]
    outcome = service.handle({"run_id": run_id, "generation": 1})
    assert outcome == {"run_id": run_id, "outcome": "failed",
                       "reason": "RuntimeError: ProvisionedThroughputExceededException"}
    run = service.get_run(F1, run_id)
    assert (run["state"], run["progress"]["staff_done"]) == ("failed", 0)


def test_a_november_go_live_adds_the_previous_systems_year_to_the_cumulative_withholding(service):
    """E1's January to October were paid by the previous system (houqin import's 年初至今 sheet): November, Houqin's
    first month, is the eleventh of the tax year and withholds on the whole year's figures."""
    from houqin.domain.payroll.tax import MonthTaxInput, TaxYearToDate, withholding_tax
    from houqin.store.payroll import OpeningYearToDate

    opening = TaxYearToDate(income_fen=10_000_000, insurance_fen=1_000_000, tax_withheld_fen=148_000)
    service.payroll.opening_items[(2026, "E1")] = OpeningYearToDate.make("E1", 2026, months_paid=10,
                                                                         **opening.__dict__)
    service.clock = FixedClock(datetime(2026, 12, 5, 2, 0, tzinfo=UTC))
    service.new_rules(F1, "HY", body(RULES, RulesInput))
    service.enter_income(B1, "2026-11", "HY", body({"income_fen": 1_000_000}, IncomeEntry))
    run_id = service.start_run(F1, body({"month": "2026-11", "departments": ["HY"]}, RunTrigger)).run["run_id"]
    assert service.handle({"run_id": run_id, "generation": 1})["outcome"] == "draft"
    slip = service.run_payslip(F1, run_id, "E1")
    assert slip["months_in_year"] == 11
    tax = next(line for line in slip["lines"] if line["code"] == "income_tax")["inputs"]
    assert tax["months_in_year"] == 11 and tax["withheld_before_fen"] == 148_000
    assert tax["cumulative_income_fen"] > 10_000_000 and tax["basic_deduction_fen"] == 11 * 500_000
    # the same month's figures withheld as if Houqin had paid the whole year
    month_income = tax["cumulative_income_fen"] - opening.income_fen
    month_insurance = tax["cumulative_insurance_fen"] - opening.insurance_fen
    expected = withholding_tax(opening, MonthTaxInput(11, month_income, month_insurance,
                                                      tax["cumulative_additional_fen"]))
    assert slip["tax_fen"] == expected.tax_fen
    assert slip["year_to_date"]["tax_withheld_fen"] == 148_000 + expected.tax_fen
