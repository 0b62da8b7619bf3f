"""In-memory ports of the attendance use cases (houqin.services.attendance): the attendance repository
(houqin.store.attendance). Payroll's use cases read a month through the same fake (its read side); the staff
archive is tests/fakes/payroll.py's InMemoryStaff."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

from houqin.clock import local_day
from houqin.domain.attendance import Punch
from houqin.errors import Conflict
from houqin.settings import settings
from houqin.store.attendance import CorrectionItem, PunchItem, RejectedPunchItem, TerminalItem, WorkLogItem
from houqin.store.paging import Page

Item = TypeVar("Item", CorrectionItem, WorkLogItem, TerminalItem)


def _copy(item: Item) -> Item:
    return type(item).from_raw_data(item.serialize())


class InMemoryAttendance:
    """houqin.store.attendance kept in dicts, each item under the department it was stored for, as the store
    keys it (a reader finds only what is under the departments it names). Punches are stored once per (device,
    seq) (a put on a taken seq is refused, as the store's condition refuses it) and read back as ``punch_items``
    ((department, punch)); corrections, work logs and terminals are versioned (a save on a stale copy is a 409);
    lists in the store's order, in one page. A test may also fill ``punch_items``, ``correction_items`` and
    ``log_items`` (keyed (department, staff, day)) directly (payroll's do). ``reads`` counts the reads by
    method."""

    def __init__(self) -> None:
        self.punch_items: list[tuple[str, Punch]] = []
        self.stored: dict[tuple[str, int], PunchItem] = {}  # (device, seq) -> the punch stored under it
        self.correction_items: dict[tuple[str, str, date], CorrectionItem] = {}
        self.log_items: dict[tuple[str, str, date], WorkLogItem] = {}
        self.reads: Counter[str] = Counter()
        self.terminal_items: dict[str, TerminalItem] = {}
        self.rejected_items: dict[tuple[str, str], RejectedPunchItem] = {}

    # ---------------------------------------------------------------- punches
    def put_punch(self, item: PunchItem) -> bool:
        seq = (item.device_id, int(item.seq))
        if seq in self.stored:
            return False
        self.stored[seq] = item
        self.punch_items.append((item.gsi1pk.split("#")[1], item.to_domain()))  # ATT#<department>#<month>
        return True

    def stored_punch(self, device_id: str, seq: int) -> PunchItem | None:
        return self.stored.get((device_id, seq))

    def _punches(self, departments: Sequence[str], month: str) -> list[Punch]:
        tz = settings().tz
        return sorted((p for d, p in self.punch_items if d in departments and f"{local_day(p.at, tz):%Y-%m}" == month),
                      key=lambda p: (p.staff_id, p.at))

    def punches_of_month(self, departments: Sequence[str], staff_id: str, month: str) -> list[Punch]:
        self.reads["punches_of_month"] += 1
        return sorted((p for p in self._punches(departments, month) if p.staff_id == staff_id), key=lambda p: p.at)

    def punches_of_day(self, departments: Sequence[str], staff_id: str, day: date) -> list[Punch]:
        tz = settings().tz
        return [p for p in self.punches_of_month(departments, staff_id, f"{day:%Y-%m}") if local_day(p.at, tz) == day]

    def department_punches(self, department_id: str, month: str) -> dict[str, list[Punch]]:
        self.reads["department_punches"] += 1
        by_staff: dict[str, list[Punch]] = {}
        for punch in self._punches((department_id,), month):
            by_staff.setdefault(punch.staff_id, []).append(punch)
        return by_staff

    # ---------------------------------------------------------------- corrections and work logs
    @staticmethod
    def _key(item: CorrectionItem | WorkLogItem) -> tuple[str, str, date]:
        return item.pk.split("#")[1], item.staff_id, date.fromisoformat(item.day)  # ATT|LOG#<department>#<month>

    @staticmethod
    def _found(items: dict[tuple[str, str, date], Item], departments: Sequence[str], staff_id: str,
               day: date) -> Item | None:
        found = next((items[(d, staff_id, day)] for d in departments if (d, staff_id, day) in items), None)
        return _copy(found) if found else None

    @staticmethod
    def _month(items: dict[tuple[str, str, date], Item], departments: Sequence[str], staff_id: str | None,
               month: str) -> list[Item]:
        return [item for (d, s, day), item in sorted(items.items(), key=lambda e: (e[0][1], e[0][2]))
                if d in departments and (staff_id is None or s == staff_id) and f"{day:%Y-%m}" == month]

    def correction(self, departments: Sequence[str], staff_id: str, day: date) -> CorrectionItem | None:
        return self._found(self.correction_items, departments, staff_id, day)

    def corrections_of_month(self, departments: Sequence[str], staff_id: str, month: str) -> dict[date, CorrectionItem]:
        self.reads["corrections_of_month"] += 1
        return {date.fromisoformat(item.day): item
                for item in self._month(self.correction_items, departments, staff_id, month)}

    def department_corrections(self, department_id: str, month: str) -> dict[str, dict[date, CorrectionItem]]:
        self.reads["department_corrections"] += 1
        by_staff: dict[str, dict[date, CorrectionItem]] = {}
        for item in self._month(self.correction_items, (department_id,), None, month):
            by_staff.setdefault(item.staff_id, {})[date.fromisoformat(item.day)] = item
        return by_staff

    def save_correction(self, item: CorrectionItem) -> CorrectionItem:
        return _save(self.correction_items, self._key(item), item)

    def work_log(self, departments: Sequence[str], staff_id: str, day: date) -> WorkLogItem | None:
        return self._found(self.log_items, departments, staff_id, day)

    def work_logs(self, departments: Sequence[str], staff_id: str, month: str) -> list[WorkLogItem]:
        self.reads["work_logs"] += 1
        return self._month(self.log_items, departments, staff_id, month)

    def grades_of_month(self, departments: Sequence[str], staff_id: str, month: str) -> list[str]:
        self.reads["grades_of_month"] += 1
        return [item.grade for item in self._month(self.log_items, departments, staff_id, month) if item.grade]

    def department_grades(self, department_id: str, month: str) -> dict[str, list[str]]:
        self.reads["department_grades"] += 1
        by_staff: dict[str, list[str]] = {}
        for item in self._month(self.log_items, (department_id,), None, month):
            if item.grade:
                by_staff.setdefault(item.staff_id, []).append(item.grade)
        return by_staff

    def save_work_log(self, item: WorkLogItem) -> WorkLogItem:
        return _save(self.log_items, self._key(item), item)

    # ---------------------------------------------------------------- terminals and refused punches
    def terminal(self, device_id: str, consistent: bool = False) -> TerminalItem | None:
        found = self.terminal_items.get(device_id)
        return _copy(found) if found else None

    def terminals(self) -> list[TerminalItem]:
        return [self.terminal_items[d] for d in sorted(self.terminal_items)]

    def save_terminal(self, item: TerminalItem) -> TerminalItem:
        return _save(self.terminal_items, item.device_id, item)

    def keep_rejected(self, items: list[RejectedPunchItem]) -> int:
        for item in items:
            self.rejected_items[(item.pk, item.sk)] = item
        return len(items)

    def rejected(self, day: date, device_id: str | None, *, limit: int, cursor: str | None) -> Page:
        found = [item for (pk, sk), item in sorted(self.rejected_items.items())
                 if item.day == day.isoformat() and (device_id is None or item.device_id == device_id)]
        return Page(found[:limit], None)


def _save(items: dict[Any, Item], key: Any, item: Item) -> Item:
    """Store ``item`` if it is a change of the version stored (none yet for a new one), as the store's
    conditional put does: else a 409."""
    stored = items.get(key)
    if (None if stored is None else int(stored.version)) != (None if item.version is None else int(item.version)):
        raise Conflict(f"{type(item).__name__} {key} was changed meanwhile: reload it and try again",
                       code="version_conflict")
    item.version = (int(item.version) if item.version is not None else 0) + 1
    items[key] = _copy(item)
    return item
