"""What a month's pay is computed from, as finance enters it: a unit's income (本单位本月的收入), named bonuses
(奖励), and each department's pay rules, versioned. Nothing of a month payroll approved (locked) changes."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from houqin.auth import Principal
from houqin.clock import to_iso
from houqin.contract import Paging, entries, number, text, whole
from houqin.domain.actors import Role
from houqin.domain.payroll.contributions import ContributionRules
from houqin.domain.payroll.earnings import AWARD_KINDS, Award
from houqin.domain.payroll.lines import MONTH
from houqin.domain.payroll.rules import PayRules, validate_rules
from houqin.domain.payroll.run_state import check_not_own_bonus
from houqin.domain.repair_classes import SEVERITIES
from houqin.domain.worklogs import DEFAULT_GRADE_SCORES, GRADES
from houqin.errors import Conflict, ValidationError
from houqin.services.payroll.base import ID, MAX_NOTE, SEE_ALL, PayrollPorts
from houqin.store.paging import Page
from houqin.store.payroll import BonusItem, IncomeItem, RulesItem


# ---------------------------------------------------------------- inputs (declared once: parsed and documented)
@dataclass(frozen=True)
class IncomeEntry:
    """A unit's income for a month (本单位本月的收入): what a rule's bonus pool shares."""

    income_fen: int = whole("in fen", minimum=0, example=10_000_000)
    note: str | None = text("where the figure comes from", max_length=MAX_NOTE, default=None)


@dataclass(frozen=True)
class BonusEntry:
    """A named bonus (奖励) for one person, paid with the month's pay."""

    staff_id: str = text("who is paid it (not the one entering it)", max_length=40)
    month: str = text("YYYY-MM, not after the current month", max_length=7, pattern=MONTH.pattern)
    kind: str = text("the kind of bonus", choices=tuple(AWARD_KINDS))
    amount_fen: int = whole("in fen, more than 0", minimum=1)
    note: str | None = text("what it is for", max_length=MAX_NOTE, default=None)


@dataclass(frozen=True, kw_only=True)
class BonusQuery(Paging):
    month: str = text("YYYY-MM", max_length=7, pattern=MONTH.pattern)
    staff_id: str | None = text("only this person's", max_length=40, pattern=ID, default=None)
    department_id: str | None = text("only this department's", max_length=40, pattern=ID, default=None)


@dataclass(frozen=True)
class RulesQuery:
    month: str | None = text("the month whose rules in force to show (default: the current month)", max_length=7,
                             pattern=MONTH.pattern, default=None)


@dataclass(frozen=True)
class Contributions:
    """The employee's social insurance and housing fund (三险一金): one base, the declared base clamped to
    [floor, cap], times each rate (a JSON number or its text: "0.08")."""

    base_floor_fen: int = whole("the base floor, in fen", minimum=0)
    base_cap_fen: int = whole("the base cap, in fen (not below the floor)", minimum=0)
    pension_rate: Decimal = number("0 to 1", minimum=0, maximum=1, default=ContributionRules.pension_rate)
    medical_rate: Decimal = number("0 to 1", minimum=0, maximum=1, default=ContributionRules.medical_rate)
    unemployment_rate: Decimal = number("0 to 1", minimum=0, maximum=1, default=ContributionRules.unemployment_rate)
    housing_fund_rate: Decimal = number("0 to 1", minimum=0, maximum=1, default=ContributionRules.housing_fund_rate)


@dataclass(frozen=True)
class RulesInput:
    """A new version of a department's pay rules, in force from ``effective_from`` until a later version. Money
    is whole fen; rates and scores are decimals (a JSON number or its text). The rates must add up to less than
    1 and the grades score A > B > C > D (checked with the rules whole)."""

    effective_from: str = text("YYYY-MM: the first month they pay", max_length=7, pattern=MONTH.pattern)
    contributions: Contributions
    performance_base_fen: int = whole("paid in full at a score of 100", minimum=0, default=0)
    piece_rates_fen: dict[str, int] = entries("fen per repaired ticket, by ticket class", choices=SEVERITIES,
                                              minimum=0, default={})
    bonus_pool_share: Decimal = number("the share of the unit's income shared out, 0 to 1", minimum=0, maximum=1,
                                       default=Decimal(0))
    late_deduction_fen: int = whole("per late day", minimum=0, default=0)
    early_leave_deduction_fen: int = whole("per early-leave day", minimum=0, default=0)
    grade_scores: dict[str, Decimal] = entries("what each work-log grade scores, 0 to 100", choices=GRADES,
                                               minimum=0, maximum=100,
                                               default={g: Decimal(s) for g, s in DEFAULT_GRADE_SCORES.items()})


