"""The nightly roll (查寝): the curfew roll, the morning final roll and the daily zero report (零报告制).

Pure rules: residents, leaves, presence and reader watermarks in, a ``RollResult`` out. No AWS, no
clock (the roll moment is an argument). Re-running ``take_roll`` with what is known later gives the
settled answer; ``resolved_since`` names the flags that disappeared (the alarms to close).

Rules, exactly:

- **Expected** are the residents with a bed in the building. One covered by an approved leave at
  the roll moment is excused (``on_leave``) whatever the gates say.
- **State at the roll**, from the resident's Presence (their newest swipe anywhere, as known now):
  no swipe ever: in (expected in unless on leave; listed in ``assumed_in`` for the manager to check);
  newest swipe at another building's gate: out (an entry elsewhere is not being home), last exit
  unknown; newest swipe at this building before the roll: its direction; at or after the roll: the
  opposite (an exit is made from inside, an entry from outside), so a roll re-run later does not flag
  those who left for class, and a late return stays flagged for the roll, with ``returned_at``.
- **Not returned** (未归): out at the roll. ``nights`` counts consecutive nights absent: the previous
  night's count (``previous``: resident -> nights) plus one; a night home or on leave ends the streak.
- **Late returns** (晚归, curfew roll only): every entry at this building's gates at or after the roll
  by an expected resident not on leave at that moment, from the night's swipes passed in.
- **Provisional**: a reader of the building whose watermark (the time its data is complete to) is
  before the roll moment, or unknown, may still hold swipes from before it; the result names it.
- **Zero report**: one per building per night, from its curfew and morning rolls: late returns before
  the morning roll, not returned at the morning roll, and each reader behind at either roll. It exists
  with zero rows when nothing happened, and the dorm manager signs it off once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from houqin.clock import CAMPUS_TZ, at_local, local_day, parse_iso, to_iso
from houqin.domain.dorm_reports import IN, LATE_RETURN, OUT, Hours, SwipeRecord
from houqin.domain.leave import LeaveRequest, on_leave
from houqin.domain.swipes import Presence
from houqin.errors import Conflict, ValidationError

NOT_RETURNED, PROVISIONAL = "not_returned", "provisional"
Row = dict[str, Any]
ROW_KEYS = ("kind", "roll", "resident_id", "time", "last_exit", "nights", "reader_id", "watermark")


class RollKind(StrEnum):
    CURFEW = "curfew"
    MORNING = "morning"


@dataclass(frozen=True)
class NotReturned:
    resident_id: str
    last_exit: datetime | None  # their exit from this building before the roll; None: not known
    nights: int  # consecutive nights absent, this one included
    returned_at: datetime | None = None  # seen coming in after the roll


@dataclass(frozen=True)
class LateReturn:
    resident_id: str
    at: datetime
    reader_id: str


@dataclass(frozen=True)
class Behind:
    """A reader whose data is not known complete up to the roll (``watermark`` None: never heard from)."""

    reader_id: str
    watermark: str | None


@dataclass(frozen=True)
class RollResult:
    building_id: str
    kind: RollKind
    at: datetime  # the roll moment, UTC
    expected: int
    present: int
    on_leave: tuple[str, ...]
    assumed_in: tuple[str, ...]  # present without any swipe on record
    not_returned: tuple[NotReturned, ...]
    late_returns: tuple[LateReturn, ...]
    readers_behind: tuple[Behind, ...]

    @property
    def provisional(self) -> bool:
        return bool(self.readers_behind)

    @property
    def flagged(self) -> frozenset[str]:
        return frozenset(n.resident_id for n in self.not_returned)

    @property
    def streaks(self) -> dict[str, int]:
        """``previous`` for the next night's roll."""
        return {n.resident_id: n.nights for n in self.not_returned}

    @property
    def counts(self) -> dict[str, int]:
        return {"expected": self.expected, "present": self.present, "on_leave": len(self.on_leave),
                "assumed_in": len(self.assumed_in), "not_returned": len(self.not_returned),
                "still_out": sum(n.returned_at is None for n in self.not_returned),
                "late_returns": len(self.late_returns), "readers_behind": len(self.readers_behind)}


def roll_moment(night: date, kind: RollKind | str, hours: Hours, tz: ZoneInfo = CAMPUS_TZ) -> datetime:
    """The UTC moment of a night's roll: the building's closing time (alarm time), or its morning roll the
    next day. A closing time after midnight (earlier than the morning roll) falls on the next day too."""
    if RollKind(kind) == RollKind.MORNING:
        return at_local(night + timedelta(days=1), hours.morning_roll, tz)
    return at_local(night + timedelta(days=int(hours.closes < hours.morning_roll)), hours.closes, tz)


