"""A department's pay rules (PayRules), versioned: each version in force from a month until a later one
takes over (``rules_for``: a past month is recomputed with the rules it had), checked field by field
(``validate_rules``); the grade scores a department pays in a month (``grade_scores_in``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from houqin.domain.payroll.contributions import ContributionRules, validate_contributions
from houqin.domain.payroll.lines import check_fraction, check_money, check_month, is_number
from houqin.domain.worklogs import DEFAULT_GRADE_SCORES, GRADES
from houqin.errors import ValidationError


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
    check_month(rules.effective_from, "effective_from")
    if isinstance(rules.version, bool) or not isinstance(rules.version, int) or rules.version < 1:
        raise ValidationError("version is a whole number from 1", field="version")
    for name in ("performance_base_fen", "late_deduction_fen", "early_leave_deduction_fen"):
        check_money(getattr(rules, name), name)
    for ticket_class, rate in rules.piece_rates_fen.items():
        check_money(rate, f"piece_rates_fen.{ticket_class}")
    check_fraction(rules.bonus_pool_share, "bonus_pool_share")
    _check_grade_scores(rules.grade_scores)
    validate_contributions(rules.contributions)


def rules_for(month: str, versions: Iterable[PayRules]) -> PayRules:
    """The rules in force in ``month``: the latest ``effective_from`` not after it (the higher version
    when two start the same month). A past month is recomputed with the rules it had."""
    check_month(month, "month")
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
        if not is_number(score) or not 0 <= score <= 100:
            raise ValidationError(f"grade {grade}'s score must be 0 to 100", field=f"grade_scores.{grade}")
    if not scores["A"] > scores["B"] > scores["C"] > scores["D"]:
        raise ValidationError("grade scores must fall from A to D: A > B > C > D", field="grade_scores")
