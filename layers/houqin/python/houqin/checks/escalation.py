"""Escalation: every open alarm climbs its ladder; each step is notified once, on the notifications topic.

The ladder of an alarm is its scope's (houqin.domain.alarms.LADDERS): for a resident the dorm manager at once,
the counsellor after 30 unacknowledged minutes, the parent after 60 where the building allows it.
"""

from __future__ import annotations

from typing import Any

from houqin.services.alarms import Alarms

ALARMS: tuple[str, ...] = ()


def run(alarms: Alarms) -> dict[str, Any]:
    return {"notifications": alarms.escalate_open()}
