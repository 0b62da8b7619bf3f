"""The audit trail shared by every workflow: one ``Event`` per change, naming the fields that changed.

Pure: a record (a frozen dataclass with ``state`` and ``with_changes``) and the changes in, the
changed record and its ``Event`` out. Tickets and alarms record their transitions through ``changed``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TypeVar


@dataclass(frozen=True)
class Event:
    """One line of the audit trail: who did what, when, and which fields changed (old -> new)."""

    at: str
    by: str
    action: str
    from_state: str | None
    to_state: str
    changes: dict[str, list[Any]] = field(default_factory=dict)
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Audited(Protocol):
    @property
    def state(self) -> StrEnum: ...

    def with_changes(self, **changes: Any) -> Any: ...


_R = TypeVar("_R", bound=Audited)


def changed(record: _R, action: str, by: str, at: str, changes: Mapping[str, Any],
            reason: str | None) -> tuple[_R, Event]:
    """``record`` with ``changes`` applied, and the event saying so (the state change is its own field)."""
    updated = record.with_changes(**changes)
    diff = {name: [plain(getattr(record, name)), plain(value)] for name, value in changes.items()
            if name != "state" and getattr(record, name) != value}
    return updated, Event(at=at, by=by, action=action, from_state=record.state.value, to_state=updated.state.value,
                          changes=diff, reason=reason)


def plain(value: Any) -> Any:
    """A value as stored and shown: an enum by its value, a tuple as a list."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value
