"""Support staff's daily work logs (日志考核), as graded: the grades A/B/C/D, their default scores, the monthly
score and when a run of low months calls for a talk. Pure rules: attendance reads them to show a month,
payroll to pay the performance line and split the bonus pool (a department's own scores are its pay
rules': houqin.domain.payroll.rules.grade_scores_in).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from houqin.errors import ValidationError

GRADES = ("A", "B", "C", "D")
DEFAULT_GRADE_SCORES: Mapping[str, int] = MappingProxyType({"A": 100, "B": 85, "C": 70, "D": 50})
TALK_BELOW = Decimal(60)  # a score persistently below this triggers a talk (004)


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
