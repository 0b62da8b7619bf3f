"""Staff pay (工薪管理): daily grades, the monthly payslip, income tax, social insurance, the payroll run.

Pure rules: figures in, figures out, every line naming what went into it so anyone can check it by
hand. No AWS, no clock, no environment: "which month is it" and "which rules were in force" are
arguments.

Money is integer fen (分), never a float. Rates and scores are ``Decimal``.

Rounding rule: every computed money line is rounded to the fen once, ROUND_HALF_UP (half a fen goes
up), and the lines are then summed as integers. Nothing is rounded twice and every total is the exact
sum of the lines shown, so a payslip adds up by hand. Where a rule states a money rate per unit (the
absence deduction per day = post salary / workdays of the month), that rate is the rounded amount
and is multiplied by whole days. A bonus pool is rounded once, as a whole, and then split by the
largest-remainder method so that its parts add up to it exactly (``split_bonus_pool``).

A payslip, line by line::

    post salary (按岗定薪)              the post's monthly salary
  + performance pay (绩效工资)          support staff only: performance base x monthly score / 100
  + piece-rate pay (计件工资)           each completed and confirmed repair ticket at its class rate, once
  + bonus pool share (奖金池)           the unit's month income x pool share, split by points
  + named bonuses (奖励)                post, suggestion, special contribution, saving, entered by finance
  - attendance deductions (考勤扣款)    late, early leave, absent days
  = gross (应发)
  - employee social insurance and housing fund (三险一金), on the clamped base
  - individual income tax (个人所得税), cumulative withholding (累计预扣法)
  = net (实发)

Income tax is always withheld (there is no switch). Cumulative withholding, per tax (calendar) year
and employer: taxable so far = income so far - 5,000 yuan x months paid so far - employee insurance
and fund so far (专项扣除) - special additional deductions so far (专项附加扣除) - other deductions so
far, at least 0; tax so far = taxable x rate - quick deduction from the annual table; this month's
tax = tax so far - tax already withheld this year, at least 0 (withholding never refunds; the annual
settlement does). January starts from an empty ``TaxYearToDate``.

Payroll run life cycle (the run of one department for one month)::

    (new) -> queued                           finance
    queued -> computing -> draft | failed     the payroll worker (``SYSTEM``)
    draft | failed | rejected -> queued       finance recomputes
    draft -> submitted                        finance
    submitted -> approved                     a leader; an approved run is locked for good
    submitted -> rejected                     a leader, with a reason
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from houqin.domain.actors import SYSTEM, Actor, Role
from houqin.domain.attendance import AttendanceSummary
from houqin.errors import Conflict, Forbidden, ValidationError

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
GRADES = ("A", "B", "C", "D")
DEFAULT_GRADE_SCORES: Mapping[str, int] = MappingProxyType({"A": 100, "B": 85, "C": 70, "D": 50})
TALK_BELOW = Decimal(60)  # a score persistently below this triggers a talk (004)
BASIC_DEDUCTION_FEN = 500_000  # 5,000 yuan for every month paid this year
# The annual table on cumulative taxable income: (upper bound in fen, None above the last; rate;
# quick deduction in fen).
TAX_BRACKETS: tuple[tuple[int | None, Decimal, int], ...] = (
    (3_600_000, Decimal("0.03"), 0),
    (14_400_000, Decimal("0.10"), 252_000),
    (30_000_000, Decimal("0.20"), 1_692_000),
    (42_000_000, Decimal("0.25"), 3_192_000),
    (66_000_000, Decimal("0.30"), 5_292_000),
    (96_000_000, Decimal("0.35"), 8_592_000),
    (None, Decimal("0.45"), 18_192_000),
)
# Named bonuses finance enters by hand (003): kind -> (Chinese, English).
AWARD_KINDS = {
    "post": ("岗位奖", "post bonus"),
    "suggestion": ("建议奖", "suggestion bonus"),
    "special_contribution": ("特殊贡献奖", "special contribution bonus"),
    "saving": ("节约奖", "saving bonus"),
}
# Employee contributions: rule field -> (line code, Chinese, English).
CONTRIBUTION_ITEMS = {
    "pension_rate": ("pension", "养老保险", "pension insurance"),
    "medical_rate": ("medical", "医疗保险", "medical insurance"),
    "unemployment_rate": ("unemployment", "失业保险", "unemployment insurance"),
    "housing_fund_rate": ("housing_fund", "住房公积金", "housing fund"),
}
NET_BELOW_ZERO = "net below zero"


# ---------------------------------------------------------------- lines and rounding
@dataclass(frozen=True)
class Line:
    """One line of a payslip. ``inputs`` holds plain JSON values (rates and scores as text) so the
    line can be stored and shown as it is, and re-computed by hand from what it names."""

    code: str
    label_zh: str
    label_en: str
    amount_fen: int
    inputs: dict[str, Any]


def round_fen(amount: Decimal | int) -> int:
    """Money to a whole fen, half up (the only rounding a money line gets)."""
    return int(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------- months
def validate_month(month: str, today_month: str) -> None:
    """A payroll month is ``YYYY-MM`` and not later than the current month."""
    _check_month(month, "month")
    _check_month(today_month, "today_month")
    if month > today_month:
        raise ValidationError(f"{month} is in the future", field="month")


def _check_month(month: str, name: str) -> None:
    if not (isinstance(month, str) and MONTH.fullmatch(month)):
        raise ValidationError(f"{name} must be YYYY-MM", field=name)


# ---------------------------------------------------------------- daily grades (A/B/C/D)
def monthly_score(grades: Iterable[str], scores: Mapping[str, int | Decimal] = DEFAULT_GRADE_SCORES
                  ) -> Decimal | None:
    """The mean score of the month's graded days to 0.01 (half up); None when no day was graded."""
    grades = list(grades)
    unknown = [g for g in grades if g not in scores]
    if unknown:
        raise ValidationError(f"unknown grade {unknown[0]!r}; grades are {', '.join(scores)}", field="grade")
    if not grades:
        return None
    mean = sum((Decimal(scores[g]) for g in grades), Decimal(0)) / len(grades)
    return mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def needs_talk(monthly_scores_oldest_first: Sequence[Decimal | None], threshold: Decimal = TALK_BELOW,
               months: int = 3) -> bool:
    """True when each of the last ``months`` months has a score and every one is below the threshold.
    A month without a score breaks the run: "persistently below" needs evidence every month."""
    if months < 1:
        raise ValidationError("months must be at least 1", field="months")
    recent = list(monthly_scores_oldest_first)[-months:]
    return len(recent) == months and all(s is not None and s < threshold for s in recent)


