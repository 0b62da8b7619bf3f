"""Leave requests (请假) in the dorms table, beside the residents they excuse from the night roll.

Access patterns (Queries and GetItems only):
- leave request ....................... pk = "LEAVE#<leave>", sk = "LEAVE"
- a resident's leaves by start ........ GSI1 gsi1pk = "LEAVES#RES#<resident>", gsi1sk = "<start>#<leave>"
- a building's leaves by end .......... GSI2 gsi2pk = "LEAVES#BLDG#<building>", gsi2sk = "<end>#<leave>"
                                        (only when the resident had a building when applying)
- pending requests of a department .... GSI3 gsi3pk = "LEAVES#PENDING#<department>",
                                        gsi3sk = "<applied_at>#<leave>" (sparse: only while pending)

The night roll reads one building's leaves that end after the roll (``leaves_of_building``: one
Query of GSI2) and keeps those that cover it (houqin.domain.leave.on_leave). ``building_id``,
``department`` and ``grade`` are copied from the resident when the leave is written: the
building for the roll and the dorm manager's list, the department and grade for the counsellor
who decides. Every change is a PutItem conditional on ``version``: of two decisions taken on the
same copy one is stored and the other is a 409.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, VersionAttribute

from houqin.clock import local, parse_iso, to_iso
from houqin.domain.leave import LeaveRequest, LeaveState
from houqin.settings import settings
from houqin.store.base import Gsi1, Gsi2, Gsi3, find, key, save_versioned
from houqin.store.dorms import DormsTable
from houqin.store.paging import Page, query_page

SK = "LEAVE"
# Sorts after "<moment>#<leave id>" of every leave ending at that very moment (ids are [A-Z0-9-]).
AFTER_ALL_IDS = "~"


def resident_key(resident_id: str) -> str:
    return key("LEAVES", "RES", resident_id)


def building_key(building_id: str) -> str:
    return key("LEAVES", "BLDG", building_id)


def pending_key(department: str) -> str:
    return key("LEAVES", "PENDING", department)


class LeaveItem(DormsTable):
    leave_id = UnicodeAttribute()
    resident_id = UnicodeAttribute()
    building_id = UnicodeAttribute(null=True)  # the resident's building when the leave was written
    department = UnicodeAttribute()
    grade = UnicodeAttribute()
    start = UnicodeAttribute()  # UTC ISO, included
    end = UnicodeAttribute()  # UTC ISO, excluded
    reason = UnicodeAttribute()
    applied_by = UnicodeAttribute()
    applied_at = UnicodeAttribute()
    state = UnicodeAttribute()
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    version = VersionAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    by_resident = Gsi1()
    by_building = Gsi2()
    pending = Gsi3()

    @staticmethod
    def keys(leave_id: str) -> tuple[str, str]:
        return key("LEAVE", leave_id), SK

    @classmethod
    def make(cls, leave: LeaveRequest, *, building_id: str | None, department: str, grade: str) -> LeaveItem:
        """A new item for a leave of a resident living in ``building_id`` (None: no bed)."""
        item = cls(*cls.keys(leave.leave_id), leave_id=leave.leave_id, resident_id=leave.resident_id,
                   building_id=building_id, department=department, grade=grade, start=to_iso(leave.start),
                   end=to_iso(leave.end), reason=leave.reason, applied_by=leave.applied_by,
                   applied_at=to_iso(leave.applied_at),
                   gsi1pk=resident_key(leave.resident_id), gsi1sk=key(to_iso(leave.start), leave.leave_id))
        if building_id:
            item.gsi2pk, item.gsi2sk = building_key(building_id), key(to_iso(leave.end), leave.leave_id)
        item.set_state(leave)
        return item

    def set_state(self, leave: LeaveRequest) -> None:
        """Copy the decision (state, who, when, note) and keep the pending index in step with the state."""
        self.state = leave.state.value
        self.decided_by = leave.decided_by
        self.decided_at = to_iso(leave.decided_at) if leave.decided_at else None
        self.note = leave.note
        if leave.state == LeaveState.PENDING:
            self.gsi3pk, self.gsi3sk = pending_key(self.department), key(self.applied_at, self.leave_id)
        else:
            self.gsi3pk = self.gsi3sk = None  # a PutItem leaves the attributes out: gone from the sparse index


def to_domain(item: LeaveItem) -> LeaveRequest:
    return LeaveRequest(leave_id=item.leave_id, resident_id=item.resident_id, start=parse_iso(item.start),
                        end=parse_iso(item.end), reason=item.reason, applied_by=item.applied_by,
                        applied_at=parse_iso(item.applied_at), state=LeaveState(item.state),
                        decided_by=item.decided_by,
                        decided_at=parse_iso(item.decided_at) if item.decided_at else None, note=item.note)


# ---------------------------------------------------------------- repository
def new_leave_id(at: datetime) -> str:
    """L + local date + 8 random hex digits: readable over the phone, unguessable."""
    return f"L{local(at, settings().tz):%y%m%d}-{secrets.token_hex(4).upper()}"


def get(leave_id: str) -> LeaveItem | None:
    """The leave, read consistently (a decision is taken on it), or None."""
    return find(LeaveItem, *LeaveItem.keys(leave_id), consistent_read=True)


def create(item: LeaveItem) -> None:
    """Store a new leave (version 1); a leave id taken already is a 409."""
    save_versioned(item, f"leave {item.leave_id} exists already", code="exists")  # a new item: "no version yet"


def save_change(item: LeaveItem, leave: LeaveRequest) -> LeaveItem:
    """Store ``leave``'s new state on the item as read; 409 if the leave changed since it was read."""
    item.set_state(leave)
    return save_versioned(item, f"leave {item.leave_id} was changed by someone else: reload it and try again")


