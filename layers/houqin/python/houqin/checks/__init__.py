"""Scheduled checks (报警): one module each, run by AlarmsFunction on the schedule that names it.

A schedule in template.yaml passes ``{"check": "<module>"}``; the module has

- ``run(now: datetime) -> dict``: do the check, raise and resolve its alarms, return a summary;
- ``ALARMS``: the alarm checks it raises (e.g. ``night_roll`` raises ``curfew_roll`` and ``night_out``);
- optionally ``policy(alarm) -> EscalationPolicy``: the ladder of its alarms (default: the building's).

Adding a check (dining stock, heating temperature) is a module here and a schedule in the template:
nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import datetime
from functools import cache
from types import ModuleType
from typing import Any

from houqin.errors import ValidationError


def load(name: str | None) -> ModuleType:
    if not name or not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name) or name not in available():
        raise ValidationError(f"unknown check {name!r}; checks: {', '.join(sorted(available()))}", field="check")
    return importlib.import_module(f"{__name__}.{name}")


@cache
def available() -> frozenset[str]:
    return frozenset(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def run(name: str | None, now: datetime) -> dict[str, Any]:
    return load(name).run(now)


@cache
def owner(alarm_check: str) -> ModuleType | None:
    """The check module that raises alarms of this kind (for its escalation ladder)."""
    for name in sorted(available()):
        module = load(name)
        if alarm_check in getattr(module, "ALARMS", ()):
            return module
    return None
