"""The gross lines of a payslip: post salary (按岗定薪), performance pay of support staff (绩效工资), piece
rates for repair tickets (计件工资, each fault paid once), a share of the department's bonus pool (奖金池,
split by points to the fen), named bonuses (奖励) and the attendance deductions (考勤扣款).

A bonus pool is rounded once, as a whole, and then split by the largest-remainder method so that its
parts add up to it exactly (``split_bonus_pool``). Where a rule states a money rate per unit (the absence
deduction per day = post salary / workdays of the month), that rate is the rounded amount and is
multiplied by whole days.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from houqin.domain.attendance import AttendanceSummary
from houqin.domain.payroll.lines import Line, check_fraction, check_money, is_number, round_fen
from houqin.domain.payroll.rules import PayRules
from houqin.domain.worklogs import monthly_score
from houqin.errors import ValidationError

# Named bonuses finance enters by hand (003): kind -> (Chinese, English).
AWARD_KINDS = {
    "post": ("岗位奖", "post bonus"),
    "suggestion": ("建议奖", "suggestion bonus"),
    "special_contribution": ("特殊贡献奖", "special contribution bonus"),
    "saving": ("节约奖", "saving bonus"),
}


def post_salary_line(post_salary_fen: int) -> Line:
    """The post's monthly salary, as it is (pay follows the post)."""
    return Line("post_salary", "岗位工资", "post salary", post_salary_fen, {"post_salary_fen": post_salary_fen})


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
    check_fraction(share, "share")
    for staff_id, p in points.items():
        if not is_number(p) or p < 0:
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
        check_money(self.amount_fen, "amount_fen")


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
