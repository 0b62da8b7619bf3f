"""Staff pay (工薪): posts and candidates, pay rules, income and named bonuses, payroll runs with approval,
payslips, the payroll report and the bank transfer list (functions/payroll/app.py is the HTTP glue; the
computation is houqin.services.payroll_run, run by the PayrollWorkerFunction; the rules are
houqin.domain.payroll; the items houqin.store.payroll).

Who does what:
- finance: enters income, bonuses and rules; creates, recomputes and submits runs;
- leader: approves or rejects a submitted run (a rejection gives its reason); reads everything;
- admin: reads everything; manager: sees their team's profiles (attendance is another function);
- anyone: their own profile and their own payslips, of approved runs only.
Finance, leaders and admins read runs, reports and payslips. A person's profile or payslips the caller
may not see are a 404, as if they did not exist; a role that may not do what is asked gets a 403.

Decisions:
- run id: ``PR-<month>-<10 hex of sha256 of the sorted department ids>``, so the same trigger sent twice
  names the same run: it is created by a put conditional on the id being free. The first POST answers
  202 with the run; a repeat answers 200 with the run as it is now (and, while it is still queued, sends
  the worker its event again: a lost invocation heals, a duplicate one is ignored by the worker);
- a run is refused with 409 when the month is approved (locked) for any requested department; its
  departments need rules in force in the month, and income for the month when the rules share a bonus
  pool (400 naming ``departments``);
- approval writes the run and one lock item per department in one transaction; a lock that exists
  already (another run of the month was approved first) cancels it: 409 naming the department;
- income and bonuses of a locked month, and rule versions effective in or before a locked month, are
  refused (409): what an approved run was computed from does not change after the fact;
- reports, payslips and the bank transfer list are read from the run's current generation, and only
  when it is computed (draft, submitted, approved, rejected); the bank transfer list only when approved.
  Bank accounts are only ever shown masked (mask_account); payslips carry the masked account only;
- money is integer fen everywhere, in reports too (Excel sums the numbers; the headers say fen).

Public functions the demo loader and the benchmarks call (a finance ``Principal`` does):
``new_rules``, ``enter_income``, ``enter_bonus``, ``start_run``, ``act``; the worker:
``houqin.services.payroll_run.compute``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from houqin.auth import Principal
from houqin.clock import local, to_iso
from houqin.domain.actors import STAFF_ROLES, Role
from houqin.domain.audit import Event
from houqin.domain.payroll.contributions import ContributionRules
from houqin.domain.payroll.earnings import AWARD_KINDS, Award
from houqin.domain.payroll.lines import MONTH, validate_month
from houqin.domain.payroll.payslip import mask_account
from houqin.domain.payroll.rules import PayRules, rules_for, validate_rules
from houqin.domain.payroll.run_state import RunState, check_four_eyes, check_not_own_bonus, transition
from houqin.domain.repair_classes import SEVERITIES
from houqin.domain.worklogs import DEFAULT_GRADE_SCORES
from houqin.errors import Conflict, NotFound, ValidationError
from houqin.export import Column, Table
from houqin.settings import SettingsError, settings
from houqin.store import payroll as store
from houqin.store import staff
from houqin.store.base import find, key
from houqin.store.paging import Page, query_page
from houqin.store.payroll import BonusItem, IncomeItem, LockItem, PayslipItem, RulesItem, RunItem
from houqin.store.staff import Department, Post, StaffMember
from houqin.validation import Body, query_choice

Invoke = Callable[[dict[str, Any]], None]

SEE_ALL = (Role.FINANCE, Role.LEADER, Role.ADMIN)
STAFF_SIDE = (Role.FINANCE, Role.LEADER, Role.ADMIN, Role.MANAGER, Role.STAFF)
ID = r"[A-Za-z0-9_-]{1,40}"
RUN_ID = r"PR-\d{4}-\d{2}-[0-9A-F]{10}"
ACTIONS = ("recompute", "submit", "approve", "reject")
READABLE = frozenset({RunState.DRAFT, RunState.SUBMITTED, RunState.APPROVED, RunState.REJECTED})
FORMATS = ("json", "csv", "xlsx")
MAX_NOTE = 500
MAX_DEPARTMENTS = 50
EDUCATION = ("高中", "大专", "本科", "硕士", "博士")  # high school .. doctorate, lowest first
INCOME_FIELDS = ("income_fen", "note")
BONUS_FIELDS = ("staff_id", "month", "kind", "amount_fen", "note")
RUN_FIELDS = ("month", "departments")
ACTION_FIELDS = ("reason",)
RULES_FIELDS = ("effective_from", "performance_base_fen", "piece_rates_fen", "bonus_pool_share",
                "late_deduction_fen", "early_leave_deduction_fen", "grade_scores", "contributions")
CONTRIBUTION_FIELDS = ("base_floor_fen", "base_cap_fen", "pension_rate", "medical_rate", "unemployment_rate",
                       "housing_fund_rate")
CONDITION_FAILED = "ConditionalCheckFailed"




def current_month(now: datetime) -> str:
    return f"{local(now, settings().tz):%Y-%m}"


def check_month(month: Any, now: datetime) -> str:
    """``YYYY-MM``, not later than the current local month: else a 400 naming ``month``."""
    validate_month(month, current_month(now))
    return month


def _id(value: str, field: str) -> str:
    if not re.fullmatch(ID, value or ""):
        raise ValidationError(f"{field} has the wrong format", field=field)
    return value


def departments(principal: Principal) -> dict[str, Any]:
    """The group's departments (id and name: no figures), for anyone on the staff: forms that name one."""
    principal.require_role(*STAFF_ROLES)
    return {"items": [{"department_id": d.department_id, "name": d.name} for d in staff.departments()]}


