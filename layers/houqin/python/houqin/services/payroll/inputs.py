"""What a month's pay is computed from, as finance enters it: a unit's income (本单位本月的收入), named bonuses
(奖励), and each department's pay rules, versioned. Nothing of a month payroll approved (locked) changes."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from houqin.auth import Principal
from houqin.clock import to_iso
from houqin.domain.actors import Role
from houqin.domain.payroll.contributions import ContributionRules
from houqin.domain.payroll.earnings import AWARD_KINDS, Award
from houqin.domain.payroll.lines import MONTH
from houqin.domain.payroll.rules import PayRules, validate_rules
from houqin.domain.payroll.run_state import check_not_own_bonus
from houqin.domain.repair_classes import SEVERITIES
from houqin.domain.worklogs import DEFAULT_GRADE_SCORES
from houqin.errors import Conflict, ValidationError
from houqin.services.payroll.base import MAX_NOTE, SEE_ALL, PayrollPorts, check_id
from houqin.store.paging import Page
from houqin.store.payroll import BonusItem, IncomeItem, RulesItem
from houqin.validation import Body

INCOME_FIELDS = ("income_fen", "note")
BONUS_FIELDS = ("staff_id", "month", "kind", "amount_fen", "note")
RULES_FIELDS = ("effective_from", "performance_base_fen", "piece_rates_fen", "bonus_pool_share",
                "late_deduction_fen", "early_leave_deduction_fen", "grade_scores", "contributions")
CONTRIBUTION_FIELDS = ("base_floor_fen", "base_cap_fen", "pension_rate", "medical_rate", "unemployment_rate",
                       "housing_fund_rate")


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

    def enter_income(self, principal: Principal, month: str, department_id: str, body: Body) -> dict[str, Any]:
        """Finance enters (or corrects) a unit's income for a month: ``{income_fen, note?}``."""
        principal.require_role(Role.FINANCE)
        self.check_month(month)
        self.department(department_id)
        income_fen = body.integer("income_fen", minimum=0)
        note = body.text("note", required=False, max_length=MAX_NOTE)
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
    def list_bonuses(self, principal: Principal, params: Mapping[str, str], limit: int, cursor: str | None) -> Page:
        principal.require_role(*SEE_ALL)
        month = params.get("month")
        if not month:
            raise ValidationError("month is required (YYYY-MM)", field="month")
        self.check_month(month)
        staff_id = params.get("staff_id")
        department_id = params.get("department_id")
        return self.payroll.bonuses(month, check_id(staff_id, "staff_id") if staff_id else None,
                                    check_id(department_id, "department_id") if department_id else None,
                                    limit=limit, cursor=cursor)

    def enter_bonus(self, principal: Principal, body: Body) -> dict[str, Any]:
        """Finance enters a named bonus: ``{staff_id, month, kind, amount_fen, note?}`` (paid with that month)."""
        principal.require_role(Role.FINANCE)
        staff_id = body.text("staff_id", max_length=40)
        month = self.check_month(body.text("month", max_length=7))
        kind = body.text("kind", max_length=40)
        amount = body.integer("amount_fen", minimum=1)
        note = body.text("note", required=False, max_length=MAX_NOTE) or ""
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
    def get_rules(self, principal: Principal, department_id: str, params: Mapping[str, str]) -> dict[str, Any]:
        """Every version, and the one in force in ``month`` (default: the current month; null if none)."""
        principal.require_role(*SEE_ALL)
        self.department(department_id)
        month = params.get("month") or self.current_month()
        if not MONTH.fullmatch(month):
            raise ValidationError("month must be YYYY-MM", field="month")
        items = self.payroll.rules_items(department_id)
        in_force = None
        chosen = [i for i in items if i.effective_from <= month]
        if chosen:  # rules_for's choice: the latest start not after the month, then the higher version
            in_force = rules_view(max(chosen, key=lambda i: (i.effective_from, int(i.version))))
        return {"department_id": department_id, "month": month, "in_force": in_force,
                "versions": [rules_view(item) for item in items]}

    def new_rules(self, principal: Principal, department_id: str, body: Body) -> dict[str, Any]:
        """Finance adds a version of a department's rules, effective from a month (``effective_from``)."""
        principal.require_role(Role.FINANCE)
        self.department(department_id)
        versions = self.payroll.rule_versions(department_id)
        rules = parse_rules(department_id, body, max((v.version for v in versions), default=0) + 1)
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


def parse_rules(department_id: str, body: Body, version: int) -> PayRules:
    """The body as PayRules (checked by ``validate_rules`` after). Money is whole fen; rates and scores
    may be text ("0.08"), integers or JSON numbers (read through their shortest text: 0.08 is 0.08)."""
    body.only(RULES_FIELDS)
    raw = body.data.get("contributions")
    if not isinstance(raw, dict):
        raise ValidationError("contributions is required: {base_floor_fen, base_cap_fen, rates...}",
                              field="contributions")
    given = Body(raw, prefix="contributions.")
    given.only(CONTRIBUTION_FIELDS)
    defaults = ContributionRules(0, 0)
    contributions = ContributionRules(
        base_floor_fen=given.integer("base_floor_fen", minimum=0),
        base_cap_fen=given.integer("base_cap_fen", minimum=0),
        **{name: decimal(given, name, getattr(defaults, name)) for name in CONTRIBUTION_FIELDS[2:]})
    rates = _object(body, "piece_rates_fen", {})
    for ticket_class in rates:
        if ticket_class not in SEVERITIES:
            raise ValidationError(f"ticket classes are {', '.join(SEVERITIES)}",
                                  field=f"piece_rates_fen.{ticket_class}")
    scores = Body(_object(body, "grade_scores", dict(DEFAULT_GRADE_SCORES)), prefix="grade_scores.")
    return PayRules(
        department_id=department_id, effective_from=body.text("effective_from", max_length=7), version=version,
        contributions=contributions,
        performance_base_fen=body.integer("performance_base_fen", required=False, minimum=0) or 0,
        piece_rates_fen=dict(rates), bonus_pool_share=decimal(body, "bonus_pool_share", Decimal(0)),
        late_deduction_fen=body.integer("late_deduction_fen", required=False, minimum=0) or 0,
        early_leave_deduction_fen=body.integer("early_leave_deduction_fen", required=False, minimum=0) or 0,
        grade_scores={grade: decimal(scores, grade, Decimal(0)) for grade in scores.data})


def _object(body: Body, field: str, default: dict[str, Any]) -> dict[str, Any]:
    value = body.data.get(field)
    if value is None:
        return default
    if not isinstance(value, dict):
        raise ValidationError(f"{field} is an object", field=field)
    return value


def decimal(body: Body, field: str, default: Decimal) -> Decimal:
    """A rate or score: text ("0.08"), an integer or a JSON number; a 400 naming the field otherwise."""
    value = body.data.get(field)
    name = f"{body.prefix}{field}"
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationError(f"{name} must be a decimal number such as \"0.08\"", field=name)
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"{name} must be a decimal number such as \"0.08\"", field=name) from None
    if not number.is_finite():
        raise ValidationError(f"{name} must be a finite number", field=name)
    return number