# ---------------------------------------------------------------- income tax, cumulative withholding
@dataclass(frozen=True)
class TaxYearToDate:
    """This employer's running totals for one person in one tax year, before the month at hand."""

    income_fen: int = 0
    insurance_fen: int = 0  # 专项扣除: the employee's social insurance and housing fund
    additional_fen: int = 0  # 专项附加扣除: children's education, housing loan interest, elderly care ...
    other_fen: int = 0  # 其他扣除
    tax_withheld_fen: int = 0


@dataclass(frozen=True)
class MonthTaxInput:
    """One month's figures. ``months_in_year`` counts the months this employer has paid this person
    this year, the current one included (it multiplies the 5,000 yuan basic deduction)."""

    months_in_year: int
    income_fen: int
    insurance_fen: int = 0
    additional_fen: int = 0
    other_fen: int = 0


@dataclass(frozen=True)
class TaxResult:
    months_in_year: int
    cumulative_income_fen: int
    basic_deduction_fen: int
    cumulative_insurance_fen: int
    cumulative_additional_fen: int
    cumulative_other_fen: int
    taxable_fen: int
    rate: Decimal
    quick_deduction_fen: int
    cumulative_tax_fen: int
    withheld_before_fen: int
    tax_fen: int  # this month's

    @property
    def cumulative_deductions_fen(self) -> int:
        return (self.basic_deduction_fen + self.cumulative_insurance_fen + self.cumulative_additional_fen
                + self.cumulative_other_fen)

    @property
    def year_to_date(self) -> TaxYearToDate:
        """The totals to carry to next month: what was actually withheld, not the cumulative tax."""
        return TaxYearToDate(self.cumulative_income_fen, self.cumulative_insurance_fen,
                             self.cumulative_additional_fen, self.cumulative_other_fen,
                             self.withheld_before_fen + self.tax_fen)

    def inputs(self) -> dict[str, Any]:
        return {"months_in_year": self.months_in_year, "cumulative_income_fen": self.cumulative_income_fen,
                "basic_deduction_fen": self.basic_deduction_fen,
                "cumulative_insurance_fen": self.cumulative_insurance_fen,
                "cumulative_additional_fen": self.cumulative_additional_fen,
                "cumulative_other_fen": self.cumulative_other_fen,
                "cumulative_deductions_fen": self.cumulative_deductions_fen, "taxable_fen": self.taxable_fen,
                "rate": str(self.rate), "quick_deduction_fen": self.quick_deduction_fen,
                "cumulative_tax_fen": self.cumulative_tax_fen, "withheld_before_fen": self.withheld_before_fen}


