"""Escalation: every open alarm climbs its ladder; each step is notified once, on the notifications topic.

The ladder of an alarm is its check's ``policy(alarm)``, else its building's (dorm manager at once, the
counsellor after 30 unacknowledged minutes, the parent after 60 where the building allows it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from houqin import checks
from houqin.domain.alarms import Alarm, EscalationPolicy
from houqin.services import alarms

ALARMS: tuple[str, ...] = ()


def run(now: datetime) -> dict[str, Any]:
    return {"notifications": alarms.escalate_open(now, policy_of)}


def policy_of(alarm: Alarm) -> EscalationPolicy:
    module = checks.owner(alarm.check)
    if module is not None and hasattr(module, "policy"):
        return module.policy(alarm)
    return EscalationPolicy()
