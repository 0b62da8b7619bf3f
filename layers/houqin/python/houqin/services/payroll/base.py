"""What every payroll use case shares: its ports (houqin.ports: the payroll, staff, attendance and ticket
repositories, a clock, the worker's invoker) given to ``PayrollPorts`` as keyword arguments, each left out
defaulting to production's (nothing connects until it is used); the checks of a month, an id, a department,
a staff member and a run the caller may read; who sees what."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, Protocol, cast

from houqin.auth import Principal
from houqin.aws import LambdaInvoker
from houqin.clock import Clock, local
from houqin.domain.actors import Role
from houqin.domain.audit import Event
from houqin.domain.payroll.lines import validate_month
from houqin.domain.payroll.rules import PayRules
from houqin.domain.payroll.run_state import RunState
from houqin.domain.tickets import Ticket
from houqin.errors import Conflict, NotFound
from houqin.ports import Invoker
from houqin.services.attendance import AttendanceReads  # the month payroll reads, as attendance reads it
from houqin.settings import SettingsError, settings
from houqin.store import attendance as attendance_store
from houqin.store import payroll as payroll_store
from houqin.store import staff as staff_store
from houqin.store import tickets as tickets_store
from houqin.store.paging import Page
from houqin.store.payroll import BonusItem, IncomeItem, LockItem, OpeningYearToDate, PayslipItem, RulesItem, RunItem
from houqin.store.staff import Department, Post, StaffMember
from houqin.system_clock import SystemClock

SEE_ALL = (Role.FINANCE, Role.LEADER, Role.ADMIN)
STAFF_SIDE = (Role.FINANCE, Role.LEADER, Role.ADMIN, Role.MANAGER, Role.STAFF)
ID = r"[A-Za-z0-9_-]{1,40}"
RUN_ID = r"PR-\d{4}-\d{2}-[0-9A-F]{10}"
READABLE = frozenset({RunState.DRAFT, RunState.SUBMITTED, RunState.APPROVED, RunState.REJECTED})
MAX_NOTE = 500


class PayrollRepository(Protocol):
    """What pay needs of storage: rules, income, bonuses, runs, payslips, locks (houqin.store.payroll)."""

    def rule_versions(self, department_id: str) -> list[PayRules]: ...
    def rules_items(self, department_id: str) -> list[RulesItem]: ...
    def add_rules(self, rules: PayRules, by: str, at: str) -> bool: ...
    def income(self, month: str, department_id: str, consistent: bool = False) -> IncomeItem | None: ...
    def incomes(self, month: str) -> list[IncomeItem]: ...
    def save_income(self, month: str, department_id: str, income_fen: int, note: str | None, by: str, at: str,
                    read_version: int | None) -> IncomeItem | None: ...
    def add_bonus(self, item: BonusItem) -> bool: ...
    def bonuses(self, month: str, staff_id: str | None = None, department_id: str | None = None, *, limit: int,
                cursor: str | None) -> Page: ...
    def bonuses_of_month(self, month: str) -> list[BonusItem]: ...
    def get_run(self, run_id: str, consistent: bool = True) -> RunItem | None: ...
    def runs_of_ids(self, run_ids: Iterable[str]) -> dict[str, RunItem]: ...
    def runs(self, month: str | None, *, limit: int, cursor: str | None) -> Page: ...
    def run_events(self, run_id: str) -> list[dict[str, Any]]: ...
    def write_run(self, item: RunItem, read_version: int | None, events: Iterable[Event], *,
                  attempt: str | None = None, locks: Iterable[LockItem] = ()) -> None: ...
    def report_progress(self, run_id: str, attempt: str, done: int, total: int, at: str) -> bool: ...
    def new_payslip(self, run_id: str, generation: int, month: str, department_id: str, staff_id: str,
                    **fields: Any) -> PayslipItem: ...
    def write_payslips(self, items: Iterable[PayslipItem]) -> int: ...
    def payslips(self, run_id: str, generation: int, department_id: str) -> Iterator[PayslipItem]: ...
    def delete_generation(self, run_id: str, generation: int, departments: Iterable[str]) -> int: ...
    def payslip(self, run_id: str, generation: int, month: str, staff_id: str) -> PayslipItem | None: ...
    def payslips_of_person(self, staff_id: str, *, limit: int, cursor: str | None) -> Page: ...
    def year_of_person(self, staff_id: str, month: str) -> list[PayslipItem]: ...
    def department_history(self, run_id: str, generation: int, department_id: str) -> list[PayslipItem]: ...
    def locks_of_year(self, year: str) -> list[LockItem]: ...
    def openings(self, year: int, staff_ids: Iterable[str]) -> dict[str, OpeningYearToDate]: ...
    def locks_of_month(self, month: str) -> dict[str, LockItem]: ...
    def locks_from(self, month: str, department_id: str, until_year: str) -> list[LockItem]: ...


class StaffDirectory(Protocol):
    """The personnel archive: departments, posts, staff (houqin.store.staff)."""

    def departments(self) -> list[Department]: ...
    def department(self, department_id: str) -> Department | None: ...
    def posts(self) -> list[Post]: ...
    def posts_page(self, department_id: str | None, *, limit: int, cursor: str | None) -> Page: ...
    def post(self, post_id: str) -> Post | None: ...
    def member(self, staff_id: str) -> StaffMember | None: ...
    def members_of(self, department_id: str) -> list[StaffMember]: ...


class TicketReads(Protocol):
    """Repair tickets by their worker (houqin.store.tickets): what piece rates pay."""

    def reported_between(self, owner: str, owner_id: str, start: str, end: str) -> Iterator[Ticket]: ...


class PayrollPorts:
    """The ports of the payroll use cases (houqin.ports), each defaulting to production's when left out:
    the store modules, the system clock, Lambda's asynchronous invocation of the worker named by settings
    (read when it is first invoked) and ``time.sleep`` for the worker's watching."""

    def __init__(self, *, payroll: PayrollRepository | None = None, staff: StaffDirectory | None = None,
                 attendance: AttendanceReads | None = None, tickets: TicketReads | None = None,
                 clock: Clock | None = None, invoker: Invoker | None = None, worker_function: str | None = None,
                 pause: Callable[[float], None] | None = None) -> None:
        # "is None", not "or": a fake may be empty (falsy) and is still the port given
        self.payroll = cast(PayrollRepository, payroll_store) if payroll is None else payroll
        self.staff = cast(StaffDirectory, staff_store) if staff is None else staff
        self.attendance = cast(AttendanceReads, attendance_store) if attendance is None else attendance
        self.tickets = cast(TicketReads, tickets_store) if tickets is None else tickets
        self.clock: Clock = SystemClock() if clock is None else clock
        self.invoker: Invoker = LambdaInvoker() if invoker is None else invoker
        self.worker_function = worker_function
        self.pause: Callable[[float], None] = _sleep if pause is None else pause

    def invoke_worker(self, payload: dict[str, Any]) -> None:
        """Start the PayrollWorkerFunction asynchronously (InvocationType Event: Lambda answers 202 at once,
        retries once, then sends the failure to PayrollFailuresQueue)."""
        name = self.worker_function or settings().payroll_worker_function
        if not name:
            raise SettingsError("PAYROLL_WORKER_FUNCTION is not set: the template passes the worker's name")
        self.invoker.invoke_async(name, payload)

    # ---------------------------------------------------------------- months
    def current_month(self) -> str:
        return current_month(self.clock.now())

    def check_month(self, month: Any) -> str:
        """``YYYY-MM``, not later than the current local month: else a 400 naming ``month``."""
        validate_month(month, self.current_month())
        return month

    # ---------------------------------------------------------------- the archive, runs
    def department(self, department_id: str, field: str = "department_id") -> Department:
        item = self.staff.department(department_id) if re.fullmatch(ID, department_id) else None
        if item is None:
            raise NotFound(f"no department {department_id}", field=field)
        return item

    def member(self, staff_id: str) -> StaffMember | None:
        return self.staff.member(staff_id) if re.fullmatch(ID, staff_id or "") else None

    def locked(self, month: str, department_ids: Iterable[str]) -> list[str]:
        locks = self.payroll.locks_of_month(month)
        return sorted(d for d in department_ids if d in locks)

    def load_run(self, principal: Principal, run_id: str) -> RunItem:
        principal.require_role(*SEE_ALL)
        item = self.payroll.get_run(run_id) if re.fullmatch(RUN_ID, run_id) else None
        if item is None:
            raise NotFound(f"no payroll run {run_id}")
        return item


def _sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)


def current_month(now: datetime) -> str:
    return f"{local(now, settings().tz):%Y-%m}"


def readable(item: RunItem) -> None:
    """A run's payslips, report and totals are read only once it is computed."""
    if RunState(item.state) not in READABLE or not int(item.payslip_version or 0):
        raise Conflict(f"run {item.run_id} is {item.state}: it has no payslips to show now", code="not_computed")


def can_see_person(principal: Principal, person: StaffMember) -> bool:
    if principal.is_person(person.staff_id) or principal.has_role(*SEE_ALL):
        return True
    return principal.has_role(Role.MANAGER) and bool(person.manager_id) and principal.is_person(person.manager_id)