def withholding_tax(ytd: TaxYearToDate, month: MonthTaxInput) -> TaxResult:
    """This month's income tax by cumulative withholding (see the module docstring).

    The month's income may be below zero (deductions larger than the pay); the deductions may not."""
    if not 1 <= month.months_in_year <= 12:
        raise ValidationError("months_in_year is 1 to 12", field="months_in_year")
    for name in ("insurance_fen", "additional_fen", "other_fen"):
        if getattr(month, name) < 0:
            raise ValidationError(f"{name} cannot be negative", field=name)
    income = ytd.income_fen + month.income_fen
    basic = BASIC_DEDUCTION_FEN * month.months_in_year
    insurance = ytd.insurance_fen + month.insurance_fen
    additional = ytd.additional_fen + month.additional_fen
    other = ytd.other_fen + month.other_fen
    taxable = max(0, income - basic - insurance - additional - other)
    rate, quick = _bracket(taxable)
    cumulative_tax = round_fen(taxable * rate) - quick
    return TaxResult(month.months_in_year, income, basic, insurance, additional, other, taxable, rate, quick,
                     cumulative_tax, ytd.tax_withheld_fen, max(0, cumulative_tax - ytd.tax_withheld_fen))


def _bracket(taxable_fen: int) -> tuple[Decimal, int]:
    for upper, rate, quick in TAX_BRACKETS:
        if upper is None or taxable_fen <= upper:
            return rate, quick
    raise AssertionError("the last bracket has no upper bound")


# ---------------------------------------------------------------- social insurance and housing fund
@dataclass(frozen=True)
class ContributionRules:
    """The employee's share of social insurance and housing fund (三险一金). One base for all four
    items: the staff member's declared base clamped to [floor, cap], which the city sets each year."""

    base_floor_fen: int
    base_cap_fen: int
    pension_rate: Decimal = Decimal("0.08")
    medical_rate: Decimal = Decimal("0.02")
    unemployment_rate: Decimal = Decimal("0.005")
    housing_fund_rate: Decimal = Decimal("0.12")


def contribution_lines(declared_base_fen: int, rules: ContributionRules) -> tuple[Line, ...]:
    """One negative line per item: the clamped base x the item's rate, each rounded to the fen."""
    validate_contributions(rules)
    _check_money(declared_base_fen, "social_insurance_base_fen")
    base = min(max(declared_base_fen, rules.base_floor_fen), rules.base_cap_fen)
    lines = []
    for name, (code, label_zh, label_en) in CONTRIBUTION_ITEMS.items():
        rate: Decimal = getattr(rules, name)
        lines.append(Line(code, label_zh, label_en, -round_fen(base * rate),
                          {"declared_base_fen": declared_base_fen, "base_floor_fen": rules.base_floor_fen,
                           "base_cap_fen": rules.base_cap_fen, "base_fen": base, "rate": str(rate)}))
    return tuple(lines)