def department(department_id: str, field: str = "department_id") -> Department:
    item = find(Department, "DEPT", key("DEPT", department_id)) if re.fullmatch(ID, department_id) else None
    if item is None:
        raise NotFound(f"no department {department_id}", field=field)
    return item


def member(staff_id: str) -> StaffMember | None:
    return find(StaffMember, key("STAFF", staff_id), "PROFILE") if re.fullmatch(ID, staff_id or "") else None


def _locked(month: str, department_ids: Iterable[str]) -> list[str]:
    locks = store.locks_of_month(month)
    return sorted(d for d in department_ids if d in locks)


# ---------------------------------------------------------------- posts and candidates (按岗定薪, 人岗匹配)
def list_posts(principal: Principal, params: Mapping[str, str], limit: int, cursor: str | None) -> Page:
    principal.require_role(*STAFF_SIDE)
    department_id = params.get("department_id")
    extra = {"filter_condition": Post.department_id == _id(department_id, "department_id")} if department_id else {}
    return query_page(Post.query, "pk", "POST", limit=limit, cursor=cursor, **extra)


def post_view(post: Post) -> dict[str, Any]:
    return {"post_id": post.post_id, "department_id": post.department_id, "name": post.name, "duties": post.duties,
            "requirements": post.requirements or {}, "salary_fen": int(post.salary_fen)}


def candidates(principal: Principal, post_id: str, params: Mapping[str, str], limit: int) -> dict[str, Any]:
    """Staff of the archive who meet the post's requirements (education at least, years at least, every
    certificate), those already on the post left out; most years of service first, then education."""
    principal.require_role(*SEE_ALL)
    post = find(Post, "POST", key("POST", post_id)) if re.fullmatch(ID, post_id) else None
    if post is None:
        raise NotFound(f"no post {post_id}")
    department_id = params.get("department_id")
    departments = ([department(department_id).department_id] if department_id
                   else [d.department_id for d in staff.departments()])
    requirements = post.requirements or {}
    found = [m for d in departments for m in StaffMember.by_department.query(key("DEPT", d))
             if m.post_id != post.post_id and meets(requirements, m)]
    found.sort(key=lambda m: (-int(m.years_of_service or 0), -_education_rank(m.education), m.staff_id))
    return {"post": post_view(post), "count": len(found),
            "items": [candidate_view(m) for m in found[:limit]]}


def meets(requirements: Mapping[str, Any], person: StaffMember) -> bool:
    education = requirements.get("education")
    if education and _education_rank(person.education) < _education_rank(education):
        return False
    if int(person.years_of_service or 0) < int(requirements.get("min_years") or 0):
        return False
    return set(requirements.get("certificates") or ()) <= set(person.certificates or ())


def _education_rank(education: str | None) -> int:
    return EDUCATION.index(education) if education in EDUCATION else -1


def candidate_view(person: StaffMember) -> dict[str, Any]:
    return {"staff_id": person.staff_id, "name": person.name, "department_id": person.department_id,
            "post": person.post, "post_id": person.post_id, "education": person.education,
            "years_of_service": int(person.years_of_service or 0), "certificates": list(person.certificates or ())}


