"""Who acts, a vocabulary every context shares: the roles people hold, a person acting (``Actor``), and the
system itself (``SYSTEM``: schedules and checks that act on no one's behalf).

HTTP-side code builds an Actor from the caller's token (``houqin.auth.Principal.actor``); the domain rules
take Actors only, so they never see a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from houqin.errors import Forbidden


class Role(StrEnum):
    STUDENT = "student"
    PARENT = "parent"
    WORKER = "worker"
    DISPATCHER = "dispatcher"
    DORM_MANAGER = "dorm_manager"
    COUNSELLOR = "counsellor"
    FINANCE = "finance"
    LEADER = "leader"
    ADMIN = "admin"
    STAFF = "staff"  # any logistics staff member: their own attendance, work log and payslips
    MANAGER = "manager"  # a team's manager (主管): corrects its attendance and grades its work logs
    DEVICE = "device"  # a fingerprint terminal: posts clock punches (its id is the person id)


# Every role a member of the group's staff holds (all but students, parents and terminals).
STAFF_ROLES = (Role.STAFF, Role.MANAGER, Role.WORKER, Role.DISPATCHER, Role.DORM_MANAGER, Role.FINANCE, Role.LEADER,
               Role.ADMIN)


@dataclass(frozen=True)
class Actor:
    """Who acts: a person with roles (and a worker's repair team), or the system itself."""

    person_id: str
    roles: frozenset[Role] = frozenset()
    name: str = ""
    team_id: str | None = None

    def has(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)

    def is_person(self, person_id: str) -> bool:
        return bool(person_id) and person_id == self.person_id

    def require(self, *roles: Role) -> None:
        """403 unless the actor holds one of the roles."""
        if not self.has(*roles):
            raise Forbidden(f"this needs one of the roles: {', '.join(sorted(r.value for r in roles))}")


SYSTEM = Actor(person_id="system", name="Houqin")
