"""Scheduled checks (报警): one module each, run by AlarmsFunction on the schedule that names it.

A schedule in template.yaml passes ``{"check": "<module>"}``; the module has

- ``run(alarms: Alarms) -> dict``: do the check at ``alarms.clock.now()``, raise and resolve its alarms through
  the alarms service (houqin.services.alarms.Alarms), return a summary;
- ``ALARMS``: the alarm checks it raises (e.g. ``night_roll`` raises ``curfew_roll`` and ``night_out``).

A check addresses each alarm to a scope (houqin.domain.alarms.Scope: a building, a resident, a repair point...);
the scope, not the check, says whom it reaches and which ladder it climbs. Adding a check (dining stock, heating
temperature) is a module here and a schedule in the template, and at most a new scope: nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import cache
from types import ModuleType
from typing import Any

from houqin.errors import ValidationError
from houqin.services.alarms import Alarms


def load(name: str | None) -> ModuleType:
    if not name or not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name) or name not in available():
        raise ValidationError(f"unknown check {name!r}; checks: {', '.join(sorted(available()))}", field="check")
    return importlib.import_module(f"{__name__}.{name}")


@cache
def available() -> frozenset[str]:
    return frozenset(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def run(name: str | None, alarms: Alarms) -> dict[str, Any]:
    return load(name).run(alarms)
