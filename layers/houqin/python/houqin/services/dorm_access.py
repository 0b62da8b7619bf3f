"""Who may see which dorm building and which resident (学生公寓: everything by permission).

- leader, admin: every building and resident;
- dorm_manager: the buildings assigned to them (ManagerBuilding) and the residents living there;
- counsellor: the students in their scope (CounsellorScope: a department, optionally some grades);
- student: themselves; parent: their own child (the token's child ids).

A building or resident the caller may not see is answered 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from houqin.auth import Principal
from houqin.domain.actors import Role
from houqin.errors import NotFound, ValidationError
from houqin.store import dorms as store
from houqin.store.dorms import Building, CounsellorScope, Resident

SEE_ALL = (Role.LEADER, Role.ADMIN)


class DormAccess:
    """The rules above over a dorms repository (houqin.store.dorms in production, or an in-memory fake with
    the same functions: building, resident, managed_by, counsellor_scope)."""

    def __init__(self, dorms: Any = None) -> None:
        self.dorms = store if dorms is None else dorms

    def managed_buildings(self, principal: Principal) -> frozenset[str]:
        """The buildings a dorm manager runs (empty for anyone else)."""
        if not principal.has_role(Role.DORM_MANAGER):
            return frozenset()
        return frozenset(self.dorms.managed_by(principal.person_id))

    def counsellor_scope(self, principal: Principal) -> CounsellorScope | None:
        if not principal.has_role(Role.COUNSELLOR):
            return None
        return self.dorms.counsellor_scope(principal.person_id)

    def can_see_building(self, principal: Principal, building_id: str) -> bool:
        return principal.has_role(*SEE_ALL) or building_id in self.managed_buildings(principal)

    def only_building(self, principal: Principal) -> str | None:
        """The building a dorm manager means when they name none: their only one (None if they run none;
        a 400 naming building_id if they run several)."""
        managed = sorted(self.managed_buildings(principal))
        if len(managed) > 1:
            raise ValidationError(f"you run {len(managed)} buildings: say which with building_id",
                                  field="building_id")
        return managed[0] if managed else None

    def building(self, principal: Principal, building_id: str) -> Building:
        """The building, if the caller may see it; else 404."""
        found = self.dorms.building(building_id)
        if found is None or not self.can_see_building(principal, building_id):
            raise NotFound(f"no building {building_id}")
        return found

    def can_see_resident(self, principal: Principal, resident: Resident) -> bool:
        if principal.is_person(resident.resident_id) or principal.is_parent_of(resident.resident_id):
            return True
        if principal.has_role(*SEE_ALL):
            return True
        if resident.building_id and resident.building_id in self.managed_buildings(principal):
            return True
        scope = self.counsellor_scope(principal)
        return scope is not None and scope.covers(resident)

    def resident(self, principal: Principal, resident_id: str) -> Resident:
        """The resident, if the caller may see them; else 404."""
        found = self.dorms.resident(resident_id)
        if found is None or not self.can_see_resident(principal, found):
            raise NotFound(f"no resident {resident_id}")
        return found