# ---------------------------------------------------------------- the personnel archive
def can_see_person(principal: Principal, person: StaffMember) -> bool:
    if principal.is_person(person.staff_id) or principal.has_role(*SEE_ALL):
        return True
    return principal.has_role(Role.MANAGER) and bool(person.manager_id) and principal.is_person(person.manager_id)


def staff_profile(principal: Principal, staff_id: str) -> dict[str, Any]:
    person = member(staff_id)
    if person is None or not can_see_person(principal, person):
        raise NotFound(f"no staff member {staff_id}")
    return {"staff_id": person.staff_id, "name": person.name, "gender": person.gender,
            "department_id": person.department_id, "post": person.post, "post_id": person.post_id,
            "contract": person.contract, "phone": person.phone, "team_id": person.team_id,
            "manager_id": person.manager_id, "support_staff": bool(person.support_staff),
            "bank_account": mask_account(person.bank_account) if person.bank_account else None,
            "social_insurance_base_fen": _int(person.social_insurance_base_fen),
            "special_deduction_fen": int(person.special_deduction_fen or 0), "education": person.education,
            "years_of_service": _int(person.years_of_service), "certificates": list(person.certificates or ())}


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


# ---------------------------------------------------------------- income (本单位本月的收入)
def list_income(principal: Principal, month: str, now: datetime) -> dict[str, Any]:
    """Every department with its income for the month (null where none was entered yet)."""
    principal.require_role(*SEE_ALL)
    check_month(month, now)
    entered = {item.department_id: item for item in store.incomes(month)}
    locks = store.locks_of_month(month)
    items = []
    for d in staff.departments():
        item = entered.get(d.department_id)
        items.append({"department_id": d.department_id, "name": d.name, "locked": d.department_id in locks,
                      **(income_view(item) if item else {"income_fen": None})})
    return {"month": month, "items": items}


def income_view(item: IncomeItem) -> dict[str, Any]:
    return {"month": item.month, "department_id": item.department_id, "income_fen": int(item.income_fen),
            "note": item.note, "entered_by": item.entered_by, "entered_at": item.entered_at,
            "version": int(item.version)}


def enter_income(principal: Principal, month: str, department_id: str, body: Body, now: datetime) -> dict[str, Any]:
    """Finance enters (or corrects) a unit's income for a month: ``{income_fen, note?}``."""
    principal.require_role(Role.FINANCE)
    check_month(month, now)
    department(department_id)
    income_fen = body.integer("income_fen", minimum=0)
    note = body.text("note", required=False, max_length=MAX_NOTE)
    if _locked(month, [department_id]):
        raise Conflict(f"{month} is approved (locked) for {department_id}: its income cannot change",
                       code="month_locked", field="month")
    current = store.income(month, department_id, consistent=True)
    saved = store.save_income(month, department_id, income_fen, note, principal.person_id, to_iso(now),
                              int(current.version) if current else None)
    if saved is None:
        raise Conflict(f"the income of {department_id} for {month} was changed by someone else: reload it",
                       code="version_conflict")
    return income_view(saved)


def put_income(month: str, department_id: str, income_fen: int, by: str, now: datetime,
               note: str | None = None) -> dict[str, Any]:
    """Store a unit's income as given (the demo loader: no principal); the same checks as ``enter_income``."""
    finance = Principal(subject=by, person_id=by, roles=frozenset({Role.FINANCE}))
    return enter_income(finance, month, department_id, Body({"income_fen": income_fen, "note": note}), now)


# ---------------------------------------------------------------- named bonuses (奖励)
def list_bonuses(principal: Principal, params: Mapping[str, str], now: datetime, limit: int,
                 cursor: str | None) -> Page:
    principal.require_role(*SEE_ALL)
    month = params.get("month")
    if not month:
        raise ValidationError("month is required (YYYY-MM)", field="month")
    check_month(month, now)
    staff_id = params.get("staff_id")
    department_id = params.get("department_id")
    return store.bonuses(month, _id(staff_id, "staff_id") if staff_id else None,
                         _id(department_id, "department_id") if department_id else None, limit=limit, cursor=cursor)


def bonus_view(item: BonusItem) -> dict[str, Any]:
    kind = AWARD_KINDS.get(item.kind, (item.kind, item.kind))
    return {"bonus_id": item.bonus_id, "month": item.month, "staff_id": item.staff_id,
            "department_id": item.department_id, "kind": item.kind, "label_zh": kind[0], "label_en": kind[1],
            "amount_fen": int(item.amount_fen), "note": item.note, "entered_by": item.entered_by,
            "entered_at": item.entered_at}


