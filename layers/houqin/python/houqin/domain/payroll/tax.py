"""Individual income tax (个人所得税) by cumulative withholding (累计预扣法).

Income tax is always withheld (there is no switch). Cumulative withholding, per tax (calendar) year
and employer: taxable so far = income so far - 5,000 yuan x months paid so far - employee insurance
and fund so far (专项扣除) - special additional deductions so far (专项附加扣除) - other deductions so
far, at least 0; tax so far = taxable x rate - quick deduction from the annual table; this month's
tax = tax so far - tax already withheld this year, at least 0 (withholding never refunds; the annual
settlement does). January starts from an empty ``TaxYearToDate``; a go-live later in the year starts from the
previous system's figures (``with_opening``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from houqin.domain.payroll.lines import round_fen
from houqin.errors import ValidationError

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


def with_opening(houqin: TaxYearToDate, houqin_months: int, opening: TaxYearToDate | None,
                 opening_months: int) -> tuple[TaxYearToDate, int]:
    """The tax year so far and the months paid so far when Houqin went live during the year: ``opening`` what the
    previous system paid and withheld in its ``opening_months``, ``houqin`` the year so far by Houqin's own latest
    payslip of the year (none: ``houqin_months`` 0). Houqin's first payslip of the year starts from the opening
    figures and carries them on in its year to date, so they count once: added to the figures only while Houqin
    has paid no month; the months always (Houqin counts only its own payslips)."""
    if opening is None:
        return houqin, houqin_months
    return (opening if houqin_months == 0 else houqin), houqin_months + opening_months


def _bracket(taxable_fen: int) -> tuple[Decimal, int]:
    for upper, rate, quick in TAX_BRACKETS:
        if upper is None or taxable_fen <= upper:
            return rate, quick
    raise AssertionError("the last bracket has no upper bound")
