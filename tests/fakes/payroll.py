"""In-memory ports of the payroll use cases (houqin.services.payroll): the payroll repository, the staff
directory and the ticket reads (the attendance reads are tests/fakes/attendance.py's InMemoryAttendance). Items
are the store's own classes, kept serialized as DynamoDB would keep them (a write on a stale copy is refused, as
the store's conditions refuse it)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from houqin.domain.audit import Event
from houqin.domain.payroll.rules import PayRules
from houqin.domain.tickets import Ticket
from houqin.store import payroll as store
from houqin.store.paging import Page
from houqin.store.payroll import BonusItem, IncomeItem, LockItem, PayslipItem, Refused, RulesItem, RunItem
from houqin.store.staff import Department, Post, StaffMember

CONDITION_FAILED = "ConditionalCheckFailed"


def _copy(item: Any) -> Any:
    return type(item).from_raw_data(item.serialize())


class InMemoryPayroll:
    """houqin.store.payroll kept in dicts; lists in the store's order, in one page."""

    new_payslip = staticmethod(store.new_payslip)  # a pure constructor

    def __init__(self) -> None:
        self.rules: dict[str, list[RulesItem]] = defaultdict(list)
        self.income_items: dict[tuple[str, str], IncomeItem] = {}
        self.bonus_items: list[BonusItem] = []
        self.run_items: dict[str, RunItem] = {}
        self.events: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.slips: dict[tuple[str, int, str], dict[str, PayslipItem]] = defaultdict(dict)
        self.locks: dict[tuple[str, str], LockItem] = {}
        self.opening_items: dict[tuple[int, str], store.OpeningYearToDate] = {}

    # ---------------------------------------------------------------- rules, income, bonuses
    def rules_items(self, department_id: str) -> list[RulesItem]:
        return sorted(self.rules[department_id], key=lambda i: int(i.version))

    def rule_versions(self, department_id: str) -> list[PayRules]:
        return [item.to_rules() for item in self.rules_items(department_id)]

    def add_rules(self, rules: PayRules, by: str, at: str) -> bool:
        if any(int(i.version) == rules.version for i in self.rules[rules.department_id]):
            return False
        self.rules[rules.department_id].append(RulesItem.make(rules, by, at))
        return True

    def income(self, month: str, department_id: str, consistent: bool = False) -> IncomeItem | None:
        return self.income_items.get((month, department_id))

    def incomes(self, month: str) -> list[IncomeItem]:
        return [item for (m, _), item in sorted(self.income_items.items()) if m == month]

    def save_income(self, month: str, department_id: str, income_fen: int, note: str | None, by: str, at: str,
                    read_version: int | None) -> IncomeItem | None:
        current = self.income_items.get((month, department_id))
        if (current is None) != (read_version is None) or (current and int(current.version) != read_version):
            return None
        item = IncomeItem(*IncomeItem.keys(month, department_id), month=month, department_id=department_id,
                          income_fen=income_fen, note=note, entered_by=by, entered_at=at,
                          version=(read_version or 0) + 1)
        self.income_items[(month, department_id)] = item
        return item

    def add_bonus(self, item: BonusItem) -> bool:
        if any(b.bonus_id == item.bonus_id for b in self.bonus_items):
            return False
        self.bonus_items.append(item)
        return True

    def bonuses(self, month: str, staff_id: str | None = None, department_id: str | None = None, *, limit: int,
                cursor: str | None) -> Page:
        found = [b for b in self.bonuses_of_month(month) if (staff_id is None or b.staff_id == staff_id)
                 and (department_id is None or b.department_id == department_id)]
        return Page(found[:limit], None)

    def bonuses_of_month(self, month: str) -> list[BonusItem]:
        return sorted((b for b in self.bonus_items if b.month == month), key=lambda b: b.sk)

    # ---------------------------------------------------------------- runs
    def get_run(self, run_id: str, consistent: bool = True) -> RunItem | None:
        item = self.run_items.get(run_id)
        return _copy(item) if item else None

    def runs_of_ids(self, run_ids: Iterable[str]) -> dict[str, RunItem]:
        return {run_id: run for run_id in set(run_ids) if (run := self.get_run(run_id))}

    def runs(self, month: str | None, *, limit: int, cursor: str | None) -> Page:
        found = sorted((r for r in self.run_items.values() if month is None or r.month == month),
                       key=lambda r: r.gsi1sk, reverse=True)
        return Page([_copy(r) for r in found[:limit]], None)

    def run_events(self, run_id: str) -> list[dict[str, Any]]:
        return list(self.events[run_id])

    def write_run(self, item: RunItem, read_version: int | None, events: Iterable[Event], *,
                  attempt: str | None = None, locks: Iterable[LockItem] = ()) -> None:
        """All or nothing, with the store's reasons: the run's, one per event, one per lock."""
        events, locks = list(events), list(locks)
        stored = self.run_items.get(item.run_id)
        if read_version is None:
            held = stored is None
        else:
            held = stored is not None and int(stored.version) == read_version
        if held and attempt is not None:
            held = stored is not None and stored.attempt == attempt and stored.state == "computing"
        lock_reasons = [CONDITION_FAILED if (lock.month, lock.department_id) in self.locks else None for lock in locks]
        if not held or any(lock_reasons):
            raise Refused([None if held else CONDITION_FAILED, *([None] * len(events)), *lock_reasons])
        self.run_items[item.run_id] = _copy(item)
        self.events[item.run_id] += [e.as_dict() for e in events]
        for lock in locks:
            self.locks[(lock.month, lock.department_id)] = lock

    def report_progress(self, run_id: str, attempt: str, done: int, total: int, at: str) -> bool:
        stored = self.run_items.get(run_id)
        if stored is None or stored.state != "computing" or stored.attempt != attempt:
            return False
        stored.staff_done, stored.staff_total, stored.heartbeat_at = done, total, at
        return True

    # ---------------------------------------------------------------- payslips
    def write_payslips(self, items: Iterable[PayslipItem]) -> int:
        count = 0
        for item in items:
            self.slips[(item.run_id, int(item.generation), item.department_id)][item.staff_id] = item
            count += 1
        return count

    def payslips(self, run_id: str, generation: int, department_id: str) -> Iterator[PayslipItem]:
        found = self.slips.get((run_id, generation, department_id), {})
        return iter([found[s] for s in sorted(found)])

    def delete_generation(self, run_id: str, generation: int, departments: Iterable[str]) -> int:
        return sum(len(self.slips.pop((run_id, generation, d), {})) for d in departments)

    def _of_person(self, staff_id: str) -> list[PayslipItem]:
        return sorted((slip for group in self.slips.values() for slip in group.values() if slip.staff_id == staff_id),
                      key=lambda s: s.gsi1sk)

    def payslip(self, run_id: str, generation: int, month: str, staff_id: str) -> PayslipItem | None:
        return next((s for s in self._of_person(staff_id)
                     if (s.run_id, int(s.generation), s.month) == (run_id, generation, month)), None)

    def payslips_of_person(self, staff_id: str, *, limit: int, cursor: str | None) -> Page:
        return Page(list(reversed(self._of_person(staff_id)))[:limit], None)

    def year_of_person(self, staff_id: str, month: str) -> list[PayslipItem]:
        return [s for s in self._of_person(staff_id) if s.month[:4] == month[:4] and s.month <= month]

    def department_history(self, run_id: str, generation: int, department_id: str) -> list[PayslipItem]:
        return list(self.payslips(run_id, generation, department_id))

    # ---------------------------------------------------------------- locks
    def openings(self, year: int, staff_ids: Iterable[str]) -> dict[str, store.OpeningYearToDate]:
        return {s: _copy(self.opening_items[(year, s)]) for s in set(staff_ids) if (year, s) in self.opening_items}

    def locks_of_year(self, year: str) -> list[LockItem]:
        return [lock for (month, _), lock in sorted(self.locks.items()) if month[:4] == year]

    def locks_of_month(self, month: str) -> dict[str, LockItem]:
        return {d: lock for (m, d), lock in sorted(self.locks.items()) if m == month}

    def locks_from(self, month: str, department_id: str, until_year: str) -> list[LockItem]:
        return [lock for (m, d), lock in sorted(self.locks.items())
                if d == department_id and m >= month and m[:4] <= until_year]