def validate_contributions(rules: ContributionRules) -> None:
    """Fields are named as in ``PayRules`` (``contributions.pension_rate``)."""
    for name in ("base_floor_fen", "base_cap_fen"):
        _check_money(getattr(rules, name), f"contributions.{name}")
    if rules.base_floor_fen > rules.base_cap_fen:
        raise ValidationError("the base floor is above the cap", field="contributions.base_floor_fen")
    for name in CONTRIBUTION_ITEMS:
        _check_fraction(getattr(rules, name), f"contributions.{name}")
    if sum(getattr(rules, name) for name in CONTRIBUTION_ITEMS) >= 1:
        raise ValidationError("the contribution rates must add up to less than 1", field="contributions")


# ---------------------------------------------------------------- pay rules, versioned per department
@dataclass(frozen=True)
class PayRules:
    """A department's pay rules from ``effective_from`` (YYYY-MM) until a later version takes over.

    Absence is deducted at the post salary / the month's workdays (rounded to the fen) per absent day;
    that is a formula, not a setting. Income tax is always withheld; it is not a setting either."""

    department_id: str
    effective_from: str
    version: int
    contributions: ContributionRules
    performance_base_fen: int = 0
    piece_rates_fen: Mapping[str, int] = field(default_factory=dict)  # ticket class ("minor", "major") -> fen
    bonus_pool_share: Decimal = Decimal(0)  # of the unit's month income, 0..1
    late_deduction_fen: int = 0  # per late day
    early_leave_deduction_fen: int = 0  # per early-leave day
    grade_scores: Mapping[str, int | Decimal] = field(default_factory=lambda: dict(DEFAULT_GRADE_SCORES))


def validate_rules(rules: PayRules) -> None:
    """Raise a ValidationError naming the first field that is wrong."""
    if not rules.department_id:
        raise ValidationError("the rules name their department", field="department_id")
    _check_month(rules.effective_from, "effective_from")
    if isinstance(rules.version, bool) or not isinstance(rules.version, int) or rules.version < 1:
        raise ValidationError("version is a whole number from 1", field="version")
    for name in ("performance_base_fen", "late_deduction_fen", "early_leave_deduction_fen"):
        _check_money(getattr(rules, name), name)
    for ticket_class, rate in rules.piece_rates_fen.items():
        _check_money(rate, f"piece_rates_fen.{ticket_class}")
    _check_fraction(rules.bonus_pool_share, "bonus_pool_share")
    _check_grade_scores(rules.grade_scores)
    validate_contributions(rules.contributions)


def rules_for(month: str, versions: Iterable[PayRules]) -> PayRules:
    """The rules in force in ``month``: the latest ``effective_from`` not after it (the higher version
    when two start the same month). A past month is recomputed with the rules it had."""
    _check_month(month, "month")
    versions = list(versions)
    if len({v.department_id for v in versions}) > 1:
        raise ValidationError("rule versions of one department only", field="department_id")
    in_force = [v for v in versions if v.effective_from <= month]
    if not in_force:
        raise ValidationError(f"no pay rules are in force in {month}", field="month")
    return max(in_force, key=lambda v: (v.effective_from, v.version))


def grade_scores_in(month: str, versions: Iterable[PayRules]) -> Mapping[str, int | Decimal]:
    """A department's grade scores in a month: those of its rules in force then (as payroll pays them), the
    defaults before it has any. The one place work-log views, the talk flag and payslips read them from."""
    in_force = [v for v in versions if v.effective_from <= month]
    return rules_for(month, in_force).grade_scores if in_force else DEFAULT_GRADE_SCORES


def _check_grade_scores(scores: Mapping[str, int | Decimal]) -> None:
    extra = sorted(set(scores) - set(GRADES))
    if extra:
        raise ValidationError(f"grades are A, B, C and D; {extra[0]!r} is not one", field=f"grade_scores.{extra[0]}")
    for grade in GRADES:
        if grade not in scores:
            raise ValidationError(f"grade {grade} has no score", field=f"grade_scores.{grade}")
        score = scores[grade]
        if not _is_number(score) or not 0 <= score <= 100:
            raise ValidationError(f"grade {grade}'s score must be 0 to 100", field=f"grade_scores.{grade}")
    if not scores["A"] > scores["B"] > scores["C"] > scores["D"]:
        raise ValidationError("grade scores must fall from A to D: A > B > C > D", field="grade_scores")