def enter_bonus(principal: Principal, body: Body, now: datetime) -> dict[str, Any]:
    """Finance enters a named bonus: ``{staff_id, month, kind, amount_fen, note?}`` (paid with that month)."""
    principal.require_role(Role.FINANCE)
    staff_id = body.text("staff_id", max_length=40)
    month = check_month(body.text("month", max_length=7), now)
    kind = body.text("kind", max_length=40)
    amount = body.integer("amount_fen", minimum=1)
    note = body.text("note", required=False, max_length=MAX_NOTE) or ""
    Award(kind, amount, note)  # the kind and the amount by the domain's rule
    check_not_own_bonus(principal.person_id, staff_id)
    person = member(staff_id)
    if person is None:
        raise ValidationError(f"unknown staff member {staff_id}", field="staff_id")
    if _locked(month, [person.department_id]):
        raise Conflict(f"{month} is approved (locked) for {person.department_id}: no more bonuses for it",
                       code="month_locked", field="month")
    item = BonusItem.make(f"B{secrets.token_hex(5).upper()}", month, staff_id, person.department_id, kind, amount,
                          note, principal.person_id, to_iso(now))
    if not store.add_bonus(item):
        raise Conflict("that bonus id is taken: send it again", code="exists")
    return bonus_view(item)


# ---------------------------------------------------------------- pay rules, versioned
def rules_view(item: RulesItem) -> dict[str, Any]:
    return {"department_id": item.department_id, "version": int(item.version),
            "effective_from": item.effective_from, **item.rules, "created_by": item.created_by,
            "created_at": item.created_at}


def get_rules(principal: Principal, department_id: str, params: Mapping[str, str], now: datetime
              ) -> dict[str, Any]:
    """Every version, and the one in force in ``month`` (default: the current month; null if none)."""
    principal.require_role(*SEE_ALL)
    department(department_id)
    month = params.get("month") or current_month(now)
    if not MONTH.fullmatch(month):
        raise ValidationError("month must be YYYY-MM", field="month")
    items = list(RulesItem.query(store.rules_key(department_id), consistent_read=True))
    in_force = None
    chosen = [i for i in items if i.effective_from <= month]
    if chosen:  # rules_for's choice: the latest start not after the month, then the higher version
        in_force = rules_view(max(chosen, key=lambda i: (i.effective_from, int(i.version))))
    return {"department_id": department_id, "month": month, "in_force": in_force,
            "versions": [rules_view(item) for item in items]}


def new_rules(principal: Principal, department_id: str, body: Body, now: datetime) -> dict[str, Any]:
    """Finance adds a version of a department's rules, effective from a month (``effective_from``)."""
    principal.require_role(Role.FINANCE)
    department(department_id)
    versions = store.rule_versions(department_id)
    rules = parse_rules(department_id, body, max((v.version for v in versions), default=0) + 1)
    validate_rules(rules)
    locked = store.locks_from(rules.effective_from, department_id, current_month(now)[:4])
    if locked:
        raise Conflict(f"{locked[0].month} is approved (locked) for {department_id}: rules effective from "
                       f"{rules.effective_from} would change it; start them after the last approved month",
                       code="month_locked", field="effective_from")
    if not store.add_rules(rules, principal.person_id, to_iso(now)):
        raise Conflict(f"someone added version {rules.version} of {department_id}'s rules first: reload them",
                       code="version_conflict")
    return rules_view(RulesItem.make(rules, principal.person_id, to_iso(now)))


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


def put_rules(rules: PayRules, by: str, now: datetime) -> RulesItem:
    """Store a version of the rules as given (the demo loader; no lock check): 409 if the version is taken."""
    validate_rules(rules)
    if not store.add_rules(rules, by, to_iso(now)):
        raise Conflict(f"version {rules.version} of {rules.department_id}'s rules exists", code="version_conflict")
    return RulesItem.make(rules, by, to_iso(now))


# ---------------------------------------------------------------- runs
def run_id_for(month: str, departments: Iterable[str]) -> str:
    """The same month and departments (in any order) always name the same run."""
    digest = hashlib.sha256("|".join(sorted(departments)).encode()).hexdigest()[:10].upper()
    return f"PR-{month}-{digest}"


@dataclass(frozen=True)
class Started:
    run: dict[str, Any]
    created: bool


