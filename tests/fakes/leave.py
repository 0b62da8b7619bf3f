"""In-memory ports of the leave use cases (houqin.services.leave): the leave repository and the dorm directory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from houqin.auth import Principal
from houqin.clock import to_iso
from houqin.domain.actors import Role
from houqin.domain.leave import LeaveRequest, LeaveState
from houqin.errors import Conflict, NotFound
from houqin.store import leave as store
from houqin.store.dorms import Building, CounsellorScope, Resident
from houqin.store.leave import LeaveItem
from houqin.store.paging import Page


class InMemoryLeaves:
    """houqin.store.leave kept in a dict: items stored as DynamoDB would (serialized, versioned, so a change
    made on a stale copy is a 409), the same lists in the same order (one page)."""

    to_domain = staticmethod(store.to_domain)  # a pure conversion

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    def new_leave_id(self, at: datetime) -> str:
        return f"L{len(self.rows) + 1:04d}"

    def get(self, leave_id: str) -> LeaveItem | None:
        row = self.rows.get(leave_id)
        return LeaveItem.from_raw_data(row) if row else None

    def create(self, item: LeaveItem) -> None:
        if item.leave_id in self.rows:
            raise Conflict(f"leave {item.leave_id} exists already", code="exists")
        item.version = 1
        self.rows[item.leave_id] = item.serialize()

    def save_change(self, item: LeaveItem, leave: LeaveRequest) -> LeaveItem:
        stored = self.get(item.leave_id)
        if stored is None or stored.version != item.version:
            raise Conflict(f"leave {item.leave_id} was changed by someone else: reload it and try again",
                           code="version_conflict")
        item.set_state(leave)
        item.version = int(item.version) + 1
        self.rows[item.leave_id] = item.serialize()
        return item

    def _all(self, state: str | None) -> list[LeaveItem]:
        items = [LeaveItem.from_raw_data(row) for row in self.rows.values()]
        return [i for i in items if state is None or i.state == state]

    def by_resident(self, resident_id: str, *, limit: int, cursor: str | None, state: str | None = None) -> Page:
        found = sorted((i for i in self._all(state) if i.resident_id == resident_id), key=lambda i: i.start,
                       reverse=True)
        return Page(found[:limit], None)

    def by_building(self, building_id: str, after: datetime, *, limit: int, cursor: str | None,
                    state: str | None = None) -> Page:
        found = sorted((i for i in self._all(state) if i.building_id == building_id and i.end > to_iso(after)),
                       key=lambda i: i.end)
        return Page(found[:limit], None)

    def pending_of(self, department: str, grades: Iterable[str] = (), *, limit: int, cursor: str | None) -> Page:
        wanted = set(grades)
        found = sorted((i for i in self._all(LeaveState.PENDING.value) if i.department == department
                        and (not wanted or i.grade in wanted)), key=lambda i: i.applied_at)
        return Page(found[:limit], None)


@dataclass
class FakeDormDirectory:
    """The dorm directory's answers for a small world: residents, the buildings each manager runs, the
    counsellors' scopes; who may see a resident or building as houqin.services.dorm_access decides."""

    residents: dict[str, Resident] = field(default_factory=dict)
    managed: dict[str, frozenset[str]] = field(default_factory=dict)  # manager id -> building ids
    scopes: dict[str, CounsellorScope] = field(default_factory=dict)  # counsellor id -> scope

    def managed_buildings(self, principal: Principal) -> frozenset[str]:
        return self.managed.get(principal.person_id, frozenset()) if principal.has_role(Role.DORM_MANAGER) \
            else frozenset()

    def counsellor_scope(self, principal: Principal) -> CounsellorScope | None:
        return self.scopes.get(principal.person_id) if principal.has_role(Role.COUNSELLOR) else None

    def resident(self, principal: Principal, resident_id: str) -> Resident:
        found = self.residents.get(resident_id)
        scope = self.counsellor_scope(principal)
        if found is None or not (principal.is_person(resident_id) or principal.is_parent_of(resident_id)
                                 or principal.has_role(Role.LEADER, Role.ADMIN)
                                 or found.building_id in self.managed_buildings(principal)
                                 or (scope is not None and scope.covers(found))):
            raise NotFound(f"no resident {resident_id}")
        return found

    def building(self, principal: Principal, building_id: str) -> Building:
        if not (principal.has_role(Role.LEADER, Role.ADMIN) or building_id in self.managed_buildings(principal)):
            raise NotFound(f"no building {building_id}")
        return Building.make(building_id, "SB", building_id, floors=6)
