"""The staff table: service departments, staff and repair teams.

Access patterns (Queries and GetItems only):
- departments ........................ pk = "DEPT"
- staff member ....................... pk = "STAFF#<staff>", sk = "PROFILE"
- staff of a department .............. GSI1 gsi1pk = "DEPT#<department>"
- repair teams ....................... pk = "TEAM"
- workers of a repair team ........... GSI2 gsi2pk = "TEAM#<team>"
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from houqin.store.base import Gsi1, Gsi2, key, table_base

StaffTable = table_base("StaffTable", "staff")


class Department(StaffTable):
    department_id = UnicodeAttribute()
    name = UnicodeAttribute()
    independent_accounts = BooleanAttribute(default=True)  # 独立核算

    @classmethod
    def make(cls, department_id: str, name: str) -> Department:
        return cls(pk="DEPT", sk=key("DEPT", department_id), department_id=department_id, name=name)


class StaffMember(StaffTable):
    staff_id = UnicodeAttribute()
    name = UnicodeAttribute()
    gender = UnicodeAttribute()
    department_id = UnicodeAttribute()
    post = UnicodeAttribute()
    contract = UnicodeAttribute()  # "regular" or "contract" (外聘)
    phone = UnicodeAttribute()
    team_id = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_department = Gsi1()
    by_team = Gsi2()

    @classmethod
    def make(cls, staff_id: str, department_id: str, team_id: str | None = None, **fields: object) -> StaffMember:
        team_keys = {"gsi2pk": key("TEAM", team_id), "gsi2sk": key("STAFF", staff_id)} if team_id else {}
        return cls(pk=key("STAFF", staff_id), sk="PROFILE", staff_id=staff_id, department_id=department_id,
                   team_id=team_id, gsi1pk=key("DEPT", department_id), gsi1sk=key("STAFF", staff_id),
                   **team_keys, **fields)


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