class InMemoryStaff:
    """houqin.store.staff: departments, posts and staff members given to the constructor."""

    def __init__(self, departments: Iterable[Department] = (), posts: Iterable[Post] = (),
                 members: Iterable[StaffMember] = ()) -> None:
        self.department_items = {d.department_id: d for d in departments}
        self.post_items = {p.post_id: p for p in posts}
        self.member_items = {m.staff_id: m for m in members}

    def departments(self) -> list[Department]:
        return [self.department_items[d] for d in sorted(self.department_items)]

    def department(self, department_id: str) -> Department | None:
        return self.department_items.get(department_id)

    def posts(self) -> list[Post]:
        return [self.post_items[p] for p in sorted(self.post_items)]

    def posts_page(self, department_id: str | None, *, limit: int, cursor: str | None) -> Page:
        found = [p for p in self.posts() if department_id is None or p.department_id == department_id]
        return Page(found[:limit], None)

    def post(self, post_id: str) -> Post | None:
        return self.post_items.get(post_id)

    def member(self, staff_id: str) -> StaffMember | None:
        return self.member_items.get(staff_id)

    def members(self, staff_ids: Iterable[str]) -> dict[str, StaffMember]:
        return {s: self.member_items[s] for s in sorted(set(staff_ids)) if s in self.member_items}

    def team(self, manager_id: str) -> list[StaffMember]:
        return [m for _, m in sorted(self.member_items.items()) if m.manager_id == manager_id]

    def members_of(self, department_id: str) -> list[StaffMember]:
        return [m for _, m in sorted(self.member_items.items()) if m.department_id == department_id]


class InMemoryTickets:
    """houqin.store.tickets' worker index: tickets by worker, created in [start, end]."""

    def __init__(self, tickets: Iterable[Ticket] = ()) -> None:
        self.ticket_items = list(tickets)

    def reported_between(self, owner: str, owner_id: str, start: str, end: str) -> Iterator[Ticket]:
        assert owner == "worker"
        return iter([t for t in self.ticket_items if t.worker_id == owner_id and start <= t.created_at <= end])
