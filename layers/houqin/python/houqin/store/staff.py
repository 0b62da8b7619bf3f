"""The staff table: service departments, posts, staff and repair teams (the personnel archive).

Access patterns (Queries and GetItems only):
- departments ........................ pk = "DEPT"
- posts (岗位) ........................ pk = "POST", sk = "POST#<post>"
- staff member ....................... pk = "STAFF#<staff>", sk = "PROFILE"
- staff of a department .............. GSI1 gsi1pk = "DEPT#<department>"
- repair teams ....................... pk = "TEAM"
- workers of a repair team ........... GSI2 gsi2pk = "TEAM#<team>"
- a manager's team (主管的下属) ........ GSI3 gsi3pk = "MGR#<manager>" (sparse: staff with a manager; written
                                       with the member, so it costs a write only when the archive changes)

A member who moves to another department (``StaffMember.move_to``) keeps the department left and the day in
``departments_left``: their punches, corrections, work logs and payslips are kept under the department they
belonged to when each was written (houqin/store/attendance.py, houqin/store/payroll.py), so a reader of their
month or year reads each department it names (houqin.domain.attendance.departments_holding). The archive has no
endpoint that moves anyone yet: whatever moves a member must do it through ``move_to``.

A department carries its working hours (the shift attendance is measured against); a staff member
carries what payroll needs: the post (pay follows the post, 按岗定薪), the manager who grades their
work log, whether they are support staff (二线员工: daily log and grade), the bank account (never
shown unmasked), the social insurance base and the monthly special additional deductions (专项附加扣除),
and the archive fields a post's requirements are matched against (education, years, certificates).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pynamodb.attributes import BooleanAttribute, JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from houqin.domain.attendance import DepartmentLeft
from houqin.store.base import Gsi1, Gsi2, Gsi3, find, key, table_base
from houqin.store.paging import Page, query_page

StaffTable = table_base("StaffTable", "staff")


class Department(StaffTable):
    department_id = UnicodeAttribute()
    name = UnicodeAttribute()
    independent_accounts = BooleanAttribute(default=True)  # 独立核算
    shift_start = UnicodeAttribute(default="08:00")  # local working hours, Monday to Friday
    shift_end = UnicodeAttribute(default="17:00")
    grace_minutes = NumberAttribute(default=5)  # a clock-in this late still counts as on time

    @classmethod
    def make(cls, department_id: str, name: str, **fields: object) -> Department:
        return cls(pk="DEPT", sk=key("DEPT", department_id), department_id=department_id, name=name, **fields)


class Post(StaffTable):
    """A post (岗位): its duties, the requirements a candidate must meet, and the pay that follows it."""

    post_id = UnicodeAttribute()
    department_id = UnicodeAttribute()
    name = UnicodeAttribute()
    duties = UnicodeAttribute(default="")
    # {"education": "高中|大专|本科|硕士|博士" (at least), "min_years": int, "certificates": [..] (all of)}
    requirements = JSONAttribute(default=dict)
    salary_fen = NumberAttribute()  # monthly post salary (按岗定薪)

    @classmethod
    def make(cls, post_id: str, department_id: str, name: str, salary_fen: int, **fields: object) -> Post:
        return cls(pk="POST", sk=key("POST", post_id), post_id=post_id, department_id=department_id, name=name,
                   salary_fen=salary_fen, **fields)


class StaffMember(StaffTable):
    staff_id = UnicodeAttribute()
    name = UnicodeAttribute()
    gender = UnicodeAttribute()
    department_id = UnicodeAttribute()
    post = UnicodeAttribute()
    contract = UnicodeAttribute()  # "regular" or "contract" (外聘)
    phone = UnicodeAttribute()
    team_id = UnicodeAttribute(null=True)
    post_id = UnicodeAttribute(null=True)  # the Post whose salary they are paid (post above is its name)
    manager_id = UnicodeAttribute(null=True)  # who corrects their attendance and grades their work log
    support_staff = BooleanAttribute(default=False)  # 二线员工: a daily work log graded A/B/C/D
    bank_account = UnicodeAttribute(null=True)  # shown masked only (houqin.domain.payroll.payslip.mask_account)
    social_insurance_base_fen = NumberAttribute(null=True)  # declared base; rules clamp it to floor and cap
    special_deduction_fen = NumberAttribute(default=0)  # 专项附加扣除 per month
    education = UnicodeAttribute(null=True)
    years_of_service = NumberAttribute(null=True)
    certificates = ListAttribute(of=UnicodeAttribute, default=list)
    # the departments left, oldest first: [{"department_id", "left_on": local yyyy-mm-dd, the first day in the next}]
    departments_left = JSONAttribute(null=True)  # none stored for a member who never moved
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    by_department = Gsi1()
    by_team = Gsi2()
    by_manager = Gsi3()

    @classmethod
    def make(cls, staff_id: str, department_id: str, team_id: str | None = None, manager_id: str | None = None,
             **fields: object) -> StaffMember:
        team_keys = {"gsi2pk": key("TEAM", team_id), "gsi2sk": key("STAFF", staff_id)} if team_id else {}
        manager_keys = {"gsi3pk": key("MGR", manager_id), "gsi3sk": key("STAFF", staff_id)} if manager_id else {}
        return cls(pk=key("STAFF", staff_id), sk="PROFILE", staff_id=staff_id, department_id=department_id,
                   team_id=team_id, manager_id=manager_id, gsi1pk=key("DEPT", department_id),
                   gsi1sk=key("STAFF", staff_id), **team_keys, **manager_keys, **fields)

    def move_to(self, department_id: str, on: date) -> None:
        """The member belongs to ``department_id`` from the local day ``on``; the department left is kept with
        that day (what was written under it is still read: see the module docstring). Saved by the caller."""
        if department_id == self.department_id:
            return
        self.departments_left = [*(self.departments_left or []),
                                 {"department_id": self.department_id, "left_on": on.isoformat()}]
        self.department_id, self.gsi1pk = department_id, key("DEPT", department_id)

    def left(self) -> list[DepartmentLeft]:
        return [DepartmentLeft(entry["department_id"], date.fromisoformat(entry["left_on"]))
                for entry in self.departments_left or ()]


def departments() -> list[Department]:
    """Every department, by id (one Query: a group has a dozen)."""
    return list(Department.query("DEPT"))


def department(department_id: str) -> Department | None:
    return find(Department, "DEPT", key("DEPT", department_id))


def posts() -> list[Post]:
    """Every post (one Query)."""
    return list(Post.query("POST"))


def posts_page(department_id: str | None, *, limit: int, cursor: str | None) -> Page:
    """A page of posts, of one department if given."""
    extra = {"filter_condition": Post.department_id == department_id} if department_id else {}
    return query_page(Post.query, "pk", "POST", limit=limit, cursor=cursor, **extra)


def post(post_id: str) -> Post | None:
    return find(Post, "POST", key("POST", post_id))


def member(staff_id: str) -> StaffMember | None:
    return find(StaffMember, key("STAFF", staff_id), "PROFILE")


def members(staff_ids: Iterable[str]) -> dict[str, StaffMember]:
    """Staff members by id (BatchGetItem, 100 keys a request); unknown ids are absent."""
    keys = [(key("STAFF", s), "PROFILE") for s in sorted(set(staff_ids))]
    return {member.staff_id: member for member in StaffMember.batch_get(keys)} if keys else {}


def team(manager_id: str) -> list[StaffMember]:
    """The staff a manager manages (corrects their attendance, grades their logs), by staff id (GSI3)."""
    return list(StaffMember.by_manager.query(key("MGR", manager_id)))


def members_of(department_id: str) -> list[StaffMember]:
    """A department's staff (one Query of GSI1)."""
    return list(StaffMember.by_department.query(key("DEPT", department_id)))


class RepairTeam(StaffTable):
    team_id = UnicodeAttribute()
    name = UnicodeAttribute()
    trade = UnicodeAttribute()  # 水 / 电 / 木工 / 泥瓦 / 暖通 / 门窗锁具
    campus_id = UnicodeAttribute()
    phone = UnicodeAttribute()

    @classmethod
    def make(cls, team_id: str, name: str, trade: str, campus_id: str, phone: str) -> RepairTeam:
        return cls(pk="TEAM", sk=key("TEAM", team_id), team_id=team_id, name=name, trade=trade,
                   campus_id=campus_id, phone=phone)


# ---------------------------------------------------------------- repair points (the tickets' repository of people)
def team_of(staff_id: str) -> str | None:
    """The repair team a worker belongs to (None for anyone else)."""
    member = find(StaffMember, key("STAFF", staff_id), "PROFILE")
    return member.team_id if member else None


def repair_team(team_id: str) -> RepairTeam | None:
    return find(RepairTeam, "TEAM", key("TEAM", team_id))


def repair_teams() -> list[RepairTeam]:
    return list(RepairTeam.query("TEAM"))
