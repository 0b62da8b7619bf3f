"""Payroll runs: finance starts one (the worker computes it asynchronously), recomputes and submits it; a
leader approves (four eyes) or rejects it. Approval writes the run and one lock per department in one
transaction: an approved month is paid once and changes no more."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from houqin.auth import Principal
from houqin.clock import to_iso
from houqin.contract import Paging, items, text
from houqin.domain.audit import Event
from houqin.domain.payroll.lines import MONTH
from houqin.domain.payroll.rules import rules_for
from houqin.domain.payroll.run_state import RunState, check_four_eyes, transition
from houqin.errors import Conflict, NotFound, ValidationError
from houqin.services.payroll.base import ID, MAX_NOTE, READABLE, SEE_ALL, PayrollPorts
from houqin.store.paging import Page
from houqin.store.payroll import LockItem, Refused, RunItem

ACTIONS = ("recompute", "submit", "approve", "reject")
MAX_DEPARTMENTS = 50
CONDITION_FAILED = "ConditionalCheckFailed"


# ---------------------------------------------------------------- inputs (declared once: parsed and documented)
@dataclass(frozen=True)
class RunTrigger:
    """Finance starts payroll for a month and departments; the same month and departments name the same run."""

    month: str = text("YYYY-MM, not after the current month", max_length=7, pattern=MONTH.pattern)
    departments: list[str] = items(f"1 to {MAX_DEPARTMENTS} department ids, each once", min_items=1,
                                   max_items=MAX_DEPARTMENTS)


@dataclass(frozen=True)
class RunAction:
    reason: str | None = text("why: required to reject", max_length=MAX_NOTE, default=None)


@dataclass(frozen=True)
class RunsQuery(Paging):
    month: str | None = text("only this month's runs (YYYY-MM)", max_length=7, pattern=MONTH.pattern, default=None)


@dataclass(frozen=True)
class Started:
    run: dict[str, Any]
    created: bool


class Runs(PayrollPorts):
    def start_run(self, principal: Principal, trigger: RunTrigger) -> Started:
        """Finance triggers payroll: ``{month, departments}``. See houqin.services.payroll for the answers."""
        transition(None, "create", principal.actor())  # 403 unless finance
        month = self.check_month(trigger.month)
        departments = self.department_ids(trigger.departments)
        locked = self.locked(month, departments)
        if locked:
            raise Conflict(f"{month} is approved (locked) for {', '.join(locked)}: it is paid already",
                           code="month_locked", field="departments")
        run_id = run_id_for(month, departments)
        existing = self.payroll.get_run(run_id)
        if existing is None:
            self.ready(month, departments)
            at = to_iso(self.clock.now())
            item = RunItem.make(run_id, month, departments, RunState.QUEUED.value, principal.person_id, at)
            event = Event(at, principal.person_id, "create", None, RunState.QUEUED.value,
                          {"month": [None, month], "departments": [None, departments]}, None)
            try:
                self.payroll.write_run(item, None, [event])
            except Refused:
                existing = self.payroll.get_run(run_id)  # the same trigger, sent at the same moment
            else:
                self.invoke_worker({"run_id": run_id, "generation": 1})
                return Started(run_view(item), True)
        if existing is None:  # pragma: no cover - refused for an existing key that is gone again
            raise Conflict(f"run {run_id} changed meanwhile: send it again", code="version_conflict")
        if existing.state == RunState.QUEUED.value:
            self.invoke_worker({"run_id": run_id, "generation": int(existing.generation)})
        return Started(run_view(existing), False)

    def department_ids(self, raw: list[str]) -> list[str]:
        if not all(re.fullmatch(ID, d) for d in raw):
            raise ValidationError("departments holds department ids", field="departments")
        if len(set(raw)) != len(raw):
            raise ValidationError("departments names a department twice", field="departments")
        known = {d.department_id for d in self.staff.departments()}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValidationError(f"unknown department {unknown[0]}", field="departments")
        return sorted(raw)

    def ready(self, month: str, departments: Iterable[str]) -> None:
        """Every department has rules in force in the month, and its income when the rules share a pool."""
        for department_id in departments:
            versions = self.payroll.rule_versions(department_id)
            try:
                rules = rules_for(month, versions) if versions else None
            except ValidationError:
                rules = None
            if rules is None:
                raise ValidationError(f"{department_id} has no pay rules in force in {month}: add them first",
                                      field="departments")
            if rules.bonus_pool_share > 0 and self.payroll.income(month, department_id, consistent=True) is None:
                raise ValidationError(f"enter {department_id}'s income for {month} first (its rules share a bonus "
                                      "pool of it)", field="departments")

    def list_runs(self, principal: Principal, query: RunsQuery) -> Page:
        principal.require_role(*SEE_ALL)
        if query.month:
            self.check_month(query.month)
        return self.payroll.runs(query.month, limit=query.limit, cursor=query.cursor)

    def get_run(self, principal: Principal, run_id: str) -> dict[str, Any]:
        item = self.load_run(principal, run_id)
        return {**run_view(item), "history": self.payroll.run_events(run_id)}

    def act(self, principal: Principal, run_id: str, action: str, given: RunAction) -> dict[str, Any]:
        """recompute | submit (finance), approve | reject (a leader; a rejection needs ``reason``)."""
        check_action(action)
        item = self.load_run(principal, run_id)
        reason = given.reason
        state = RunState(item.state)
        target = transition(state, action, principal.actor(), reason)
        at, by = to_iso(self.clock.now()), principal.person_id
        read_version = int(item.version)
        changes: dict[str, list[Any]] = {}
        locks: list[LockItem] = []
        if action == "recompute":
            locked = self.locked(item.month, item.departments)
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
                check_four_eyes(by, item.submitted_by, self.entered_figures(item))
            item.decided_by, item.decided_at = by, at
            item.reason = reason if action == "reject" else None
            if action == "approve":
                locks = [LockItem.make(item.month, d, item.run_id, int(item.payslip_version), by, at)
                         for d in item.departments]
        item.state, item.updated_at, item.version = target.value, at, read_version + 1
        event = Event(at, by, action, state.value, target.value, changes, reason)
        try:
            self.payroll.write_run(item, read_version, [event], locks=locks)
        except Refused as refused:
            if refused.reasons and refused.reasons[0] == CONDITION_FAILED:
                raise Conflict(f"run {run_id} was changed by someone else: reload it and try again",
                               code="version_conflict") from None
            taken = [item.departments[i - 2] for i, code in enumerate(refused.reasons)
                     if i >= 2 and code == CONDITION_FAILED]
            raise Conflict(f"{item.month} was approved for {', '.join(taken)} by another run meanwhile",
                           code="month_locked", field="departments") from None
        if action == "recompute":
            self.invoke_worker({"run_id": run_id, "generation": int(item.generation)})
        return run_view(item)

    def entered_figures(self, run: RunItem) -> dict[str, str]:
        """Who entered the income figures and named bonuses a run pays: person id -> the first such entry."""
        entered: dict[str, str] = {}
        for income in self.payroll.incomes(run.month):
            if income.department_id in run.departments:
                entered.setdefault(income.entered_by, f"the income of {income.department_id} for {run.month}")
        for bonus in self.payroll.bonuses_of_month(run.month):
            if bonus.department_id in run.departments:
                entered.setdefault(bonus.entered_by, f"named bonus {bonus.bonus_id} for {bonus.staff_id}")
        return entered


def run_id_for(month: str, departments: Iterable[str]) -> str:
    """The same month and departments (in any order) always name the same run."""
    digest = hashlib.sha256("|".join(sorted(departments)).encode()).hexdigest()[:10].upper()
    return f"PR-{month}-{digest}"


def check_action(action: str) -> None:
    if action not in ACTIONS:
        raise NotFound(f"no action {action!r} on a payroll run: use one of {', '.join(ACTIONS)}")


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