def batch_put(items: Iterable[LeaveItem]) -> int:
    """Demo data: leaves with batch writes (no conditions: a fresh table), stored as version 1."""
    count = 0
    with LeaveItem.batch_write() as writer:
        for item in items:
            item.version = 1
            writer.save(item)
            count += 1
    return count


def _state_filter(state: str | None) -> dict[str, object]:
    return {"filter_condition": LeaveItem.state == state} if state else {}


def by_resident(resident_id: str, *, limit: int, cursor: str | None, state: str | None = None) -> Page:
    """A resident's leaves, latest start first."""
    return query_page(LeaveItem.by_resident.query, "gsi1pk", resident_key(resident_id), limit=limit, cursor=cursor,
                      scan_index_forward=False, **_state_filter(state))


def by_building(building_id: str, after: datetime, *, limit: int, cursor: str | None,
                state: str | None = None) -> Page:
    """A building's leaves ending after ``after``, soonest end first."""
    return query_page(LeaveItem.by_building.query, "gsi2pk", building_key(building_id), limit=limit, cursor=cursor,
                      range_key_condition=LeaveItem.gsi2sk > key(to_iso(after), AFTER_ALL_IDS),
                      **_state_filter(state))


def pending_of(department: str, grades: Iterable[str] = (), *, limit: int, cursor: str | None) -> Page:
    """A department's pending requests, oldest first; only these grades when any are given."""
    wanted = sorted(set(grades))
    extra = {"filter_condition": LeaveItem.grade.is_in(*wanted)} if wanted else {}
    return query_page(LeaveItem.pending.query, "gsi3pk", pending_key(department), limit=limit, cursor=cursor,
                      **extra)


def leaves_of_building(building_id: str, at: datetime) -> list[LeaveRequest]:
    """Every leave (any state) of the building ending after ``at``: one Query of GSI2. The night roll
    keeps those that cover it (houqin.domain.leave.on_leave)."""
    items = LeaveItem.by_building.query(building_key(building_id),
                                        LeaveItem.gsi2sk > key(to_iso(at), AFTER_ALL_IDS))
    return [to_domain(item) for item in items]
