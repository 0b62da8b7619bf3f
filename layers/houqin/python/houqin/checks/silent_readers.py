"""Silent gate readers: a reader with no message for SILENT_READER_MINUTES (default 15) while its building
is open raises an alarm for the day, addressed to its building (the dorm managers, then the duty desk after 30
minutes); it resolves itself when the reader speaks again (at any hour)."""

from __future__ import annotations

from typing import Any

from houqin.clock import local, local_day, parse_iso
from houqin.domain.alarms import Scope, Severity
from houqin.services.alarms import Alarms
from houqin.services.dorm_reports import hours_of
from houqin.settings import settings
from houqin.store import dorms, swipes

CHECK = "silent_reader"
ALARMS = (CHECK,)


def run(alarms: Alarms) -> dict[str, Any]:
    now, tz, quiet = alarms.clock.now(), settings().tz, settings().silent_reader_after
    last_heard: dict[str, str | None] = {}
    raised = 0
    for building in dorms.all_buildings():
        progress = swipes.building_progress(building.building_id)
        is_open = not hours_of(building).closed_at(local(now, tz).time())
        for reader in dorms.readers_of_building(building.building_id):
            found = progress.get(reader.reader_id)
            last = found.last_message_at if found else None
            last_heard[reader.reader_id] = last
            if is_open and (last is None or now - parse_iso(last) > quiet):
                _, written = alarms.raise_alarm(
                    check=CHECK, subject=reader.reader_id, period=local_day(now, tz).isoformat(),
                    severity=Severity.WARNING, scope=Scope.building(building.building_id, building.campus_id),
                    details={"entrance": reader.entrance, "last_message_at": last,
                             "silent_minutes": quiet.total_seconds() // 60})
                raised += written
    resolved = 0
    for item in alarms.active(CHECK):
        last = last_heard.get(item.subject)
        if last is not None and now - parse_iso(last) <= quiet:
            resolved += alarms.auto_resolve(item.alarm_id, f"the reader spoke again at {last}")
    return {"readers": len(last_heard), "raised": raised, "resolved": resolved}
