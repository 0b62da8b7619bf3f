"""In-memory fakes of the opinions table (houqin.store.opinions): opinions with their audit trail, each change
stored only over the version it was read at (a 409 otherwise, as the store's transaction does), the staff and
departments it names, and the posting rate limit's counters."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count

from houqin.domain import opinions as rules
from houqin.domain.opinions import RateWindow
from houqin.errors import Conflict, NotFound
from houqin.store.opinions import Opinion, OpinionLog
from houqin.store.paging import Page


@dataclass
class FakeOpinions:
    items: dict[str, Opinion] = field(default_factory=dict)
    trails: dict[str, list[OpinionLog]] = field(default_factory=dict)
    staff: dict[str, str] = field(default_factory=dict)  # person id -> name
    departments: dict[str, str] = field(default_factory=dict)
    _ids: count = field(default_factory=lambda: count(1), repr=False)

    def new_opinion_id(self, at: datetime) -> str:
        return f"O{next(self._ids):04d}"

    def next_seq(self, opinion: Opinion) -> int:
        return int(opinion.version or 0) + 1

    def create(self, opinion: Opinion, log: OpinionLog) -> None:
        if opinion.opinion_id in self.items:
            raise Conflict(f"opinion {opinion.opinion_id} exists", field="version")
        opinion.version = 1
        self.items[opinion.opinion_id] = copy.deepcopy(opinion)
        self.trails[opinion.opinion_id] = [log]

    def record(self, opinion: Opinion, log: OpinionLog, previous_state: str) -> None:
        stored = self.items[opinion.opinion_id]
        if int(stored.version) != int(opinion.version):
            raise Conflict(f"opinion {opinion.opinion_id} was changed by someone else: reload it and try again",
                           code="changed_meanwhile", field="version")
        opinion.version = int(opinion.version) + 1
        self.items[opinion.opinion_id] = copy.deepcopy(opinion.index_monitor())
        self.trails[opinion.opinion_id].append(log)

    def get(self, opinion_id: str) -> Opinion:
        if opinion_id not in self.items:
            raise NotFound(f"no opinion {opinion_id}")
        return copy.deepcopy(self.items[opinion_id])

    def audit_trail(self, opinion_id: str) -> list[OpinionLog]:
        return list(self.trails.get(opinion_id, []))

    def _newest(self, keep) -> list[Opinion]:
        return [copy.deepcopy(o) for o in sorted(self.items.values(), key=lambda o: o.gsi1sk, reverse=True)
                if keep(o)]

    def board(self, *, limit: int, cursor: str | None, opinion_type: str | None = None) -> Page:
        return Page(self._newest(lambda o: opinion_type in (None, o.type))[:limit], None)

    def by_state(self, state: str, *, limit: int, cursor: str | None, opinion_type: str | None = None) -> Page:
        return Page(self._newest(lambda o: o.state == state and opinion_type in (None, o.type))[:limit], None)

    def assigned_to(self, monitor_id: str, *, limit: int, cursor: str | None, state: str | None = None,
                    opinion_type: str | None = None) -> Page:
        return Page(self._newest(lambda o: o.monitor_id == monitor_id and state in (None, o.state)
                                 and opinion_type in (None, o.type))[:limit], None)

    def staff_name(self, person_id: str) -> str | None:
        return self.staff.get(person_id)

    def department_name(self, department_id: str) -> str | None:
        return self.departments.get(department_id)


@dataclass
class FakeRateSlots:
    """Posts counted per client and fixed window; RateLimited once a window holds RATE_LIMIT of them."""

    posts: dict[tuple[str, str], int] = field(default_factory=dict)

    def take_rate_slot(self, client: str, window: RateWindow, now: datetime) -> int:
        taken = self.posts.get((client, window.key), 0)
        if not rules.allows(taken):
            raise rules.rate_limited(window, now)
        self.posts[client, window.key] = taken + 1
        return taken + 1