def take_roll(building_id: str, kind: RollKind | str, at: datetime, expected: Iterable[str],
              leaves: Iterable[LeaveRequest], presence: Mapping[str, Presence],
              watermarks: Mapping[str, str | None], previous: Mapping[str, int] | None = None,
              swipes: Iterable[SwipeRecord] = ()) -> RollResult:
    """The roll at ``at`` as known now (rules in the module docstring).

    ``presence``: resident -> their Presence (missing: no swipe ever); ``watermarks``: each reader of
    the building -> its watermark; ``swipes``: the night's swipes, up to the morning roll (optional:
    late returns and ``returned_at`` come from them).
    """
    try:
        kind = RollKind(kind)
    except ValueError:
        raise ValidationError(f"kind must be one of {', '.join(RollKind)}", field="kind") from None
    if at.tzinfo is None:
        raise ValidationError("the roll moment needs a time zone", field="at")
    leaves, previous = tuple(leaves), previous or {}
    members = set(expected)
    residents = sorted(members)
    entries = sorted((s for s in swipes if s.direction == IN and s.building_id == building_id and s.ts >= at
                      and s.resident_id in members and not on_leave(leaves, s.resident_id, s.ts)),
                     key=lambda s: (s.ts, s.reader_id))
    first_entry: dict[str, datetime] = {}
    for s in entries:
        first_entry.setdefault(s.resident_id or "", s.ts)
    excused, assumed, flagged = [], [], []
    for resident_id in residents:
        seen = presence.get(resident_id)
        if on_leave(leaves, resident_id, at):
            excused.append(resident_id)
        elif seen is None:
            assumed.append(resident_id)
        else:
            state, last_exit = _at_roll(seen, building_id, at)
            if state == OUT:
                back = first_entry.get(resident_id) or _entry_after(seen, building_id, at)
                flagged.append(NotReturned(resident_id, last_exit, previous.get(resident_id, 0) + 1, back))
    behind = tuple(Behind(reader_id, mark) for reader_id, mark in sorted(watermarks.items())
                   if mark is None or parse_iso(mark) < at)
    late = tuple(LateReturn(s.resident_id or "", s.ts, s.reader_id) for s in entries if kind == RollKind.CURFEW)
    return RollResult(building_id, kind, at, len(residents), len(residents) - len(excused) - len(flagged),
                      tuple(excused), tuple(assumed), tuple(flagged), late, behind)


def resolved_since(old: RollResult, new: RollResult) -> tuple[str, ...]:
    """Residents flagged by the earlier evaluation of a roll and no longer: false alarms to close."""
    if (old.building_id, old.kind, old.at) != (new.building_id, new.kind, new.at):
        raise ValidationError("both results must be of the same roll", field="new")
    return tuple(sorted(old.flagged - new.flagged))


def _at_roll(seen: Presence, building_id: str, at: datetime) -> tuple[str, datetime | None]:
    """In or out at the roll, and the last exit from this building before it when known."""
    ts = parse_iso(seen.last_ts)
    if seen.building_id != building_id:
        return OUT, None
    if ts < at:
        return seen.state, ts if seen.state == OUT else None
    return (OUT if seen.state == IN else IN), None


def _entry_after(seen: Presence, building_id: str, at: datetime) -> datetime | None:
    ts = parse_iso(seen.last_ts)
    return ts if seen.building_id == building_id and seen.state == IN and ts >= at else None


# ---------------------------------------------------------------- 零报告制
@dataclass(frozen=True)
class ZeroReport:
    building_id: str
    night: date  # the local date the night starts on
    rows: tuple[Row, ...]  # keys ROW_KEYS; kind: late_return | not_returned | provisional
    counts: dict[str, int]
    signed_by: str | None = None
    signed_at: datetime | None = None

    @property
    def nothing_to_report(self) -> bool:
        return not self.rows

    @property
    def provisional(self) -> bool:
        return any(row["kind"] == PROVISIONAL for row in self.rows)


def zero_report(curfew: RollResult, morning: RollResult, tz: ZoneInfo = CAMPUS_TZ) -> ZeroReport:
    """The night's report from its curfew and morning rolls (each as last evaluated)."""
    if curfew.kind != RollKind.CURFEW:
        raise ValidationError("the first result must be a curfew roll", field="curfew")
    if morning.kind != RollKind.MORNING or morning.building_id != curfew.building_id or morning.at <= curfew.at:
        raise ValidationError("the second result must be the same building's morning roll after the curfew",
                              field="morning")
    late = [_row(LATE_RETURN, curfew.kind, resident_id=r.resident_id, time=to_iso(r.at), reader_id=r.reader_id)
            for r in curfew.late_returns if r.at < morning.at]
    out = [_row(NOT_RETURNED, morning.kind, resident_id=n.resident_id, nights=n.nights,
                last_exit=to_iso(n.last_exit) if n.last_exit else None) for n in morning.not_returned]
    behind = [_row(PROVISIONAL, result.kind, reader_id=b.reader_id, watermark=b.watermark)
              for result in (curfew, morning) for b in result.readers_behind]
    counts = {"expected": morning.expected, "on_leave": len(morning.on_leave), "late_returns": len(late),
              "not_returned": len(out), "readers_behind": len(behind)}
    return ZeroReport(curfew.building_id, local_day(morning.at, tz) - timedelta(days=1), (*late, *out, *behind),
                      counts)


def sign(report: ZeroReport, who: str, at: datetime) -> ZeroReport:
    """The dorm manager's sign-off: once."""
    if report.signed_by:
        raise Conflict(f"the report was already signed off by {report.signed_by}", code="already_signed")
    if not who:
        raise ValidationError("who signs is required", field="signed_by")
    if at.tzinfo is None:
        raise ValidationError("the sign-off time needs a time zone", field="signed_at")
    return replace(report, signed_by=who, signed_at=at)


def _row(kind: str, roll: RollKind, **cells: Any) -> Row:
    return {key: cells.get(key) for key in ROW_KEYS} | {"kind": kind, "roll": roll.value}
