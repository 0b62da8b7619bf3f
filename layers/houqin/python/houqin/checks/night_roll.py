"""The night roll (查寝): each building's curfew roll at its alarm time (default 23:00), the morning final
roll (06:00), their re-evaluation and the daily zero report (零报告制). Rules: houqin/domain/roll.py.

Every run (every 10 minutes) looks at tonight's and last night's rolls of every building:

- a roll whose moment has passed is taken: expected = the building's taken beds (a count), minus
  approved leave; who is out comes from the sparse "who is out" index (a few items, not the roster);
  each resident not back raises one alarm (``curfew_roll`` at curfew, ``night_out`` in the morning);
- a roll taken before is evaluated again while it can still change: while it is provisional (a reader's
  watermark is before the roll) or someone flagged is not back. Only the residents it flagged are read
  again; a flag that disappears (a late backlog showed they came in before the roll) or a resident who
  came back resolves their alarm by itself. An evaluation that finds nothing new (no backlog arrived,
  nobody flagged came back) writes nothing: ``evaluated_at`` is the last evaluation that changed the roll.
  Once final, a roll is not read again;
- once the morning roll is taken, the night's zero report is written, even with nothing to report, and
  rewritten while the rolls change until the dorm manager signs it off.

A roll taken stays at the moment it was taken when the building's hours change that night. A building
whose roll fails (bad data) is logged and the others are still rolled; the run then fails naming it.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from houqin.clock import local, local_day, to_iso
from houqin.domain import roll as rules
from houqin.domain.alarms import Scope, Severity, alarm_key
from houqin.domain.dorm_reports import Hours, clock_time
from houqin.domain.roll import RollKind, RollResult
from houqin.services.alarms import Alarms
from houqin.services.rolls import Rolls
from houqin.settings import settings
from houqin.store import alarms as store
from houqin.store import dorms

log = logging.getLogger(__name__)

CHECKS = {RollKind.CURFEW: "curfew_roll", RollKind.MORNING: "night_out"}
ALARMS = tuple(CHECKS.values())
SEVERITY = {RollKind.CURFEW: Severity.WARNING, RollKind.MORNING: Severity.CRITICAL}
WATCH = timedelta(hours=18)  # how long after its moment a roll may still be re-evaluated


class RollFailed(Exception):
    """Some buildings' rolls failed (each logged with its cause); every other building's was taken."""


def run(alarms: Alarms) -> dict[str, Any]:
    now = alarms.clock.now()
    summary: Counter[str] = Counter()
    failed = []
    for building in dorms.all_buildings():
        try:
            summary.update(roll_building(alarms, building, now))
        except Exception:  # noqa: BLE001 - one building's bad data must not cost the others their roll
            log.exception("night roll of %s failed", building.building_id)
            failed.append(building.building_id)
    if failed:  # the invocation fails (Lambda retries, then the DLQ) after the others are done
        raise RollFailed(f"the night roll failed for {', '.join(failed)} ({dict(summary)} for the rest)")
    return dict(summary)


def hours(building: dorms.Building) -> Hours:
    """The roll moments: the building's alarm time (curfew) and its morning roll."""
    return Hours(building.building_id, building.name, closes=clock_time(building.curfew, time(23)),
                 morning_roll=clock_time(building.morning_roll, time(6)))


def roll_building(alarms: Alarms, building: dorms.Building, now: datetime, rolls: Rolls | None = None) -> Counter[str]:
    """Tonight's and last night's rolls of one building (one Query reads what is stored of both), taken by
    ``rolls`` (default: the production reads, on the alarms' clock)."""
    rolls = rolls if rolls is not None else Rolls(clock=alarms.clock)
    summary: Counter[str] = Counter()
    today = local_day(now, settings().tz)
    # Eventually consistent (half the RCU): the check's own writes are 10 minutes old by its next run, and
    # a stale read costs nothing wrong: alarms are created only once, a signed report is never rewritten.
    stored = store.night_items(building.building_id, today - timedelta(days=2), today, consistent=False)
    for night in (today - timedelta(days=1), today):
        zero = stored.get((night.isoformat(), "zero"))
        if zero is not None and zero.signed_by:
            continue  # signed off: the night is closed
        results: dict[RollKind, RollResult] = {}
        for kind in RollKind:
            earlier = stored.get((night.isoformat(), kind.value))
            # A roll taken stays at its moment when the building's hours change that night.
            at = earlier.result().at if earlier else rules.roll_moment(night, kind, hours(building), settings().tz)
            if at > now:
                continue
            if earlier is not None and (now - at > WATCH or _final(earlier.result())):
                results[kind] = earlier.result()
                continue
            previous = stored.get(((night - timedelta(days=1)).isoformat(), kind.value))
            results[kind] = evaluate(alarms, rolls, building, night, kind, at, now, earlier, previous, summary)
        if len(results) == 2:
            summary["zero_reports"] += write_zero_report(results, zero, now)
    return summary


