"""The employee's social insurance and housing fund (三险一金): pension, medical, unemployment and housing
fund, each the clamped base x its rate, as negative payslip lines."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from houqin.domain.payroll.lines import Line, check_fraction, check_money, round_fen
from houqin.errors import ValidationError

# Employee contributions: rule field -> (line code, Chinese, English).
CONTRIBUTION_ITEMS = {
    "pension_rate": ("pension", "养老保险", "pension insurance"),
    "medical_rate": ("medical", "医疗保险", "medical insurance"),
    "unemployment_rate": ("unemployment", "失业保险", "unemployment insurance"),
    "housing_fund_rate": ("housing_fund", "住房公积金", "housing fund"),
}


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
    check_money(declared_base_fen, "social_insurance_base_fen")
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
        check_money(getattr(rules, name), f"contributions.{name}")
    if rules.base_floor_fen > rules.base_cap_fen:
        raise ValidationError("the base floor is above the cap", field="contributions.base_floor_fen")
    for name in CONTRIBUTION_ITEMS:
        check_fraction(getattr(rules, name), f"contributions.{name}")
    if sum(getattr(rules, name) for name in CONTRIBUTION_ITEMS) >= 1:
        raise ValidationError("the contribution rates must add up to less than 1", field="contributions")
