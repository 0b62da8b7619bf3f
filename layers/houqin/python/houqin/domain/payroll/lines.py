"""What every seam of pay shares: a payslip line, the one rounding a money line gets, and the checks of a
month, of money (whole fen, not negative) and of fractions (0 to 1).

Money is integer fen (分), never a float. Rates and scores are ``Decimal``.

Rounding rule: every computed money line is rounded to the fen once, ROUND_HALF_UP (half a fen goes
up), and the lines are then summed as integers. Nothing is rounded twice and every total is the exact
sum of the lines shown, so a payslip adds up by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from houqin import clock
from houqin.errors import ValidationError

MONTH = re.compile(clock.MONTH)


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
    check_month(month, "month")
    check_month(today_month, "today_month")
    if month > today_month:
        raise ValidationError(f"{month} is in the future", field="month")


def check_month(month: str, name: str) -> None:
    if not (isinstance(month, str) and MONTH.fullmatch(month)):
        raise ValidationError(f"{name} must be YYYY-MM", field=name)



def is_number(value: object) -> bool:
    """An int or a finite Decimal: floats are refused so no binary fraction reaches money."""
    if isinstance(value, Decimal):
        return value.is_finite()
    return isinstance(value, int) and not isinstance(value, bool)


def check_fraction(value: object, name: str) -> None:
    if not is_number(value) or not 0 <= value <= 1:
        raise ValidationError(f"{name} must be a Decimal from 0 to 1", field=name)


def check_money(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{name} must be a whole number of fen, not negative", field=name)