class Inputs(PayrollPorts):
    # ---------------------------------------------------------------- income (本单位本月的收入)
    def list_income(self, principal: Principal, month: str) -> dict[str, Any]:
        """Every department with its income for the month (null where none was entered yet)."""
        principal.require_role(*SEE_ALL)
        self.check_month(month)
        entered = {item.department_id: item for item in self.payroll.incomes(month)}
        locks = self.payroll.locks_of_month(month)
        items = []
        for d in self.staff.departments():
            item = entered.get(d.department_id)
            items.append({"department_id": d.department_id, "name": d.name, "locked": d.department_id in locks,
                          **(income_view(item) if item else {"income_fen": None})})
        return {"month": month, "items": items}

    def enter_income(self, principal: Principal, month: str, department_id: str,
                     entry: IncomeEntry) -> dict[str, Any]:
        """Finance enters (or corrects) a unit's income for a month: ``{income_fen, note?}``."""
        principal.require_role(Role.FINANCE)
        self.check_month(month)
        self.department(department_id)
        income_fen, note = entry.income_fen, entry.note
        if self.locked(month, [department_id]):
            raise Conflict(f"{month} is approved (locked) for {department_id}: its income cannot change",
                           code="month_locked", field="month")
        current = self.payroll.income(month, department_id, consistent=True)
        saved = self.payroll.save_income(month, department_id, income_fen, note, principal.person_id,
                                         to_iso(self.clock.now()), int(current.version) if current else None)
        if saved is None:
            raise Conflict(f"the income of {department_id} for {month} was changed by someone else: reload it",
                           code="version_conflict")
        return income_view(saved)

    # ---------------------------------------------------------------- named bonuses (奖励)
    def list_bonuses(self, principal: Principal, query: BonusQuery) -> Page:
        principal.require_role(*SEE_ALL)
        month = self.check_month(query.month)
        return self.payroll.bonuses(month, query.staff_id, query.department_id, limit=query.limit,
                                    cursor=query.cursor)

    def enter_bonus(self, principal: Principal, entry: BonusEntry) -> dict[str, Any]:
        """Finance enters a named bonus: ``{staff_id, month, kind, amount_fen, note?}`` (paid with that month)."""
        principal.require_role(Role.FINANCE)
        staff_id, kind, amount, note = entry.staff_id, entry.kind, entry.amount_fen, entry.note or ""
        month = self.check_month(entry.month)
        Award(kind, amount, note)  # the kind and the amount by the domain's rule
        check_not_own_bonus(principal.person_id, staff_id)
        person = self.member(staff_id)
        if person is None:
            raise ValidationError(f"unknown staff member {staff_id}", field="staff_id")
        if self.locked(month, [person.department_id]):
            raise Conflict(f"{month} is approved (locked) for {person.department_id}: no more bonuses for it",
                           code="month_locked", field="month")
        item = BonusItem.make(f"B{secrets.token_hex(5).upper()}", month, staff_id, person.department_id, kind,
                              amount, note, principal.person_id, to_iso(self.clock.now()))
        if not self.payroll.add_bonus(item):
            raise Conflict("that bonus id is taken: send it again", code="exists")
        return bonus_view(item)

    # ---------------------------------------------------------------- pay rules, versioned
    def get_rules(self, principal: Principal, department_id: str, query: RulesQuery) -> dict[str, Any]:
        """Every version, and the one in force in ``month`` (default: the current month; null if none)."""
        principal.require_role(*SEE_ALL)
        self.department(department_id)
        month = query.month or self.current_month()
        items = self.payroll.rules_items(department_id)
        in_force = None
        chosen = [i for i in items if i.effective_from <= month]
        if chosen:  # rules_for's choice: the latest start not after the month, then the higher version
            in_force = rules_view(max(chosen, key=lambda i: (i.effective_from, int(i.version))))
        return {"department_id": department_id, "month": month, "in_force": in_force,
                "versions": [rules_view(item) for item in items]}

    def new_rules(self, principal: Principal, department_id: str, given: RulesInput) -> dict[str, Any]:
        """Finance adds a version of a department's rules, effective from a month (``effective_from``)."""
        principal.require_role(Role.FINANCE)
        self.department(department_id)
        versions = self.payroll.rule_versions(department_id)
        rules = parse_rules(department_id, given, max((v.version for v in versions), default=0) + 1)
        validate_rules(rules)
        locked = self.payroll.locks_from(rules.effective_from, department_id, self.current_month()[:4])
        if locked:
            raise Conflict(f"{locked[0].month} is approved (locked) for {department_id}: rules effective from "
                           f"{rules.effective_from} would change it; start them after the last approved month",
                           code="month_locked", field="effective_from")
        at = to_iso(self.clock.now())
        if not self.payroll.add_rules(rules, principal.person_id, at):
            raise Conflict(f"someone added version {rules.version} of {department_id}'s rules first: reload them",
                           code="version_conflict")
        return rules_view(RulesItem.make(rules, principal.person_id, at))


def income_view(item: IncomeItem) -> dict[str, Any]:
    return {"month": item.month, "department_id": item.department_id, "income_fen": int(item.income_fen),
            "note": item.note, "entered_by": item.entered_by, "entered_at": item.entered_at,
            "version": int(item.version)}


def bonus_view(item: BonusItem) -> dict[str, Any]:
    kind = AWARD_KINDS.get(item.kind, (item.kind, item.kind))
    return {"bonus_id": item.bonus_id, "month": item.month, "staff_id": item.staff_id,
            "department_id": item.department_id, "kind": item.kind, "label_zh": kind[0], "label_en": kind[1],
            "amount_fen": int(item.amount_fen), "note": item.note, "entered_by": item.entered_by,
            "entered_at": item.entered_at}


def rules_view(item: RulesItem) -> dict[str, Any]:
    return {"department_id": item.department_id, "version": int(item.version),
            "effective_from": item.effective_from, **item.rules, "created_by": item.created_by,
            "created_at": item.created_at}


def parse_rules(department_id: str, given: RulesInput, version: int) -> PayRules:
    """The rules as given, as PayRules (checked whole by ``validate_rules`` after)."""
    return PayRules(
        department_id=department_id, effective_from=given.effective_from, version=version,
        contributions=ContributionRules(**dataclasses.asdict(given.contributions)),
        performance_base_fen=given.performance_base_fen, piece_rates_fen=dict(given.piece_rates_fen),
        bonus_pool_share=given.bonus_pool_share, late_deduction_fen=given.late_deduction_fen,
        early_leave_deduction_fen=given.early_leave_deduction_fen, grade_scores=dict(given.grade_scores))
