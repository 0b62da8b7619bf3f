"""Night rolls and zero reports (零报告制) by permission.

- a night's rolls and report of a building: its dorm managers, the duty desk, leaders, admins;
- the zero reports of a building: the same; leaders (and admins) list every report not signed off;
- sign-off: a dorm manager of the building, once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from houqin.auth import Principal
from houqin.domain import roll as rules
from houqin.domain.actors import Role
from houqin.errors import Conflict, Forbidden, NotFound, ValidationError
from houqin.services import dorm_access
from houqin.services.alarms import check_building
from houqin.store import alarms as store
from houqin.store.paging import Page


def night(principal: Principal, building_id: str, night_of: date) -> dict[str, Any]:
    """The night's curfew and morning rolls (as last evaluated) and its zero report; 404 before the first roll."""
    check_building(principal, building_id)
    items = store.night_items(building_id, night_of, night_of)
    if not items:
        raise NotFound(f"no roll of {building_id} for the night of {night_of.isoformat()} yet")
    part = {kind: items.get((night_of.isoformat(), kind)) for kind in ("curfew", "morning", "zero")}
    return {"building_id": building_id, "night": night_of.isoformat(),
            **{kind: item.view() if item else None for kind, item in part.items()}}


def reports(principal: Principal, building_id: str | None, limit: int, cursor: str | None) -> Page:
    """A building's reports, newest night first; without a building, leaders see the unsigned ones."""
    if building_id:
        check_building(principal, building_id)
        return store.reports_of_building(building_id, limit=limit, cursor=cursor)
    if principal.has_role(Role.LEADER, Role.ADMIN):
        return store.unsigned_reports(limit=limit, cursor=cursor)
    mine = dorm_access.only_building(principal)
    if mine:
        return store.reports_of_building(mine, limit=limit, cursor=cursor)
    raise Forbidden("zero reports are for dorm managers and leaders")


def sign(principal: Principal, building_id: str, night_of: date, now: datetime) -> dict[str, Any]:
    principal.require_role(Role.DORM_MANAGER)
    dorm_access.building(principal, building_id)
    if building_id not in dorm_access.managed_buildings(principal):
        raise NotFound(f"no building {building_id}")
    item = store.zero_report(building_id, night_of)
    if item is None:
        raise NotFound(f"no zero report of {building_id} for the night of {night_of.isoformat()} yet")
    rules.sign(item.report(), principal.person_id, now)  # refuses a second sign-off (409 already_signed)
    if not store.sign_zero_report(building_id, night_of, principal.person_id, now):
        raise Conflict("the report was signed off meanwhile", code="already_signed")
    return store.zero_report(building_id, night_of).view()


def night_date(text: str, today: date) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise ValidationError("night must be a date YYYY-MM-DD", field="night") from None
    if value > today or value < today - timedelta(days=400):
        raise ValidationError("night must be within the last 400 days", field="night")
    return value