def evaluate(alarms: Alarms, rolls: Rolls, building: dorms.Building, night: date, kind: RollKind, at: datetime,
             now: datetime, earlier_item: store.RollItem | None, previous_item: store.RollItem | None,
             summary: Counter[str]) -> RollResult:
    earlier = earlier_item.result() if earlier_item else None
    result, _ = rolls.take(building, kind, at, earlier, previous_item.result() if previous_item else None)
    if result == earlier:  # nothing new (no backlog arrived, nobody flagged came back): no alarm, no write
        summary["rolls_unchanged"] += 1
        return result
    _alarms(alarms, building, night, kind, earlier, result, summary)
    store.save_roll(store.RollItem.make(result, night, now, int(earlier_item.evaluations) + 1 if earlier_item else 1))
    summary["rolls"] += 1
    return result


def _alarms(alarms: Alarms, building: dorms.Building, night: date, kind: RollKind, earlier: RollResult | None,
            result: RollResult, summary: Counter[str]) -> None:
    """Raise for who is newly out, resolve for who came back or was never out: only those residents.

    An alarm names the resident: the profiles of those newly out are read in one BatchGetItem (presence items
    stay small, since every swipe writes one).
    """
    check, period = CHECKS[kind], night.isoformat()
    out_before = _still_out(earlier) if earlier else {}
    out_now = _still_out(result)
    newly_out = sorted(out_now.keys() - out_before.keys())
    people = {r: dorms.profile_of(person) for r, person in dorms.residents(newly_out).items()} if newly_out else {}
    for resident_id in newly_out:
        flag, person = out_now[resident_id], people.get(resident_id)
        scope = Scope.resident(building.building_id, building.campus_id, (person or {}).get("department"),
                               (person or {}).get("grade"))
        _, written = alarms.raise_alarm(
            check=check, subject=resident_id, period=period, severity=SEVERITY[kind], scope=scope,
            details={"roll_at": to_iso(result.at), "nights": flag.nights, "provisional": result.provisional,
                     "last_exit": to_iso(flag.last_exit) if flag.last_exit else None,
                     **(person or {})})
        summary["raised"] += written
    returned = {n.resident_id: n for n in result.not_returned if n.returned_at}
    for resident_id in sorted(out_before.keys() - out_now.keys()):
        back = returned.get(resident_id)
        reason = (f"back at {local(back.returned_at, settings().tz):%H:%M} (late return, reader {back.reader_id})"
                  if back else "a swipe from before the roll arrived late: not out at the roll (false alarm)")
        summary["resolved"] += alarms.auto_resolve(alarm_key(check, resident_id, period), reason)


def _still_out(result: RollResult) -> dict[str, rules.NotReturned]:
    return {n.resident_id: n for n in result.not_returned if n.returned_at is None}


def _final(result: RollResult) -> bool:
    """Nothing can change any more: every reader was complete past the roll and everyone flagged is back."""
    return not result.provisional and not _still_out(result)


def write_zero_report(results: dict[RollKind, RollResult], stored: store.ZeroReportItem | None,
                      now: datetime) -> int:
    report = rules.zero_report(results[RollKind.CURFEW], results[RollKind.MORNING], settings().tz)
    if stored is not None and (list(stored.rows), dict(stored.counts)) == (list(report.rows), dict(report.counts)):
        return 0
    return int(store.save_zero_report(store.ZeroReportItem.make(report, now)))