def start_run(principal: Principal, body: Body, now: datetime, invoke: Invoke) -> Started:
    """Finance triggers payroll: ``{month, departments}``. See the module docstring for the answers."""
    transition(None, "create", principal.actor())  # 403 unless finance
    month = check_month(body.text("month", max_length=7), now)
    departments = department_ids(body)
    locked = _locked(month, departments)
    if locked:
        raise Conflict(f"{month} is approved (locked) for {', '.join(locked)}: it is paid already",
                       code="month_locked", field="departments")
    run_id = run_id_for(month, departments)
    existing = store.get_run(run_id)
    if existing is None:
        ready(month, departments)
        at = to_iso(now)
        item = RunItem.make(run_id, month, departments, RunState.QUEUED.value, principal.person_id, at)
        event = Event(at, principal.person_id, "create", None, RunState.QUEUED.value,
                      {"month": [None, month], "departments": [None, departments]}, None)
        try:
            store.write_run(item, None, [event])
        except store.Refused:
            existing = store.get_run(run_id)  # the same trigger, sent at the same moment
        else:
            invoke({"run_id": run_id, "generation": 1})
            return Started(run_view(item), True)
    if existing is None:  # pragma: no cover - refused for an existing key that is gone again
        raise Conflict(f"run {run_id} changed meanwhile: send it again", code="version_conflict")
    if existing.state == RunState.QUEUED.value:
        invoke({"run_id": run_id, "generation": int(existing.generation)})
    return Started(run_view(existing), False)


def department_ids(body: Body) -> list[str]:
    raw = body.data.get("departments")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_DEPARTMENTS:
        raise ValidationError(f"departments is a list of 1 to {MAX_DEPARTMENTS} department ids", field="departments")
    if not all(isinstance(d, str) and re.fullmatch(ID, d) for d in raw):
        raise ValidationError("departments holds department ids", field="departments")
    if len(set(raw)) != len(raw):
        raise ValidationError("departments names a department twice", field="departments")
    known = {d.department_id for d in staff.departments()}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValidationError(f"unknown department {unknown[0]}", field="departments")
    return sorted(raw)


def ready(month: str, departments: Iterable[str]) -> None:
    """Every department has rules in force in the month, and its income when the rules share a pool."""
    for department_id in departments:
        versions = store.rule_versions(department_id)
        try:
            rules = rules_for(month, versions) if versions else None
        except ValidationError:
            rules = None
        if rules is None:
            raise ValidationError(f"{department_id} has no pay rules in force in {month}: add them first",
                                  field="departments")
        if rules.bonus_pool_share > 0 and store.income(month, department_id, consistent=True) is None:
            raise ValidationError(f"enter {department_id}'s income for {month} first (its rules share a bonus "
                                  "pool of it)", field="departments")


def list_runs(principal: Principal, params: Mapping[str, str], now: datetime, limit: int,
              cursor: str | None) -> Page:
    principal.require_role(*SEE_ALL)
    month = params.get("month")
    if month:
        check_month(month, now)
    return store.runs(month, limit=limit, cursor=cursor)


def load_run(principal: Principal, run_id: str) -> RunItem:
    principal.require_role(*SEE_ALL)
    item = store.get_run(run_id) if re.fullmatch(RUN_ID, run_id) else None
    if item is None:
        raise NotFound(f"no payroll run {run_id}")
    return item


def get_run(principal: Principal, run_id: str) -> dict[str, Any]:
    item = load_run(principal, run_id)
    return {**run_view(item), "history": store.run_events(run_id)}


def run_view(item: RunItem) -> dict[str, Any]:
    """The run as the API shows it. ``totals`` are those of the payslips readers see; while a recompute is
    queued or computing (or after it failed) there are none to see, and the last computation's totals are
    ``previous_totals``."""
    shown = RunState(item.state) in READABLE
    return {"run_id": item.run_id, "month": item.month, "departments": list(item.departments), "state": item.state,
            "version": int(item.version), "generation": int(item.generation),
            "payslip_version": int(item.payslip_version or 0),
            "progress": {"staff_done": int(item.staff_done or 0), "staff_total": int(item.staff_total or 0)},
            "totals": (item.totals or {}) if shown else {}, "previous_totals": {} if shown else (item.totals or {}),
            "warnings": item.warnings or [], "warning_count": int(item.warning_count or 0),
            "failure_reason": item.failure_reason, "created_by": item.created_by, "created_at": item.created_at,
            "updated_at": item.updated_at, "started_at": item.started_at, "finished_at": item.finished_at,
            "submitted_by": item.submitted_by, "submitted_at": item.submitted_at, "decided_by": item.decided_by,
            "decided_at": item.decided_at, "reason": item.reason, "locked": item.state == RunState.APPROVED.value}