def _is_number(value: object) -> bool:
    """An int or a finite Decimal: floats are refused so no binary fraction reaches money."""
    if isinstance(value, Decimal):
        return value.is_finite()
    return isinstance(value, int) and not isinstance(value, bool)


def _check_fraction(value: object, name: str) -> None:
    if not _is_number(value) or not 0 <= value <= 1:
        raise ValidationError(f"{name} must be a Decimal from 0 to 1", field=name)


def _check_money(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{name} must be a whole number of fen, not negative", field=name)


# ---------------------------------------------------------------- earnings
def performance_line(base_fen: int, grades: Sequence[str], scores: Mapping[str, int | Decimal]) -> Line:
    """Support staff: base x monthly score / 100. No graded day -> no score -> nothing paid."""
    score = monthly_score(grades, scores)
    amount = 0 if score is None else round_fen(base_fen * score / 100)
    inputs: dict[str, Any] = {"performance_base_fen": base_fen, "grades": dict(sorted(Counter(grades).items())),
                              "days_graded": len(grades), "grade_scores": {g: str(s) for g, s in scores.items()},
                              "score": None if score is None else str(score)}
    if score is None:
        inputs["note"] = "no grades"
    return Line("performance", "绩效工资", "performance pay", amount, inputs)


@dataclass(frozen=True)
class PieceWork:
    """A completed and confirmed repair ticket done by this worker. ``rework_of`` names the ticket
    whose fault this one redoes (a new ticket for the same fault)."""

    ticket_id: str
    ticket_class: str
    rework_of: str | None = None


def piece_rate_line(work: Sequence[PieceWork], rates_fen: Mapping[str, int],
                    already_paid: Iterable[str] = ()) -> Line:
    """Each fault is paid once (多劳多得, but not for doing the same job twice).

    Skipped: a ticket id listed twice (the second time), a ticket in ``already_paid`` (ids paid in
    earlier months), and a rework of a ticket that is listed here or already paid. Both the paid and
    the skipped tickets are named on the line."""
    unknown = [w for w in work if w.ticket_class not in rates_fen]
    if unknown:
        raise ValidationError(f"ticket {unknown[0].ticket_id} has class {unknown[0].ticket_class!r}, which has "
                              "no piece rate", field="ticket_class")
    earlier = frozenset(already_paid)
    listed = {w.ticket_id for w in work}
    paid: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    paid_ids: set[str] = set()
    for w in work:
        if w.ticket_id in paid_ids or w.ticket_id in earlier:
            skipped.append({"ticket_id": w.ticket_id, "reason": "already paid"})
        elif w.rework_of and (w.rework_of in listed or w.rework_of in earlier):
            skipped.append({"ticket_id": w.ticket_id, "reason": f"rework of {w.rework_of}, paid once"})
        else:
            paid_ids.add(w.ticket_id)
            paid.append({"ticket_id": w.ticket_id, "ticket_class": w.ticket_class,
                         "rate_fen": rates_fen[w.ticket_class]})
    return Line("piece_rate", "计件工资", "piece-rate pay", sum(p["rate_fen"] for p in paid),
                {"paid": paid, "skipped": skipped})


@dataclass(frozen=True)
class BonusSplit:
    """A department's bonus pool for a month and every member's part. ``unpaid_fen`` is what nobody
    earned (no points at all): it is named, not spread."""

    income_fen: int
    share: Decimal
    pool_fen: int
    points: Mapping[str, Decimal]
    parts: Mapping[str, int]

    @property
    def unpaid_fen(self) -> int:
        return self.pool_fen - sum(self.parts.values())

    def inputs_for(self, staff_id: str) -> dict[str, Any]:
        return {"income_fen": self.income_fen, "share": str(self.share), "pool_fen": self.pool_fen,
                "points": str(self.points[staff_id]), "total_points": str(sum(self.points.values(), Decimal(0))),
                "unpaid_fen": self.unpaid_fen}


def split_bonus_pool(income_fen: int, share: Decimal, points: Mapping[str, Decimal | int]) -> BonusSplit:
    """Pool = income x share (half up), split in proportion to points (e.g. the monthly scores).

    Largest remainder: everyone gets the whole fen of their exact part; the fen left over go one
    each to the largest fractions (equal fractions: the smaller staff id first), so the parts add up
    to the pool exactly. No points at all -> nothing is paid and the whole pool is unpaid."""
    if isinstance(income_fen, bool) or not isinstance(income_fen, int) or income_fen < 0:
        raise ValidationError("the month's income is whole fen, not negative", field="income")
    _check_fraction(share, "share")
    for staff_id, p in points.items():
        if not _is_number(p) or p < 0:
            raise ValidationError(f"{staff_id}'s points must be a number from 0", field="points")
    pool = round_fen(income_fen * Decimal(share))
    exact = {s: Fraction(Decimal(p)) for s, p in points.items()}
    total = sum(exact.values(), Fraction(0))
    if total == 0:
        return BonusSplit(income_fen, share, pool, dict(points), dict.fromkeys(points, 0))
    shares = {s: pool * p / total for s, p in exact.items()}
    parts = {s: math.floor(x) for s, x in shares.items()}
    left = pool - sum(parts.values())
    for staff_id in sorted(shares, key=lambda s: (-(shares[s] - parts[s]), s))[:left]:
        parts[staff_id] += 1
    return BonusSplit(income_fen, share, pool, dict(points), parts)


@dataclass(frozen=True)
class Award:
    """A named bonus finance enters for one person (岗位奖、建议奖、特殊贡献奖、节约奖)."""

    kind: str
    amount_fen: int
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in AWARD_KINDS:
            raise ValidationError(f"unknown bonus kind {self.kind!r}; kinds are {', '.join(AWARD_KINDS)}",
                                  field="kind")
        _check_money(self.amount_fen, "amount_fen")


def award_line(award: Award) -> Line:
    label_zh, label_en = AWARD_KINDS[award.kind]
    return Line(f"award_{award.kind}", label_zh, label_en, award.amount_fen, {"kind": award.kind, "note": award.note})


def attendance_lines(summary: AttendanceSummary, post_salary_fen: int, rules: PayRules) -> tuple[Line, ...]:
    """Three negative lines: late days, early-leave days, absent days at the post salary's day rate."""
    if summary.absent_days and summary.workdays <= 0:
        raise ValidationError("absent days in a month without workdays", field="attendance")
    per_day = round_fen(Decimal(post_salary_fen) / summary.workdays) if summary.workdays else 0
    return (
        Line("late", "迟到扣款", "late deduction", -summary.late_count * rules.late_deduction_fen,
             {"late_count": summary.late_count, "per_late_fen": rules.late_deduction_fen}),
        Line("early_leave", "早退扣款", "early-leave deduction",
             -summary.early_count * rules.early_leave_deduction_fen,
             {"early_count": summary.early_count, "per_early_leave_fen": rules.early_leave_deduction_fen}),
        Line("absent", "缺勤扣款", "absence deduction", -summary.absent_days * per_day,
             {"absent_days": summary.absent_days, "post_salary_fen": post_salary_fen,
              "workdays": summary.workdays, "per_day_fen": per_day}),
    )


# ---------------------------------------------------------------- the payslip
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
    earnings = [Line("post_salary", "岗位工资", "post salary", inputs.post_salary_fen,
                     {"post_salary_fen": inputs.post_salary_fen})]
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
    _check_month(inputs.month, "month")
    if rules.effective_from > inputs.month:
        raise ValidationError(f"rules from {rules.effective_from} do not apply to {inputs.month}",
                              field="effective_from")
    if not 1 <= inputs.months_in_year <= int(inputs.month[5:]):
        raise ValidationError(f"months_in_year is 1 to the month's number ({int(inputs.month[5:])})",
                              field="months_in_year")
    for name in ("post_salary_fen", "special_additional_deduction_fen", "other_deduction_fen"):
        _check_money(getattr(inputs, name), name)
    if inputs.grades and not inputs.support_staff:
        raise ValidationError("only support staff are graded daily", field="grades")
    split = inputs.bonus_split
    if split is not None:
        if split.share != rules.bonus_pool_share:
            raise ValidationError("the bonus split used another share than the rules", field="bonus_split")
        if inputs.staff_id not in split.parts:
            raise ValidationError(f"{inputs.staff_id} is not in the department's bonus split", field="bonus_split")


# ---------------------------------------------------------------- the payroll run
class RunState(StrEnum):
    QUEUED = "queued"
    COMPUTING = "computing"
    DRAFT = "draft"
    FAILED = "failed"
    SUBMITTED = "submitted"
    APPROVED = "approved"  # locked
    REJECTED = "rejected"


# action -> (states it starts from (None: a new run), the state it leads to, who: a role, or None for SYSTEM)
RUN_TRANSITIONS: dict[str, tuple[frozenset[RunState | None], RunState, Role | None]] = {
    "create": (frozenset({None}), RunState.QUEUED, Role.FINANCE),
    "start": (frozenset({RunState.QUEUED}), RunState.COMPUTING, None),
    "finish": (frozenset({RunState.COMPUTING}), RunState.DRAFT, None),
    "fail": (frozenset({RunState.COMPUTING}), RunState.FAILED, None),
    "recompute": (frozenset({RunState.DRAFT, RunState.FAILED, RunState.REJECTED}), RunState.QUEUED, Role.FINANCE),
    "submit": (frozenset({RunState.DRAFT}), RunState.SUBMITTED, Role.FINANCE),
    "approve": (frozenset({RunState.SUBMITTED}), RunState.APPROVED, Role.LEADER),
    "reject": (frozenset({RunState.SUBMITTED}), RunState.REJECTED, Role.LEADER),
}


def transition(state: RunState | None, action: str, actor: Actor, reason: str | None = None) -> RunState:
    """The run's next state. Checked in this order: a known action; an approved run is locked
    (Conflict, whoever asks); the actor may take the action (Forbidden); the state allows it
    (Conflict naming the state); a rejection has a reason."""
    if action not in RUN_TRANSITIONS:
        raise ValidationError(f"unknown action {action!r}", field="action")
    if state == RunState.APPROVED:
        raise Conflict("the run is locked: it was approved", code="run_locked")
    sources, target, role = RUN_TRANSITIONS[action]
    allowed = actor is SYSTEM if role is None else actor.has(role)
    if not allowed:
        who = "the payroll worker" if role is None else f"the {role.value} role"
        raise Forbidden(f"only {who} may {action} a payroll run")
    if state not in sources:
        raise Conflict(f"cannot {action} a payroll run that is {state.value if state else 'new'}",
                       code="illegal_transition")
    if action == "reject" and not (reason and reason.strip()):
        raise ValidationError("a reason is required to reject a payroll run", field="reason")
    return target


# ---------------------------------------------------------------- four eyes
def check_four_eyes(approver: str, submitted_by: str | None, entered: Mapping[str, str]) -> None:
    """An approval is a second person's: the approver neither submitted the run nor entered a figure it pays
    (``entered``: person id -> what they entered). A Conflict naming the rule otherwise."""
    if approver == submitted_by:
        raise Conflict("four eyes: you submitted this run, so another leader must approve it", code="four_eyes")
    if approver in entered:
        raise Conflict(f"four eyes: you entered {entered[approver]} that this run pays, so another leader must "
                       "approve it", code="four_eyes")


def check_not_own_bonus(entered_by: str, staff_id: str) -> None:
    """Nobody enters a named bonus for themselves."""
    if entered_by == staff_id:
        raise Conflict("four eyes: nobody enters a named bonus for themselves; another finance user must",
                       code="four_eyes", field="staff_id")


# ---------------------------------------------------------------- display
def mask_account(account: str) -> str:
    """A bank account with only its last 4 characters shown; 4 or fewer are masked whole."""
    text = "".join(account.split())
    return "*" * len(text) if len(text) <= 4 else "*" * (len(text) - 4) + text[-4:]
