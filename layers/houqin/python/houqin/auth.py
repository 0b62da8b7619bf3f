"""Who is calling: a principal built from the Cognito claims, and permission checks.

Roles are Cognito groups. The person's id is the ``custom:person_id`` claim; a parent's
children are in ``custom:child_ids`` (comma separated). API Gateway (REST) hands every claim
to the function as a string, so list-valued claims arrive as ``"a,b"`` or ``"[a b]"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from houqin.domain.actors import Actor, Role
from houqin.errors import Forbidden, Unauthorized

_ROLE_NAMES = frozenset(r.value for r in Role)

PERSON_CLAIM = "custom:person_id"
CHILDREN_CLAIM = "custom:child_ids"
GROUPS_CLAIM = "cognito:groups"


def split_claim(value: Any) -> tuple[str, ...]:
    """A list-valued claim in any of the shapes API Gateway produces, as a tuple."""
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        items: Iterable[str] = (str(v) for v in value)
    else:
        text = str(value).strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        items = text.replace(",", " ").split()
    return tuple(item for item in (i.strip() for i in items) if item)


@dataclass(frozen=True)
class Principal:
    subject: str
    person_id: str
    roles: frozenset[Role]
    child_ids: tuple[str, ...] = ()
    name: str = ""

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any] | None) -> Principal:
        if not claims or not claims.get("sub"):
            raise Unauthorized("sign in first: no identity claims on the request")
        roles = frozenset(Role(g) for g in split_claim(claims.get(GROUPS_CLAIM)) if g in _ROLE_NAMES)
        person_id = str(claims.get(PERSON_CLAIM) or "")
        if not person_id:
            raise Unauthorized(f"token has no {PERSON_CLAIM} claim")
        return cls(
            subject=str(claims["sub"]),
            person_id=person_id,
            roles=roles,
            child_ids=split_claim(claims.get(CHILDREN_CLAIM)),
            name=str(claims.get("name") or ""),
        )

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Principal:
        """From an API Gateway REST proxy event (claims at requestContext.authorizer.claims)."""
        claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims")
        return cls.from_claims(claims)

    def has_role(self, *roles: Role | str) -> bool:
        return any(Role(r) in self.roles for r in roles)

    def require_role(self, *roles: Role | str) -> None:
        if not self.has_role(*roles):
            allowed = ", ".join(sorted(Role(r).value for r in roles))
            raise Forbidden(f"this needs one of the roles: {allowed}")

    def is_person(self, person_id: str) -> bool:
        return bool(person_id) and person_id == self.person_id

    def actor(self, team_id: str | None = None) -> Actor:
        """The caller as the domain sees them (a worker's repair team is the services' to look up)."""
        return Actor(person_id=self.person_id, roles=self.roles, name=self.name, team_id=team_id)

    def is_parent_of(self, person_id: str) -> bool:
        return self.has_role(Role.PARENT) and person_id in self.child_ids

    def require_self_or_role(self, person_id: str, *roles: Role | str) -> None:
        """The caller is this person, or holds one of the roles (e.g. staff who manage them)."""
        if self.is_person(person_id) or self.has_role(*roles):
            return
        raise Forbidden("you may only see or change your own records")

    def require_self_parent_or_role(self, person_id: str, *roles: Role | str) -> None:
        if self.is_person(person_id) or self.is_parent_of(person_id) or self.has_role(*roles):
            return
        raise Forbidden("you may only see your own or your child's records")