def check_action(action: str) -> None:
    if action not in ACTIONS:
        raise NotFound(f"no action {action!r} on a payroll run: use one of {', '.join(ACTIONS)}")


def act(principal: Principal, run_id: str, action: str, body: Body, now: datetime, invoke: Invoke) -> dict[str, Any]:
    """recompute | submit (finance), approve | reject (a leader; a rejection needs ``reason``)."""
    check_action(action)
    item = load_run(principal, run_id)
    reason = body.text("reason", required=False, max_length=MAX_NOTE)
    state = RunState(item.state)
    target = transition(state, action, principal.actor(), reason)
    at, by = to_iso(now), principal.person_id
    read_version = int(item.version)
    changes: dict[str, list[Any]] = {}
    also: list[tuple[Any, Any]] = []
    if action == "recompute":
        locked = _locked(item.month, item.departments)
        if locked:
            raise Conflict(f"{item.month} is approved (locked) for {', '.join(locked)} by another run: this run "
                           "can never be approved", code="month_locked", field="departments")
        changes["generation"] = [int(item.generation), int(item.generation) + 1]
        item.generation = int(item.generation) + 1
        item.failure_reason, item.attempt, item.staff_done = None, None, 0
        item.submitted_by = item.submitted_at = item.decided_by = item.decided_at = item.reason = None
    elif action == "submit":
        item.submitted_by, item.submitted_at = by, at
    else:
        if action == "approve":
            check_four_eyes(by, item.submitted_by, entered_figures(item))
        item.decided_by, item.decided_at = by, at
        item.reason = reason if action == "reject" else None
        if action == "approve":
            also = [(LockItem.make(item.month, d, item.run_id, int(item.payslip_version), by, at),
                     LockItem.pk.does_not_exist()) for d in item.departments]
    item.state, item.updated_at, item.version = target.value, at, read_version + 1
    event = Event(at, by, action, state.value, target.value, changes, reason)
    try:
        store.write_run(item, read_version, [event], also=also)
    except store.Refused as refused:
        if refused.reasons and refused.reasons[0] == CONDITION_FAILED:
            raise Conflict(f"run {run_id} was changed by someone else: reload it and try again",
                           code="version_conflict") from None
        taken = [item.departments[i - 2] for i, code in enumerate(refused.reasons)
                 if i >= 2 and code == CONDITION_FAILED]
        raise Conflict(f"{item.month} was approved for {', '.join(taken)} by another run meanwhile",
                       code="month_locked", field="departments") from None
    if action == "recompute":
        invoke({"run_id": run_id, "generation": int(item.generation)})
    return run_view(item)


def entered_figures(run: RunItem) -> dict[str, str]:
    """Who entered the income figures and named bonuses a run pays: person id -> the first such entry."""
    entered: dict[str, str] = {}
    for income in store.incomes(run.month):
        if income.department_id in run.departments:
            entered.setdefault(income.entered_by, f"the income of {income.department_id} for {run.month}")
    for bonus in store.bonuses_of_month(run.month):
        if bonus.department_id in run.departments:
            entered.setdefault(bonus.entered_by, f"named bonus {bonus.bonus_id} for {bonus.staff_id}")
    return entered


# ---------------------------------------------------------------- payslips
def readable(item: RunItem) -> None:
    if RunState(item.state) not in READABLE or not int(item.payslip_version or 0):
        raise Conflict(f"run {item.run_id} is {item.state}: it has no payslips to show now", code="not_computed")


def payslip_view(slip: PayslipItem, run: RunItem) -> dict[str, Any]:
    return {"run_id": slip.run_id, "generation": int(slip.generation), "run_state": run.state,
            "month": slip.month, "department_id": slip.department_id, "staff_id": slip.staff_id, "name": slip.name,
            "post_id": slip.post_id, "post": slip.post_name, "support_staff": bool(slip.support_staff),
            "rules_version": int(slip.rules_version), "score": slip.score, "lines": slip.lines,
            "gross_fen": int(slip.gross_fen), "deductions_fen": int(slip.deductions_fen), "tax_fen": int(slip.tax_fen),
            "net_fen": int(slip.net_fen), "months_in_year": int(slip.months_in_year), "year_to_date": slip.ytd,
            "bank_account": slip.bank_account, "warnings": slip.warnings or []}


