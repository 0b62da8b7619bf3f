"""The personnel archive as pay reads it: departments, posts and their candidates (按岗定薪, 人岗匹配), a staff
member's profile (the bank account masked)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from houqin.auth import Principal
from houqin.contract import DEFAULT_LIMIT, MAX_LIMIT, Paging, text, whole
from houqin.domain.actors import STAFF_ROLES
from houqin.domain.payroll.payslip import mask_account
from houqin.errors import NotFound
from houqin.services.payroll.base import ID, SEE_ALL, STAFF_SIDE, PayrollPorts, can_see_person
from houqin.store.paging import Page
from houqin.store.staff import Post, StaffMember

EDUCATION = ("高中", "大专", "本科", "硕士", "博士")  # high school .. doctorate, lowest first


# ---------------------------------------------------------------- inputs (declared once: parsed and documented)
@dataclass(frozen=True)
class PostsQuery(Paging):
    department_id: str | None = text("only this department's posts", max_length=40, pattern=ID, default=None)


@dataclass(frozen=True)
class CandidatesQuery:
    """The first ``limit`` candidates (one list, not paged)."""

    limit: int = whole(f"candidates listed, 1 to {MAX_LIMIT}", minimum=1, maximum=MAX_LIMIT, default=DEFAULT_LIMIT)
    department_id: str | None = text("only this department's staff (default: every department)", max_length=40,
                                     default=None)


class Archive(PayrollPorts):
    def departments(self, principal: Principal) -> dict[str, Any]:
        """The group's departments (id and name: no figures), for anyone on the staff: forms that name one."""
        principal.require_role(*STAFF_ROLES)
        return {"items": [{"department_id": d.department_id, "name": d.name} for d in self.staff.departments()]}

    # ---------------------------------------------------------------- posts and candidates (按岗定薪, 人岗匹配)
    def list_posts(self, principal: Principal, query: PostsQuery) -> Page:
        principal.require_role(*STAFF_SIDE)
        return self.staff.posts_page(query.department_id, limit=query.limit, cursor=query.cursor)

    def candidates(self, principal: Principal, post_id: str, query: CandidatesQuery) -> dict[str, Any]:
        """Staff of the archive who meet the post's requirements (education at least, years at least, every
        certificate), those already on the post left out; most years of service first, then education."""
        principal.require_role(*SEE_ALL)
        post = self.staff.post(post_id) if re.fullmatch(ID, post_id) else None
        if post is None:
            raise NotFound(f"no post {post_id}")
        department_id = query.department_id
        departments = ([self.department(department_id).department_id] if department_id
                       else [d.department_id for d in self.staff.departments()])
        requirements = post.requirements or {}
        found = [m for d in departments for m in self.staff.members_of(d)
                 if m.post_id != post.post_id and meets(requirements, m)]
        found.sort(key=lambda m: (-int(m.years_of_service or 0), -_education_rank(m.education), m.staff_id))
        return {"post": post_view(post), "count": len(found),
                "items": [candidate_view(m) for m in found[:query.limit]]}

    # ---------------------------------------------------------------- the personnel archive
    def staff_profile(self, principal: Principal, staff_id: str) -> dict[str, Any]:
        person = self.member(staff_id)
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


def post_view(post: Post) -> dict[str, Any]:
    return {"post_id": post.post_id, "department_id": post.department_id, "name": post.name, "duties": post.duties,
            "requirements": post.requirements or {}, "salary_fen": int(post.salary_fen)}


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


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
