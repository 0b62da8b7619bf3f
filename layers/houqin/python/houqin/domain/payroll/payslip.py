"""One person's payslip for one month (``compute_payslip``): the gross lines (houqin.domain.payroll.earnings),
then the employee's contributions and the income tax as negative lines, adding up to the net by hand;
and the masked bank account a payslip shows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from houqin.domain.attendance import AttendanceSummary
from houqin.domain.payroll.contributions import contribution_lines
from houqin.domain.payroll.earnings import (
    Award,
    BonusSplit,
    PieceWork,
    attendance_lines,
    award_line,
    performance_line,
    piece_rate_line,
    post_salary_line,
)
from houqin.domain.payroll.lines import Line, check_money, check_month
from houqin.domain.payroll.rules import PayRules, validate_rules
from houqin.domain.payroll.tax import MonthTaxInput, TaxResult, TaxYearToDate, withholding_tax
from houqin.domain.worklogs import monthly_score
from houqin.errors import ValidationError

NET_BELOW_ZERO = "net below zero"


@dataclass(frozen=True)
class PayslipInput:
    """Everything about one person's month that is not a department rule.

    ``support_staff`` (二线员工) keep a daily log their manager grades; they get a performance line
    (zero without grades). Other staff have no daily grades and no performance line at all.
    ``bonus_split`` is the department's split for the month (``split_bonus_pool`` with the rules'
    share); ``already_paid_ticket_ids`` are tickets paid in earlier months, to anyone."""

    staff_id: str
    month: str
    months_in_year: int
    post_salary_fen: int
    social_insurance_base_fen: int
    attendance: AttendanceSummary
    support_staff: bool = False
    grades: tuple[str, ...] = ()
    piece_work: tuple[PieceWork, ...] = ()
    already_paid_ticket_ids: frozenset[str] = frozenset()
    bonus_split: BonusSplit | None = None
    awards: tuple[Award, ...] = ()
    special_additional_deduction_fen: int = 0  # 专项附加扣除 for this month
    other_deduction_fen: int = 0


@dataclass(frozen=True)
class Payslip:
    """``lines`` add up to ``net_fen``: the gross lines, then contributions and tax as negative lines.
    ``deductions_fen`` is the employee's social insurance and housing fund, as a positive number."""

    staff_id: str
    month: str
    department_id: str
    rules_version: int
    score: Decimal | None
    lines: tuple[Line, ...]
    gross_fen: int
    deductions_fen: int
    tax_fen: int
    net_fen: int
    tax: TaxResult
    year_to_date: TaxYearToDate  # carry to next month (same tax year)
    warnings: tuple[str, ...] = ()


def compute_payslip(inputs: PayslipInput, rules: PayRules, ytd: TaxYearToDate) -> Payslip:
    """One person's pay for one month under the given rules, with ``ytd`` the tax year so far.

    A net below zero is not an error (a month of absence can cost more than it pays): it is kept and
    flagged in ``warnings`` for finance to look at before submitting the run."""
    validate_rules(rules)
    _check_input(inputs, rules)
    score = monthly_score(inputs.grades, rules.grade_scores) if inputs.support_staff else None
    earnings = [post_salary_line(inputs.post_salary_fen)]
    if inputs.support_staff:
        earnings.append(performance_line(rules.performance_base_fen, inputs.grades, rules.grade_scores))
    if inputs.piece_work:
        earnings.append(piece_rate_line(inputs.piece_work, rules.piece_rates_fen, inputs.already_paid_ticket_ids))
    if inputs.bonus_split is not None:
        split = inputs.bonus_split
        earnings.append(Line("bonus_pool", "奖金池分配", "bonus pool share", split.parts[inputs.staff_id],
                             split.inputs_for(inputs.staff_id)))
    earnings.extend(award_line(a) for a in inputs.awards)
    earnings.extend(attendance_lines(inputs.attendance, inputs.post_salary_fen, rules))
    gross = sum(line.amount_fen for line in earnings)

    contributions = contribution_lines(inputs.social_insurance_base_fen, rules.contributions)
    deductions = -sum(line.amount_fen for line in contributions)
    tax = withholding_tax(ytd, MonthTaxInput(inputs.months_in_year, gross, deductions,
                                             inputs.special_additional_deduction_fen, inputs.other_deduction_fen))
    tax_line = Line("income_tax", "个人所得税", "individual income tax", -tax.tax_fen, tax.inputs())
    net = gross - deductions - tax.tax_fen
    return Payslip(inputs.staff_id, inputs.month, rules.department_id, rules.version, score,
                   (*earnings, *contributions, tax_line), gross, deductions, tax.tax_fen, net, tax,
                   tax.year_to_date, (NET_BELOW_ZERO,) if net < 0 else ())


def _check_input(inputs: PayslipInput, rules: PayRules) -> None:
    check_month(inputs.month, "month")
    if rules.effective_from > inputs.month:
        raise ValidationError(f"rules from {rules.effective_from} do not apply to {inputs.month}",
                              field="effective_from")
    if not 1 <= inputs.months_in_year <= int(inputs.month[5:]):
        raise ValidationError(f"months_in_year is 1 to the month's number ({int(inputs.month[5:])})",
                              field="months_in_year")
    for name in ("post_salary_fen", "special_additional_deduction_fen", "other_deduction_fen"):
        check_money(getattr(inputs, name), name)
    if inputs.grades and not inputs.support_staff:
        raise ValidationError("only support staff are graded daily", field="grades")
    split = inputs.bonus_split
    if split is not None:
        if split.share != rules.bonus_pool_share:
            raise ValidationError("the bonus split used another share than the rules", field="bonus_split")
        if inputs.staff_id not in split.parts:
            raise ValidationError(f"{inputs.staff_id} is not in the department's bonus split", field="bonus_split")


def mask_account(account: str) -> str:
    """A bank account with only its last 4 characters shown; 4 or fewer are masked whole."""
    text = "".join(account.split())
    return "*" * len(text) if len(text) <= 4 else "*" * (len(text) - 4) + text[-4:]