def run_payslip(principal: Principal, run_id: str, staff_id: str) -> dict[str, Any]:
    """Finance, leaders, admins: anyone's payslip of a computed run; a person: their own, once approved."""
    see_all = principal.has_role(*SEE_ALL)
    if not (see_all or principal.is_person(staff_id)):
        raise NotFound(f"no payslip of {staff_id} in run {run_id}")
    run = store.get_run(run_id) if re.fullmatch(RUN_ID, run_id) else None
    if run is None or not (see_all or run.state == RunState.APPROVED.value):
        raise NotFound(f"no payslip of {staff_id} in run {run_id}")
    readable(run)
    slip = store.payslip(run_id, int(run.payslip_version), run.month, staff_id) if re.fullmatch(ID, staff_id) else None
    if slip is None:
        raise NotFound(f"no payslip of {staff_id} in run {run_id}")
    return payslip_view(slip, run)


def staff_payslips(principal: Principal, staff_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """A person's payslips, latest month first: their own of approved runs; finance, leaders and admins
    see those of every computed run. A page may hold fewer than ``limit`` (superseded generations are
    skipped); follow the cursor until it is null."""
    see_all = principal.has_role(*SEE_ALL)
    if not principal.is_person(staff_id) and not (see_all and member(staff_id) is not None):
        raise NotFound(f"no staff member {staff_id}")
    page = store.payslips_of_person(staff_id, limit=limit, cursor=cursor)
    runs = store.runs_of_ids(item.run_id for item in page.items)
    items = []
    for slip in page.items:
        run = runs.get(slip.run_id)
        if run is None or int(run.payslip_version or 0) != int(slip.generation):
            continue
        if RunState(run.state) not in READABLE or not (see_all or run.state == RunState.APPROVED.value):
            continue
        items.append({"run_id": slip.run_id, "run_state": run.state, "month": slip.month,
                      "department_id": slip.department_id, "gross_fen": int(slip.gross_fen),
                      "deductions_fen": int(slip.deductions_fen), "tax_fen": int(slip.tax_fen),
                      "net_fen": int(slip.net_fen)})
    return {"staff_id": staff_id, "items": items, "cursor": page.cursor}


# ---------------------------------------------------------------- the payroll report (工资报表)
MONEY_COLUMNS = (
    ("post_salary_fen", "岗位工资(分)", "Post salary (fen)"),
    ("performance_fen", "绩效工资(分)", "Performance (fen)"),
    ("piece_rate_fen", "计件工资(分)", "Piece rate (fen)"),
    ("bonus_pool_fen", "奖金池分配(分)", "Bonus pool (fen)"),
    ("awards_fen", "奖励(分)", "Bonuses (fen)"),
    ("attendance_fen", "考勤扣款(分)", "Attendance deductions (fen)"),
    ("gross_fen", "应发(分)", "Gross (fen)"),
    ("pension_fen", "养老保险(分)", "Pension (fen)"),
    ("medical_fen", "医疗保险(分)", "Medical (fen)"),
    ("unemployment_fen", "失业保险(分)", "Unemployment (fen)"),
    ("housing_fund_fen", "住房公积金(分)", "Housing fund (fen)"),
    ("tax_fen", "个人所得税(分)", "Income tax (fen)"),
    ("net_fen", "实发(分)", "Net (fen)"),
)
COLUMNS = (
    Column("department_id", "部门", "Department"), Column("staff_id", "工号", "Staff id"),
    Column("name", "姓名", "Name"), Column("post", "岗位", "Post"), Column("score", "考核分", "Score"),
    *(Column(k, zh, en) for k, zh, en in MONEY_COLUMNS),
)
LINE_COLUMN = {"post_salary": "post_salary_fen", "performance": "performance_fen", "piece_rate": "piece_rate_fen",
               "bonus_pool": "bonus_pool_fen", "late": "attendance_fen", "early_leave": "attendance_fen",
               "absent": "attendance_fen", "pension": "pension_fen", "medical": "medical_fen",
               "unemployment": "unemployment_fen", "housing_fund": "housing_fund_fen"}


@dataclass(frozen=True)
class Report:
    run: RunItem
    fmt: str
    department_id: str | None
    table: Table
    staff_rows: list[dict[str, Any]]

    @property
    def file_name(self) -> str:
        return f"payroll_{self.run.run_id}_{self.department_id or 'all'}"

    def body(self) -> dict[str, Any]:
        totals = (self.run.totals or {}).get("departments", {})
        chosen = [self.department_id] if self.department_id else list(self.run.departments)
        return {"run": run_view(self.run), "title": self.table.title, "department_id": self.department_id,
                "columns": [c.as_dict() for c in self.table.columns], "items": self.staff_rows,
                "count": len(self.staff_rows), "departments": {d: totals.get(d) for d in chosen}}


def report(principal: Principal, run_id: str, params: Mapping[str, str]) -> Report:
    """The run's payroll report by department: a row per person, a subtotal per department, a total."""
    run = load_run(principal, run_id)
    fmt = query_choice(params, "format", FORMATS) or "json"
    department_id = params.get("department_id")
    if department_id is not None and department_id not in run.departments:
        raise ValidationError(f"department_id must be one of the run's: {', '.join(run.departments)}",
                              field="department_id")
    readable(run)
    chosen = [department_id] if department_id else list(run.departments)
    rows: list[dict[str, Any]] = []
    staff_rows: list[dict[str, Any]] = []
    total = _zero_row("", "合计 Total")
    for d in chosen:
        subtotal = _zero_row(d, "小计 Subtotal")
        for slip in store.payslips(run.run_id, int(run.payslip_version), d):
            row = report_row(slip)
            staff_rows.append(row)
            rows.append(row)
            for k, _, _ in MONEY_COLUMNS:
                subtotal[k] += row[k]
                total[k] += row[k]
        rows.append(subtotal)
    if len(chosen) > 1:
        rows.append(total)
    title = f"工资报表 Payroll {run.month} {run.run_id}" + (f" {department_id}" if department_id else "")
    return Report(run, fmt, department_id, Table(title, COLUMNS, rows), staff_rows)


def _zero_row(department_id: str, name: str) -> dict[str, Any]:
    return {"department_id": department_id, "staff_id": None, "name": name, "post": None, "score": None,
            **{k: 0 for k, _, _ in MONEY_COLUMNS}}


def report_row(slip: PayslipItem) -> dict[str, Any]:
    row = {"department_id": slip.department_id, "staff_id": slip.staff_id, "name": slip.name,
           "post": slip.post_name, "score": slip.score, **{k: 0 for k, _, _ in MONEY_COLUMNS}}
    for line in slip.lines:
        code = line["code"]
        column = "awards_fen" if code.startswith("award_") else LINE_COLUMN.get(code)
        if column:
            row[column] += int(line["amount_fen"])
    row["gross_fen"], row["tax_fen"], row["net_fen"] = int(slip.gross_fen), int(slip.tax_fen), int(slip.net_fen)
    return row


# ---------------------------------------------------------------- the bank transfer list (代发工资)
def bank_transfers(principal: Principal, run_id: str) -> dict[str, Any]:
    """Who is paid how much, to which (masked) account: an approved run only. A net of zero or less, or no
    account on file, is listed under ``not_paid`` with the reason."""
    run = load_run(principal, run_id)
    if run.state != RunState.APPROVED.value:
        raise Conflict(f"run {run_id} is {run.state}: the bank transfer list is for an approved run only",
                       code="not_approved")
    items, not_paid = [], []
    for d in run.departments:
        for slip in store.payslips(run.run_id, int(run.payslip_version), d):
            if int(slip.net_fen) <= 0 or not slip.bank_account:
                why = "no bank account" if not slip.bank_account else "net pay is not above zero"
                not_paid.append({"staff_id": slip.staff_id, "name": slip.name, "department_id": d,
                                 "net_fen": int(slip.net_fen), "reason": why})
                continue
            items.append({"staff_id": slip.staff_id, "name": slip.name, "department_id": d,
                          "bank_account": slip.bank_account, "amount_fen": int(slip.net_fen)})
    return {"run_id": run.run_id, "month": run.month, "count": len(items),
            "total_fen": sum(i["amount_fen"] for i in items), "items": items, "not_paid": not_paid}


# ---------------------------------------------------------------- the worker invocation
def invoke_worker(payload: dict[str, Any]) -> None:
    """Start the PayrollWorkerFunction asynchronously (InvocationType Event: Lambda answers 202 at once,
    retries once, then sends the failure to PayrollFailuresQueue). Tests replace this function."""
    name = settings().payroll_worker_function
    if not name:
        raise SettingsError("PAYROLL_WORKER_FUNCTION is not set: the template passes the worker's name")
    _lambda().invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(payload).encode())


@cache
def _lambda() -> Any:
    import boto3

    return boto3.client("lambda", region_name=settings().region)

