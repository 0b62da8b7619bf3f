"""The nightly roll (查寝): the curfew roll, the morning final roll and the daily zero report (零报告制).

Pure rules: residents, leaves, presence and reader watermarks in, a ``RollResult`` out. No AWS, no
clock (the roll moment is an argument). Re-running ``take_roll`` with what is known later gives the
settled answer; ``resolved_since`` names the flags that disappeared (the alarms to close).

Rules, exactly:

- **Expected** are the residents with a bed in the building (a count: the roll never reads the whole
  roster). One covered by an approved leave at the roll moment is excused (``on_leave``) whatever the
  gates say.
- **Candidates**: only residents who may be out are looked at: those the sparse "who is out" index
  lists now, plus those an earlier evaluation of the same roll flagged (``earlier``). Everybody else's
  newest swipe puts them at home, so they are present.
- **State at the roll**, from a candidate's Presence (their newest swipe anywhere, as known now):
  newest swipe at another building's gate: out (an entry elsewhere is not being home), last exit
  unknown; newest swipe at this building before the roll: its direction; at or after the roll: the
  opposite (an exit is made from inside, an entry from outside), so a roll re-run later does not flag
  those who left for class. A resident flagged by an earlier evaluation whose newest swipe is after the
  roll stays flagged (they were out at the roll; only a swipe from before it, uploaded late, clears them).
- **Not returned** (未归): out at the roll. ``nights`` counts consecutive nights absent: the previous
  night's count (``previous``: resident -> nights) plus one; a night home or on leave ends the streak.
  ``returned_at``/``reader_id``: their first entry at this building after the roll, once seen.
- **Late returns** (晚归, curfew roll only): the residents not back by curfew who have come in since.
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
from houqin.domain.dorm_reports import IN, LATE_RETURN, OUT, Hours
from houqin.domain.leave import LeaveRequest
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
    reader_id: str | None = None  # the reader of that entry


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
                "not_returned": len(self.not_returned),
                "still_out": sum(n.returned_at is None for n in self.not_returned),
                "late_returns": len(self.late_returns), "readers_behind": len(self.readers_behind)}


def roll_moment(night: date, kind: RollKind | str, hours: Hours, tz: ZoneInfo = CAMPUS_TZ) -> datetime:
    """The UTC moment of a night's roll: the building's closing time (alarm time), or its morning roll the
    next day. A closing time after midnight (earlier than the morning roll) falls on the next day too."""
    if RollKind(kind) == RollKind.MORNING:
        return at_local(night + timedelta(days=1), hours.morning_roll, tz)
    return at_local(night + timedelta(days=int(hours.closes < hours.morning_roll)), hours.closes, tz)


def take_roll(building_id: str, kind: RollKind | str, at: datetime, expected: int,
              leaves: Iterable[LeaveRequest], presence: Mapping[str, Presence],
              watermarks: Mapping[str, str | None], previous: Mapping[str, int] | None = None,
              earlier: RollResult | None = None) -> RollResult:
    """The roll at ``at`` as known now (rules in the module docstring).

    ``expected``: how many residents have a bed in the building; ``leaves``: the building's leave
    requests; ``presence``: resident -> Presence of the candidates (who the "out" index lists, and who
    ``earlier`` flagged); ``watermarks``: each reader of the building -> its watermark.
    """
    try:
        kind = RollKind(kind)
    except ValueError:
        raise ValidationError(f"kind must be one of {', '.join(RollKind)}", field="kind") from None
    if at.tzinfo is None:
        raise ValidationError("the roll moment needs a time zone", field="at")
    if expected < 0:
        raise ValidationError("expected must be zero or more", field="expected")
    if earlier is not None and (earlier.building_id, earlier.kind, earlier.at) != (building_id, kind, at):
        raise ValidationError("the earlier result must be of the same roll", field="earlier")
    leaves, previous = tuple(leaves), previous or {}
    excused = tuple(sorted({leave.resident_id for leave in leaves if leave.covers(at)}))
    before = {n.resident_id: n for n in earlier.not_returned} if earlier else {}
    flagged = []
    for resident_id in sorted(set(presence) - set(excused)):
        seen = presence[resident_id]
        state, last_exit = _at_roll(seen, building_id, at)
        known = before.get(resident_id)
        if known is not None and parse_iso(seen.last_ts) >= at:  # out at the roll, seen since
            state, last_exit = OUT, known.last_exit
        if state == OUT:
            back, via = (known.returned_at, known.reader_id) if known and known.returned_at else _entry_after(
                seen, building_id, at)
            flagged.append(NotReturned(resident_id, last_exit, previous.get(resident_id, 0) + 1, back, via))
    behind = tuple(Behind(reader_id, mark) for reader_id, mark in sorted(watermarks.items())
                   if mark is None or parse_iso(mark) < at)
    late = tuple(sorted((LateReturn(n.resident_id, n.returned_at, n.reader_id or "") for n in flagged
                         if n.returned_at and kind == RollKind.CURFEW), key=lambda r: (r.at, r.resident_id)))
    return RollResult(building_id, kind, at, expected, max(0, expected - len(excused) - len(flagged)), excused,
                      tuple(flagged), late, behind)


def resolved_since(old: RollResult, new: RollResult) -> tuple[str, ...]:
    """Residents flagged by the earlier evaluation of a roll and no longer: false alarms to close."""
    if (old.building_id, old.kind, old.at) != (new.building_id, new.kind, new.at):
        raise ValidationError("both results must be of the same roll", field="new")
    return tuple(sorted(old.flagged - new.flagged))


def out_now(seen: Presence, building_id: str) -> bool:
    """Whether the resident is out by their newest swipe: an exit, or an entry at another building's gate (the
    roll's candidates, with those an earlier evaluation flagged)."""
    return seen.state == OUT or seen.building_id != building_id


def _at_roll(seen: Presence, building_id: str, at: datetime) -> tuple[str, datetime | None]:
    """In or out at the roll, and the last exit from this building before it when known."""
    ts = parse_iso(seen.last_ts)
    if seen.building_id != building_id:
        return OUT, None
    if ts < at:
        return seen.state, ts if seen.state == OUT else None
    return (OUT if seen.state == IN else IN), None


def _entry_after(seen: Presence, building_id: str, at: datetime) -> tuple[datetime | None, str | None]:
    """The return after the roll the presence shows: its time and reader (None, None when not back)."""
    ts = parse_iso(seen.last_ts)
    if seen.building_id == building_id and seen.state == IN and ts >= at:
        return ts, seen.reader_id
    return None, None


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
