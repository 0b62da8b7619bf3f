"""Payroll without AWS: grades, income tax, social insurance, rules, every payslip line, the run's life cycle.

Every expected figure is worked out by hand in the comment next to it (yuan, with fen in the code:
1 yuan = 100 fen).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from houqin.domain.actors import SYSTEM, Actor, Role
from houqin.domain.attendance import AttendanceSummary
from houqin.domain.payroll.contributions import ContributionRules, contribution_lines
from houqin.domain.payroll.earnings import (
    Award,
    PieceWork,
    attendance_lines,
    award_line,
    performance_line,
    piece_rate_line,
    split_bonus_pool,
)
from houqin.domain.payroll.lines import validate_month
from houqin.domain.payroll.payslip import NET_BELOW_ZERO, PayslipInput, compute_payslip, mask_account
from houqin.domain.payroll.rules import PayRules, rules_for, validate_rules
from houqin.domain.payroll.run_state import RUN_TRANSITIONS, RunState, transition
from houqin.domain.payroll.tax import MonthTaxInput, TaxResult, TaxYearToDate, with_opening, withholding_tax
from houqin.domain.worklogs import DEFAULT_GRADE_SCORES, monthly_score, needs_talk
from houqin.errors import Conflict, Forbidden, ValidationError

D = Decimal
CONTRIBUTIONS = ContributionRules(base_floor_fen=400_000, base_cap_fen=2_000_000)  # base 4,000 to 20,000 yuan
RULES = PayRules(
    department_id="PROPERTY",
    effective_from="2026-01",
    version=1,
    contributions=CONTRIBUTIONS,
    performance_base_fen=200_000,  # 2,000.00
    piece_rates_fen={"minor": 3_000, "major": 8_000},  # 30.00 and 80.00 a ticket
    bonus_pool_share=D("0.05"),
    late_deduction_fen=2_000,  # 20.00 a late day
    early_leave_deduction_fen=3_000,  # 30.00 an early day
)
FULL_MONTH = AttendanceSummary(workdays=22, present_days=22, late_count=0, early_count=0, absent_days=0,
                               leave_days=0)
FINANCE = Actor("F1", frozenset({Role.FINANCE}))
LEADER = Actor("L1", frozenset({Role.LEADER}))


# ---------------------------------------------------------------- grades
@pytest.mark.parametrize(("grades", "score"), [
    (["A", "B", "C"], D("85.00")),  # (100 + 85 + 70) / 3 = 85
    (["A", "B"], D("92.50")),  # 185 / 2
    (["A", "C", "D"], D("73.33")),  # 220 / 3 = 73.333...
    (["A"] * 7 + ["B"], D("98.13")),  # 785 / 8 = 98.125 -> half up 98.13 (not the banker's 98.12)
    (["D", "D"], D("50.00")),
])
def test_monthly_score_is_the_mean_to_a_hundredth_half_up(grades, score):
    assert monthly_score(grades) == score


def test_monthly_score_uses_configured_scores_and_is_none_without_grades():
    assert monthly_score(["A", "B"], {"A": 95, "B": 80, "C": 60, "D": 40}) == D("87.50")  # 175 / 2
    assert monthly_score([]) is None
    with pytest.raises(ValidationError) as caught:
        monthly_score(["A", "E"])
    assert caught.value.field == "grade"


@pytest.mark.parametrize(("scores", "expected"), [
    ([D(70), D("59.99"), D(58), D(55)], True),  # last three all below 60
    ([D(59), D(58), D(60)], False),  # 60 is not below 60
    ([D(50), None, D(40), D(30)], False),  # last three: None breaks the run
    ([D(50), D(40)], False),  # only two months of history
    ([], False),
])
def test_a_talk_after_three_months_below_sixty(scores, expected):
    assert needs_talk(scores) is expected


def test_talk_threshold_and_months_are_configurable():
    assert needs_talk([D(80), D(69), D(65)], threshold=D(70), months=2)
    assert not needs_talk([D(69), D(70)], threshold=D(70), months=2)
    with pytest.raises(ValidationError):
        needs_talk([D(50)], months=0)


# ---------------------------------------------------------------- income tax
def run_months(months: list[MonthTaxInput]) -> list[TaxResult]:
    """Withhold month after month, carrying the year to date as a payroll run would."""
    ytd, results = TaxYearToDate(), []
    for month in months:
        result = withholding_tax(ytd, month)
        results.append(result)
        ytd = result.year_to_date
    return results


def test_cumulative_withholding_crosses_from_3_to_10_percent_in_month_four():
    # gross 20,000, insurance and fund 2,000, special additional 1,000 a month
    results = run_months([MonthTaxInput(n, 2_000_000, 200_000, 100_000) for n in range(1, 6)])
    # taxable so far = 20,000n - 5,000n - 2,000n - 1,000n = 12,000n
    assert [r.taxable_fen for r in results] == [1_200_000, 2_400_000, 3_600_000, 4_800_000, 6_000_000]
    # m1 12,000 x 3% = 360; m2 24,000 x 3% = 720 - 360; m3 36,000 x 3% = 1,080 - 720 (36,000 is still 3%);
    # m4 48,000 x 10% - 2,520 = 2,280 - 1,080 = 1,200; m5 60,000 x 10% - 2,520 = 3,480 - 2,280 = 1,200
    assert [r.cumulative_tax_fen for r in results] == [36_000, 72_000, 108_000, 228_000, 348_000]
    assert [r.tax_fen for r in results] == [36_000, 36_000, 36_000, 120_000, 120_000]
    assert [(r.rate, r.quick_deduction_fen) for r in results[2:4]] == [(D("0.03"), 0), (D("0.10"), 252_000)]
    month_four = results[3]
    assert month_four.inputs() == {
        "months_in_year": 4, "cumulative_income_fen": 8_000_000, "basic_deduction_fen": 2_000_000,
        "cumulative_insurance_fen": 800_000, "cumulative_additional_fen": 400_000, "cumulative_other_fen": 0,
        "cumulative_deductions_fen": 3_200_000,  # 5,000 x 4 + 2,000 x 4 + 1,000 x 4 = 32,000
        "taxable_fen": 4_800_000, "rate": "0.10", "quick_deduction_fen": 252_000, "cumulative_tax_fen": 228_000,
        "withheld_before_fen": 108_000}
    assert results[4].year_to_date == TaxYearToDate(10_000_000, 1_000_000, 500_000, 0, 348_000)


def test_income_below_the_deductions_is_taxed_nothing():
    # 5,000 - 5,000 basic - 500 insurance < 0 -> taxable 0
    result = withholding_tax(TaxYearToDate(), MonthTaxInput(1, 500_000, 50_000))
    assert (result.taxable_fen, result.rate, result.quick_deduction_fen, result.tax_fen) == (0, D("0.03"), 0, 0)


def test_withholding_never_refunds_a_month_that_earned_little():
    results = run_months([
        MonthTaxInput(1, 2_000_000, 200_000, 100_000),  # 20,000 - 5,000 - 2,000 - 1,000 = 12,000 -> 360
        MonthTaxInput(2, 100_000, 200_000, 100_000),  # 21,000 - 10,000 - 4,000 - 2,000 = 5,000 -> 150 < 360
        MonthTaxInput(3, 2_000_000, 200_000, 100_000),  # 41,000 - 15,000 - 6,000 - 3,000 = 17,000 -> 510 - 360
    ])
    assert [r.cumulative_tax_fen for r in results] == [36_000, 15_000, 51_000]
    assert [r.tax_fen for r in results] == [36_000, 0, 15_000]  # month 2 is 0, not -210
    assert results[1].year_to_date.tax_withheld_fen == 36_000  # what was withheld, not the 150 computed


def test_cumulative_tax_is_rounded_to_the_fen_half_up_once():
    # taxable 12,345.50 x 3% = 370.365 -> 370.37; other deductions count like the rest
    result = withholding_tax(TaxYearToDate(), MonthTaxInput(1, 1_834_550, 0, 0, 100_000))
    assert (result.taxable_fen, result.cumulative_tax_fen) == (1_234_550, 37_037)


@pytest.mark.parametrize(("taxable_yuan", "rate", "quick_yuan", "tax_fen"), [
    (36_000, "0.03", 0, 108_000),  # 36,000 x 3% = 1,080.00
    (36_001, "0.10", 2_520, 108_010),  # 3,600.10 - 2,520 = 1,080.10: the table is continuous at the bound
    (144_000, "0.10", 2_520, 1_188_000),  # 14,400 - 2,520 = 11,880
    (144_001, "0.20", 16_920, 1_188_020),  # 28,800.20 - 16,920 = 11,880.20
    (300_000, "0.20", 16_920, 4_308_000),  # 60,000 - 16,920 = 43,080
    (300_001, "0.25", 31_920, 4_308_025),  # 75,000.25 - 31,920 = 43,080.25
    (420_000, "0.25", 31_920, 7_308_000),  # 105,000 - 31,920 = 73,080
    (500_000, "0.30", 52_920, 9_708_000),  # 150,000 - 52,920 = 97,080
    (660_000, "0.30", 52_920, 14_508_000),  # 198,000 - 52,920 = 145,080
    (960_000, "0.35", 85_920, 25_008_000),  # 336,000 - 85,920 = 250,080
    (960_001, "0.45", 181_920, 25_008_045),  # 432,000.45 - 181,920 = 250,080.45
    (1_000_000, "0.45", 181_920, 26_808_000),  # 450,000 - 181,920 = 268,080
])
def test_the_annual_table_brackets_and_quick_deductions(taxable_yuan, rate, quick_yuan, tax_fen):
    # one month, no deductions but the 5,000 basic one: taxable = income - 5,000
    result = withholding_tax(TaxYearToDate(), MonthTaxInput(1, (taxable_yuan + 5_000) * 100))
    assert (result.taxable_fen, result.rate, result.quick_deduction_fen) == (taxable_yuan * 100, D(rate),
                                                                              quick_yuan * 100)
    assert result.cumulative_tax_fen == result.tax_fen == tax_fen


@pytest.mark.parametrize(("month", "field"), [
    (MonthTaxInput(0, 100), "months_in_year"),
    (MonthTaxInput(13, 100), "months_in_year"),
    (MonthTaxInput(1, 100, -1), "insurance_fen"),
    (MonthTaxInput(1, 100, 0, -1), "additional_fen"),
])
def test_tax_inputs_are_checked(month, field):
    with pytest.raises(ValidationError) as caught:
        withholding_tax(TaxYearToDate(), month)
    assert caught.value.field == field


# ---------------------------------------------------------------- social insurance and housing fund
def amounts(lines) -> dict[str, int]:
    return {line.code: line.amount_fen for line in lines}


def test_contributions_at_default_rates_on_a_base_inside_the_limits():
    lines = contribution_lines(800_000, CONTRIBUTIONS)
    # 8% of 8,000.00 = 640.00; 2% = 160.00; 0.5% = 40.00; 12% = 960.00
    assert amounts(lines) == {"pension": -64_000, "medical": -16_000, "unemployment": -4_000,
                              "housing_fund": -96_000}
    assert lines[0].inputs == {"declared_base_fen": 800_000, "base_floor_fen": 400_000, "base_cap_fen": 2_000_000,
                               "base_fen": 800_000, "rate": "0.08"}
    assert lines[0].label_zh == "养老保险"


@pytest.mark.parametrize(("declared", "base", "expected"), [
    # below the 4,000.00 floor: 8% of 4,000.00 = 320.00, 2% = 80.00, 0.5% = 20.00, 12% = 480.00
    (300_000, 400_000, [-32_000, -8_000, -2_000, -48_000]),
    # above the 20,000.00 cap: 1,600.00, 400.00, 100.00, 2,400.00
    (2_500_000, 2_000_000, [-160_000, -40_000, -10_000, -240_000]),
])
def test_the_base_is_clamped_to_floor_and_cap(declared, base, expected):
    lines = contribution_lines(declared, CONTRIBUTIONS)
    assert [line.amount_fen for line in lines] == expected
    assert {line.inputs["base_fen"] for line in lines} == {base}


def test_each_contribution_is_rounded_half_up_on_its_own():
    low_floor = ContributionRules(base_floor_fen=0, base_cap_fen=2_000_000)
    # 3,333.33 x 8% = 266.6664 -> 266.67; x 2% = 66.6666 -> 66.67; x 0.5% = 16.66665 -> 16.67; x 12% = 399.9996 -> 400
    assert [line.amount_fen for line in contribution_lines(333_333, low_floor)] == [
        -26_667, -6_667, -1_667, -40_000]


@pytest.mark.parametrize(("rules", "field"), [
    (ContributionRules(500_000, 400_000), "contributions.base_floor_fen"),  # floor above cap
    (ContributionRules(-1, 400_000), "contributions.base_floor_fen"),
    (ContributionRules(0, 400_000, pension_rate=D("1.5")), "contributions.pension_rate"),
    (ContributionRules(0, 400_000, medical_rate=D("-0.01")), "contributions.medical_rate"),
    (ContributionRules(0, 400_000, housing_fund_rate=0.12), "contributions.housing_fund_rate"),  # a float
    # 0.5 + 0.3 + 0.1 + 0.1 = 1.0: nothing would be left to pay
    (ContributionRules(0, 400_000, D("0.5"), D("0.3"), D("0.1"), D("0.1")), "contributions"),
])
def test_contribution_rules_are_checked(rules, field):
    with pytest.raises(ValidationError) as caught:
        contribution_lines(800_000, rules)
    assert caught.value.field == field


# ---------------------------------------------------------------- pay rules
@pytest.mark.parametrize(("changes", "field"), [
    ({"department_id": ""}, "department_id"),
    ({"effective_from": "2026-1"}, "effective_from"),
    ({"effective_from": "2026-13"}, "effective_from"),
    ({"version": 0}, "version"),
    ({"performance_base_fen": -1}, "performance_base_fen"),
    ({"late_deduction_fen": 20.0}, "late_deduction_fen"),  # money is never a float
    ({"early_leave_deduction_fen": -100}, "early_leave_deduction_fen"),
    ({"piece_rates_fen": {"minor": 3_000, "major": -1}}, "piece_rates_fen.major"),
    ({"bonus_pool_share": D("1.01")}, "bonus_pool_share"),
    ({"bonus_pool_share": D("-0.1")}, "bonus_pool_share"),
    ({"grade_scores": {"A": 100, "B": 85, "C": 70}}, "grade_scores.D"),
    ({"grade_scores": {"A": 101, "B": 85, "C": 70, "D": 50}}, "grade_scores.A"),
    ({"grade_scores": {"A": 100, "B": 85, "C": 70, "D": -5}}, "grade_scores.D"),
    ({"grade_scores": {"A": 100, "B": 85, "C": 70, "D": 50, "E": 30}}, "grade_scores.E"),
    ({"grade_scores": {"A": 100, "B": 70, "C": 85, "D": 50}}, "grade_scores"),  # B below C
    ({"grade_scores": {"A": 100, "B": 85, "C": 85, "D": 50}}, "grade_scores"),  # not strictly falling
    ({"contributions": ContributionRules(500_000, 400_000)}, "contributions.base_floor_fen"),
    ({"contributions": ContributionRules(0, 1, D("0.6"), D("0.2"), D("0.1"), D("0.1"))}, "contributions"),
])
def test_rules_validation_names_the_field(changes, field):
    with pytest.raises(ValidationError) as caught:
        validate_rules(replace(RULES, **changes))
    assert caught.value.field == field


def test_valid_rules_pass_including_decimal_grade_scores():
    validate_rules(RULES)
    validate_rules(replace(RULES, grade_scores={"A": D("100"), "B": D("87.5"), "C": 70, "D": 0}))


def test_rules_for_a_month_are_the_latest_version_in_force_then():
    v1 = RULES
    v2 = replace(RULES, effective_from="2026-04", version=2, late_deduction_fen=5_000)
    v2_fix = replace(v2, version=3)  # a correction of the April rules, same start
    versions = [v2, v1, v2_fix]
    assert rules_for("2026-03", versions) is v1  # March is recomputed with the rules it had
    assert rules_for("2026-04", versions) is v2_fix
    assert rules_for("2027-01", versions) is v2_fix
    with pytest.raises(ValidationError) as caught:
        rules_for("2025-12", versions)
    assert caught.value.field == "month"
    with pytest.raises(ValidationError) as caught:
        rules_for("2026-4", versions)
    assert caught.value.field == "month"
    with pytest.raises(ValidationError) as caught:
        rules_for("2026-04", [v1, replace(v2, department_id="CANTEEN")])
    assert caught.value.field == "department_id"


# ---------------------------------------------------------------- earnings lines
def test_performance_pay_is_the_base_times_the_score():
    grades = ["A"] * 10 + ["B"] * 8 + ["C"] * 4
    line = performance_line(200_000, grades, DEFAULT_GRADE_SCORES)
    # (10 x 100 + 8 x 85 + 4 x 70) / 22 = 1,960 / 22 = 89.0909 -> 89.09; 2,000.00 x 89.09% = 1,781.80
    assert line.amount_fen == 178_180
    assert line.inputs == {"performance_base_fen": 200_000, "grades": {"A": 10, "B": 8, "C": 4}, "days_graded": 22,
                           "grade_scores": {"A": "100", "B": "85", "C": "70", "D": "50"}, "score": "89.09"}


def test_performance_pay_rounds_half_up_and_is_zero_without_grades():
    # 1,500.01 x 85.00% = 1,275.0085 -> 1,275.01
    assert performance_line(150_001, ["B"], DEFAULT_GRADE_SCORES).amount_fen == 127_501
    line = performance_line(200_000, [], DEFAULT_GRADE_SCORES)
    assert (line.amount_fen, line.inputs["score"], line.inputs["note"]) == (0, None, "no grades")


def test_piece_rate_pays_each_fault_once():
    work = [
        PieceWork("R1", "minor"),
        PieceWork("R2", "major"),
        PieceWork("R1", "minor"),  # reopened and done again: same ticket
        PieceWork("R3", "minor", rework_of="R2"),  # a new ticket for R2's fault
        PieceWork("R4", "major", rework_of="R0"),  # R0 was paid last month
        PieceWork("R5", "minor", rework_of="R9"),  # R9 never paid (not confirmed): R5 is paid
        PieceWork("R0", "major"),  # paid last month
    ]
    line = piece_rate_line(work, RULES.piece_rates_fen, already_paid={"R0"})
    # R1 30.00 + R2 80.00 + R5 30.00 = 140.00
    assert line.amount_fen == 14_000
    assert [p["ticket_id"] for p in line.inputs["paid"]] == ["R1", "R2", "R5"]
    assert line.inputs["paid"][1] == {"ticket_id": "R2", "ticket_class": "major", "rate_fen": 8_000}
    assert line.inputs["skipped"] == [
        {"ticket_id": "R1", "reason": "already paid"},
        {"ticket_id": "R3", "reason": "rework of R2, paid once"},
        {"ticket_id": "R4", "reason": "rework of R0, paid once"},
        {"ticket_id": "R0", "reason": "already paid"},
    ]


def test_a_rework_listed_before_its_original_is_still_not_paid():
    line = piece_rate_line([PieceWork("R3", "minor", rework_of="R2"), PieceWork("R2", "major")],
                               RULES.piece_rates_fen)
    assert (line.amount_fen, line.inputs["skipped"][0]["ticket_id"]) == (8_000, "R3")


def test_a_ticket_class_without_a_rate_is_refused():
    with pytest.raises(ValidationError) as caught:
        piece_rate_line([PieceWork("R1", "urgent")], RULES.piece_rates_fen)
    assert caught.value.field == "ticket_class"


def test_bonus_pool_split_by_largest_remainder_sums_exactly():
    # pool = 100,000.00 x 5% = 5,000.00; points 100 + 85 + 70 = 255
    split = split_bonus_pool(10_000_000, D("0.05"), {"S1": D(100), "S2": D(85), "S3": D(70)})
    # exact: S1 196,078.43 fen, S2 166,666.67, S3 137,254.90 -> floors sum 499,998; 2 fen left go to the
    # largest fractions: S3 (.90) and S2 (.67)
    assert split.pool_fen == 500_000
    assert split.parts == {"S1": 196_078, "S2": 166_667, "S3": 137_255}
    assert sum(split.parts.values()) == split.pool_fen and split.unpaid_fen == 0
    assert split.inputs_for("S2") == {"income_fen": 10_000_000, "share": "0.05", "pool_fen": 500_000,
                                      "points": "85", "total_points": "255", "unpaid_fen": 0}


def test_bonus_pool_equal_fractions_go_to_the_smaller_staff_id():
    # pool 1.00 among three equal points: 33.33 fen each, 1 fen left -> S1 (the smallest id), whatever the order
    split = split_bonus_pool(100, D(1), {"S3": D(90), "S1": D(90), "S2": D(90)})
    assert split.parts == {"S1": 34, "S2": 33, "S3": 33}


def test_bonus_pool_is_rounded_half_up_and_zero_points_leave_it_unpaid():
    # 3.33 x 50% = 1.665 -> 1.67
    assert split_bonus_pool(333, D("0.5"), {"S1": D(1)}).parts == {"S1": 167}
    nobody = split_bonus_pool(10_000_000, D("0.05"), {"S1": D(0), "S2": D(0)})
    assert (nobody.parts, nobody.unpaid_fen) == ({"S1": 0, "S2": 0}, 500_000)
    assert split_bonus_pool(10_000_000, D("0.05"), {}).unpaid_fen == 500_000


@pytest.mark.parametrize(("args", "field"), [
    ((-1, D("0.05"), {"S1": D(1)}), "income"),
    ((100, D("1.5"), {"S1": D(1)}), "share"),
    ((100, D("0.5"), {"S1": D(-1)}), "points"),
    ((100, D("0.5"), {"S1": 1.5}), "points"),
])
def test_bonus_pool_inputs_are_checked(args, field):
    with pytest.raises(ValidationError) as caught:
        split_bonus_pool(*args)
    assert caught.value.field == field


def test_named_bonuses_of_the_four_kinds_only():
    line = award_line(Award("special_contribution", 100_000, "burst pipe, night of 3 March"))
    assert (line.code, line.label_zh, line.amount_fen) == ("award_special_contribution", "特殊贡献奖", 100_000)
    assert [award_line(Award(kind, 1)).label_zh for kind in ("post", "suggestion", "saving")] == [
        "岗位奖", "建议奖", "节约奖"]
    with pytest.raises(ValidationError) as caught:
        Award("overtime", 100)
    assert caught.value.field == "kind"
    with pytest.raises(ValidationError) as caught:
        Award("post", -100)
    assert caught.value.field == "amount_fen"


def test_attendance_deductions_per_late_early_and_absent_day():
    month = AttendanceSummary(workdays=22, present_days=19, late_count=2, early_count=1, absent_days=2,
                              leave_days=1)
    lines = attendance_lines(month, 500_005, RULES)
    # late 2 x 20.00 = 40.00; early 1 x 30.00; absent: 5,000.05 / 22 = 227.275 -> 227.28 a day x 2 = 454.56
    assert amounts(lines) == {"late": -4_000, "early_leave": -3_000, "absent": -45_456}
    assert lines[2].inputs == {"absent_days": 2, "post_salary_fen": 500_005, "workdays": 22, "per_day_fen": 22_728}
    with pytest.raises(ValidationError) as caught:
        attendance_lines(replace(month, workdays=0), 500_005, RULES)
    assert caught.value.field == "attendance"


# ---------------------------------------------------------------- the payslip
def support_staff_april() -> PayslipInput:
    return PayslipInput(
        staff_id="S2",
        month="2026-04",
        months_in_year=4,
        post_salary_fen=600_000,  # 6,000.00
        social_insurance_base_fen=800_000,
        attendance=replace(FULL_MONTH, present_days=21, late_count=2, early_count=1, absent_days=1),
        support_staff=True,
        grades=("A",) * 10 + ("B",) * 8 + ("C",) * 4,
        piece_work=(PieceWork("R1", "minor"), PieceWork("R2", "major"), PieceWork("R2", "major")),
        bonus_split=split_bonus_pool(10_000_000, D("0.05"), {"S1": D(100), "S2": D(85), "S3": D(70)}),
        awards=(Award("suggestion", 50_000, "shared tool shed"),),
        special_additional_deduction_fen=100_000,
    )


def test_a_support_staff_payslip_line_by_line():
    # Jan-Mar so far: income 27,000, insurance 5,400, special additional 3,000;
    # taxable 27,000 - 15,000 - 5,400 - 3,000 = 3,600 -> 108.00 withheld
    ytd = TaxYearToDate(income_fen=2_700_000, insurance_fen=540_000, additional_fen=300_000, tax_withheld_fen=10_800)
    slip = compute_payslip(support_staff_april(), RULES, ytd)
    assert amounts(slip.lines) == {
        "post_salary": 600_000,  # 6,000.00
        "performance": 178_180,  # 2,000.00 x 89.09% (see test_performance_pay_is_the_base_times_the_score)
        "piece_rate": 11_000,  # R1 30.00 + R2 80.00 (R2 again not paid)
        "bonus_pool": 166_667,  # S2's part of the 5,000.00 pool
        "award_suggestion": 50_000,
        "late": -4_000,  # 2 x 20.00
        "early_leave": -3_000,  # 1 x 30.00
        "absent": -27_273,  # 6,000.00 / 22 = 272.727 -> 272.73
        "pension": -64_000, "medical": -16_000, "unemployment": -4_000, "housing_fund": -96_000,  # on 8,000.00
        "income_tax": -5_747,
    }
    # gross 6,000 + 1,781.80 + 110 + 1,666.67 + 500 - 40 - 30 - 272.73 = 9,715.74
    assert slip.gross_fen == 971_574
    assert slip.deductions_fen == 180_000  # 640 + 160 + 40 + 960
    # taxable so far 27,000 + 9,715.74 - 20,000 - 7,200 - 4,000 = 5,515.74; x 3% = 165.4722 -> 165.47; - 108.00
    assert slip.tax.taxable_fen == 551_574
    assert (slip.tax.cumulative_tax_fen, slip.tax_fen) == (16_547, 5_747)
    assert slip.net_fen == 785_827  # 9,715.74 - 1,800.00 - 57.47
    assert sum(line.amount_fen for line in slip.lines) == slip.net_fen
    assert slip.year_to_date == TaxYearToDate(3_671_574, 720_000, 400_000, 0, 16_547)
    assert (slip.score, slip.department_id, slip.rules_version, slip.warnings) == (D("89.09"), "PROPERTY", 1, ())


def test_staff_without_a_daily_log_get_no_performance_line():
    regular = replace(support_staff_april(), support_staff=False, grades=(), piece_work=(), bonus_split=None,
                      awards=())
    slip = compute_payslip(regular, RULES, TaxYearToDate())
    assert "performance" not in amounts(slip.lines) and slip.score is None
    with pytest.raises(ValidationError) as caught:
        compute_payslip(replace(regular, grades=("A",)), RULES, TaxYearToDate())
    assert caught.value.field == "grades"


def test_a_support_staff_member_without_grades_gets_a_zero_performance_line():
    slip = compute_payslip(replace(support_staff_april(), grades=()), RULES, TaxYearToDate())
    performance = next(line for line in slip.lines if line.code == "performance")
    assert (performance.amount_fen, performance.inputs["note"], slip.score) == (0, "no grades", None)


def test_four_months_of_tax_across_a_rules_change():
    # v2 from March: a late day costs 50.00 instead of 10.00. Insurance 8% + 2% + 0% + 10% of 10,000.00 = 2,000.00
    v1 = replace(RULES, late_deduction_fen=1_000, contributions=ContributionRules(
        0, 5_000_000, unemployment_rate=D(0), housing_fund_rate=D("0.10")))
    v2 = replace(v1, effective_from="2026-03", version=2, late_deduction_fen=5_000)
    ytd, slips = TaxYearToDate(), []
    for n in range(1, 5):
        month = f"2026-{n:02d}"
        inputs = PayslipInput(staff_id="E7", month=month, months_in_year=n, post_salary_fen=2_000_000,
                              social_insurance_base_fen=1_000_000, attendance=replace(FULL_MONTH, late_count=1),
                              special_additional_deduction_fen=100_000)
        slip = compute_payslip(inputs, rules_for(month, [v1, v2]), ytd)
        slips.append(slip)
        ytd = slip.year_to_date
    # gross: 20,000 - 10 (Jan, Feb) and 20,000 - 50 (Mar, Apr)
    assert [s.gross_fen for s in slips] == [1_999_000, 1_999_000, 1_995_000, 1_995_000]
    assert [s.rules_version for s in slips] == [1, 1, 2, 2]
    # taxable so far: 19,990 - 8,000 = 11,990; 39,980 - 16,000 = 23,980; 59,930 - 24,000 = 35,930;
    # 79,880 - 32,000 = 47,880 (deductions 5,000 + 2,000 + 1,000 a month)
    assert [s.tax.taxable_fen for s in slips] == [1_199_000, 2_398_000, 3_593_000, 4_788_000]
    # 359.70; 719.40 - 359.70 = 359.70; 1,077.90 - 719.40 = 358.50; 4,788 - 2,520 = 2,268.00 - 1,077.90 = 1,190.10
    assert [s.tax_fen for s in slips] == [35_970, 35_970, 35_850, 119_010]
    assert [s.net_fen for s in slips] == [1_763_030, 1_763_030, 1_759_150, 1_675_990]  # gross - 2,000 - tax
    assert ytd.tax_withheld_fen == 226_800  # 359.70 + 359.70 + 358.50 + 1,190.10 = 2,268.00


def test_a_net_below_zero_is_kept_and_flagged():
    absent_month = replace(FULL_MONTH, present_days=0, absent_days=22, late_count=1)
    inputs = PayslipInput(staff_id="E9", month="2026-02", months_in_year=1, post_salary_fen=100_000,
                          social_insurance_base_fen=0, attendance=absent_month)
    slip = compute_payslip(inputs, RULES, TaxYearToDate())
    # 1,000.00 - 22 x 45.45 (1,000 / 22 = 45.4545) - 20.00 late = -19.90; insurance on the 4,000.00 floor = 900.00
    assert (slip.gross_fen, slip.deductions_fen, slip.tax_fen) == (-1_990, 90_000, 0)
    assert slip.net_fen == -91_990
    assert slip.warnings == (NET_BELOW_ZERO,)


@pytest.mark.parametrize(("changes", "rules", "field"), [
    ({"months_in_year": 5}, RULES, "months_in_year"),  # five months paid by April is impossible
    ({"months_in_year": 0}, RULES, "months_in_year"),
    ({"month": "2026-4"}, RULES, "month"),
    ({}, replace(RULES, effective_from="2026-05"), "effective_from"),  # May's rules for April
    ({}, replace(RULES, bonus_pool_share=D("0.06")), "bonus_split"),  # the split used 5%
    ({"staff_id": "S9"}, RULES, "bonus_split"),  # not among the points
    ({"post_salary_fen": -1}, RULES, "post_salary_fen"),
    ({}, replace(RULES, version=0), "version"),  # the rules are validated first
])
def test_payslip_inputs_are_checked(changes, rules, field):
    with pytest.raises(ValidationError) as caught:
        compute_payslip(replace(support_staff_april(), **changes), rules, TaxYearToDate())
    assert caught.value.field == field


# ---------------------------------------------------------------- the payroll run
def test_a_run_from_creation_to_approval():
    state = transition(None, "create", FINANCE)
    assert state == RunState.QUEUED
    for action, actor, expected in [("start", SYSTEM, RunState.COMPUTING), ("finish", SYSTEM, RunState.DRAFT),
                                    ("submit", FINANCE, RunState.SUBMITTED), ("approve", LEADER, RunState.APPROVED)]:
        state = transition(state, action, actor)
        assert state == expected


@pytest.mark.parametrize(("state", "actor", "action", "reason", "expected"), [
    (RunState.COMPUTING, SYSTEM, "fail", None, RunState.FAILED),
    (RunState.FAILED, FINANCE, "recompute", None, RunState.QUEUED),
    (RunState.DRAFT, FINANCE, "recompute", None, RunState.QUEUED),
    (RunState.SUBMITTED, LEADER, "reject", "piece rates for March are missing", RunState.REJECTED),
    (RunState.REJECTED, FINANCE, "recompute", None, RunState.QUEUED),
])
def test_failed_drafted_and_rejected_runs_go_back_to_the_queue(state, actor, action, reason, expected):
    assert transition(state, action, actor, reason) == expected


@pytest.mark.parametrize("action", sorted(RUN_TRANSITIONS))
@pytest.mark.parametrize("actor", [FINANCE, LEADER, SYSTEM])
def test_an_approved_run_is_locked_for_everyone(action, actor):
    with pytest.raises(Conflict) as caught:
        transition(RunState.APPROVED, action, actor, reason="late correction")
    assert caught.value.code == "run_locked"
    assert "locked" in caught.value.message


@pytest.mark.parametrize(("state", "action", "actor"), [
    (None, "create", LEADER),
    (RunState.DRAFT, "submit", LEADER),
    (RunState.SUBMITTED, "approve", FINANCE),  # finance does not approve its own run
    (RunState.SUBMITTED, "reject", FINANCE),
    (RunState.QUEUED, "start", FINANCE),  # only the payroll worker computes
    (RunState.COMPUTING, "finish", Actor("F2", frozenset({Role.FINANCE, Role.LEADER, Role.ADMIN}))),
    (RunState.DRAFT, "submit", SYSTEM),
])
def test_the_wrong_role_is_forbidden(state, action, actor):
    with pytest.raises(Forbidden):
        transition(state, action, actor, reason="because")


@pytest.mark.parametrize(("state", "action", "actor", "named"), [
    (RunState.QUEUED, "submit", FINANCE, "queued"),
    (RunState.COMPUTING, "recompute", FINANCE, "computing"),  # wait for the worker
    (RunState.DRAFT, "approve", LEADER, "draft"),  # submit first
    (RunState.QUEUED, "create", FINANCE, "queued"),
    (None, "submit", FINANCE, "new"),
])
def test_the_wrong_state_is_a_conflict_naming_it(state, action, actor, named):
    with pytest.raises(Conflict) as caught:
        transition(state, action, actor)
    assert caught.value.code == "illegal_transition"
    assert named in caught.value.message


def test_a_rejection_needs_a_reason_and_actions_are_known():
    for reason in (None, "", "  "):
        with pytest.raises(ValidationError) as caught:
            transition(RunState.SUBMITTED, "reject", LEADER, reason)
        assert caught.value.field == "reason"
    with pytest.raises(ValidationError) as caught:
        transition(RunState.DRAFT, "publish", FINANCE)
    assert caught.value.field == "action"


# ---------------------------------------------------------------- months and display
@pytest.mark.parametrize(("month", "today"), [("2026-13", "2026-12"), ("2026-4", "2026-04"), ("26-04", "2026-04"),
                                              ("", "2026-04"), ("2026-05", "2026-04")])
def test_a_payroll_month_is_well_formed_and_not_in_the_future(month, today):
    with pytest.raises(ValidationError) as caught:
        validate_month(month, today)
    assert caught.value.field == "month"


def test_this_month_and_past_months_are_fine():
    validate_month("2026-04", "2026-04")
    validate_month("2025-12", "2026-04")


@pytest.mark.parametrize(("account", "masked"), [
    ("6222021234567890123", "*" * 15 + "0123"),
    ("6222 0212 3456 7890", "*" * 12 + "7890"),  # blanks are not digits
    ("1234", "****"),  # too short to show anything
    ("", ""),
])
def test_an_account_shows_only_its_last_four_digits(account, masked):
    assert mask_account(account) == masked


def test_a_november_go_live_withholds_on_the_whole_year_with_the_previous_systems_figures():
    """January to October by the previous system: 100,000.00 income, 10,000.00 insurance, 10 months; taxable
    40,000.00 at 10% less 2,520.00 = 1,480.00 withheld. Houqin's November: 10,000.00, insurance 1,000.00. The year:
    110,000.00 - 11 x 5,000.00 - 11,000.00 = 44,000.00 taxable, 1,880.00 tax so far: 400.00 this month (without
    the opening figures it would be 3% of 4,000.00 = 120.00, as if November were the first month of the year)."""
    opening = TaxYearToDate(income_fen=10_000_000, insurance_fen=1_000_000, tax_withheld_fen=148_000)
    ytd, months = with_opening(TaxYearToDate(), 0, opening, 10)
    assert (ytd, months) == (opening, 10)
    november = withholding_tax(ytd, MonthTaxInput(months + 1, 1_000_000, insurance_fen=100_000))
    assert (november.taxable_fen, november.cumulative_tax_fen, november.tax_fen) == (4_400_000, 188_000, 40_000)
    alone = withholding_tax(TaxYearToDate(), MonthTaxInput(1, 1_000_000, insurance_fen=100_000))
    assert alone.tax_fen == 12_000
    # December: November's payslip carries the opening figures on; only the months are added again
    december = with_opening(november.year_to_date, 1, opening, 10)
    assert december == (november.year_to_date, 11)
    assert with_opening(november.year_to_date, 1, None, 0) == (november.year_to_date, 1)
