"""Night rolls and zero reports (零报告制) by permission.

- a night's rolls and report of a building: its dorm managers, the duty desk, leaders, admins;
- the zero reports of a building: the same; leaders (and admins) list every report not signed off;
- sign-off: a dorm manager of the building, once.

Taking a roll (``Rolls.take``: who is in, out, on leave, flagged) reads only who may be out, the building's
leaves and its readers' watermarks, and applies houqin.domain.roll; the night roll check
(houqin/checks/night_roll.py) raises the alarms and stores the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol, cast

from houqin.auth import Principal
from houqin.clock import Clock
from houqin.contract import Paging, day, text
from houqin.domain import roll as rules
from houqin.domain.actors import Role
from houqin.domain.leave import LeaveRequest
from houqin.domain.roll import RollKind, RollResult
from houqin.errors import Conflict, Forbidden, NotFound, ValidationError
from houqin.services.alarms import SEE_ALL
from houqin.services.dorm_access import DormAccess
from houqin.store import alarms as store
from houqin.store import dorms as dorms_store
from houqin.store import leave as leave_store
from houqin.store import swipes as swipes_store
from houqin.store.alarms import RollItem, ZeroReportItem
from houqin.store.dorms import Building, Presence
from houqin.store.paging import Page
from houqin.store.swipes import ReaderProgressItem
from houqin.system_clock import SystemClock

READERS = (*SEE_ALL, Role.DORM_MANAGER)  # the duty desk, leaders and admins every building; a manager their own
MAX_NIGHTS_BACK = 400
ID = r"[A-Za-z0-9_-]{1,40}"


# ---------------------------------------------------------------- inputs (declared once: parsed and documented)
@dataclass(frozen=True)
class NightOf:
    """A building's night, named by its evening's date."""

    building_id: str = text("the building", pattern=ID, example="SB01")
    night: date = day(f"the night's evening, YYYY-MM-DD (within the last {MAX_NIGHTS_BACK} days)")


@dataclass(frozen=True)
class ZeroReportQuery(Paging):
    building_id: str | None = text("one building's reports (a manager of several buildings must say which)",
                                   pattern=ID, default=None)


class RollRepository(Protocol):
    """Stored rolls and zero reports (houqin.store.alarms in production)."""

    def night_items(self, building_id: str, first: date, last: date,
                    consistent: bool = True) -> dict[tuple[str, str], RollItem | ZeroReportItem]: ...
    def zero_report(self, building_id: str, night: date) -> ZeroReportItem | None: ...
    def sign_zero_report(self, building_id: str, night: date, who: str, at: datetime) -> bool: ...
    def unsigned_reports(self, *, limit: int, cursor: str | None) -> Page: ...
    def reports_of_building(self, building_id: str, *, limit: int, cursor: str | None) -> Page: ...


class PresenceDirectory(Protocol):
    """Who may be out, and the buildings and residents access is decided on (houqin.store.dorms)."""

    def building_presence(self, building_id: str) -> dict[str, Presence]: ...
    def building(self, building_id: str) -> Building | None: ...
    def managed_by(self, staff_id: str) -> frozenset[str]: ...


class LeaveCalendar(Protocol):
    def leaves_of_building(self, building_id: str, at: datetime) -> list[LeaveRequest]: ...


class ReaderWatermarks(Protocol):
    def building_progress(self, building_id: str) -> dict[str, ReaderProgressItem]: ...


class Rolls:
    """Taking a building's roll, and reading and signing the nights. Ports (houqin.ports): the stored rolls,
    presence, leaves, reader progress and a clock, each defaulting to production's when left out."""

    def __init__(self, *, rolls: RollRepository | None = None, dorms: PresenceDirectory | None = None,
                 leaves: LeaveCalendar | None = None, swipes: ReaderWatermarks | None = None,
                 clock: Clock | None = None) -> None:
        self.rolls: RollRepository = rolls if rolls is not None else cast(RollRepository, store)
        self.dorms: PresenceDirectory = dorms if dorms is not None else cast(PresenceDirectory, dorms_store)
        self.leaves: LeaveCalendar = leaves if leaves is not None else cast(LeaveCalendar, leave_store)
        self.swipes: ReaderWatermarks = swipes if swipes is not None else cast(ReaderWatermarks, swipes_store)
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.access = DormAccess(self.dorms)

    # ------------------------------------------------------------ taking a roll
    def take(self, building: Building, kind: RollKind, at: datetime, earlier: RollResult | None = None,
             previous: RollResult | None = None) -> tuple[RollResult, dict[str, Presence]]:
        """The roll of ``building`` at ``at`` as known now, and the presence of the residents it looked at.

        Candidates are who is out by their newest swipe (an exit, or an entry at another building) plus who
        ``earlier`` (this roll's last evaluation) flagged, from one Query of the building's presence items;
        ``previous`` (the night before's same roll) carries the streaks of nights out."""
        building_id = building.building_id
        flagged_before = earlier.flagged if earlier else frozenset()
        candidates = {r: p for r, p in self.dorms.building_presence(building_id).items()
                      if rules.out_now(p, building_id) or r in flagged_before}
        progress = self.swipes.building_progress(building_id)
        watermarks = {r: progress[r].watermark if r in progress else None for r in building.readers}
        result = rules.take_roll(building_id, kind, at, int(building.occupied or 0),
                                 self.leaves.leaves_of_building(building_id, at), candidates, watermarks,
                                 previous.streaks if previous else None, earlier)
        return result, candidates

    # ------------------------------------------------------------ reading and signing, by permission
    def check_building(self, principal: Principal, building_id: str) -> None:
        """The duty desk, leaders and admins see every building's rolls; a dorm manager their own; else 404."""
        if not principal.has_role(*SEE_ALL):
            self.access.building(principal, building_id)

    def night(self, principal: Principal, building_id: str, night_of: date) -> dict[str, Any]:
        """The night's curfew and morning rolls (as last evaluated) and its zero report; 404 before the first
        roll."""
        self.check_building(principal, building_id)
        items = self.rolls.night_items(building_id, night_of, night_of)
        if not items:
            raise NotFound(f"no roll of {building_id} for the night of {night_of.isoformat()} yet")
        part = {kind: items.get((night_of.isoformat(), kind)) for kind in ("curfew", "morning", "zero")}
        return {"building_id": building_id, "night": night_of.isoformat(),
                **{kind: item.view() if item else None for kind, item in part.items()}}

    def reports(self, principal: Principal, building_id: str | None, limit: int, cursor: str | None) -> Page:
        """A building's reports, newest night first; without a building, leaders see the unsigned ones."""
        if building_id:
            self.check_building(principal, building_id)
            return self.rolls.reports_of_building(building_id, limit=limit, cursor=cursor)
        if principal.has_role(Role.LEADER, Role.ADMIN):
            return self.rolls.unsigned_reports(limit=limit, cursor=cursor)
        mine = self.access.only_building(principal)
        if mine:
            return self.rolls.reports_of_building(mine, limit=limit, cursor=cursor)
        raise Forbidden("zero reports are for dorm managers and leaders")

    def sign(self, principal: Principal, building_id: str, night_of: date,
             now: datetime | None = None) -> dict[str, Any]:
        principal.require_role(Role.DORM_MANAGER)
        self.access.building(principal, building_id)
        if building_id not in self.access.managed_buildings(principal):
            raise NotFound(f"no building {building_id}")
        item = self.rolls.zero_report(building_id, night_of)
        if item is None:
            raise NotFound(f"no zero report of {building_id} for the night of {night_of.isoformat()} yet")
        now = now or self.clock.now()
        rules.sign(item.report(), principal.person_id, now)  # refuses a second sign-off (409 already_signed)
        if not self.rolls.sign_zero_report(building_id, night_of, principal.person_id, now):
            raise Conflict("the report was signed off meanwhile", code="already_signed")
        return self.rolls.zero_report(building_id, night_of).view()


def check_night(night: date, today: date) -> None:
    """A night is asked for up to ``MAX_NIGHTS_BACK`` days back, and not ahead."""
    if night > today or night < today - timedelta(days=MAX_NIGHTS_BACK):
        raise ValidationError(f"night must be within the last {MAX_NIGHTS_BACK} days", field="night")

