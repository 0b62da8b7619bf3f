"""The opinion board (后勤意见) use cases: anonymous posts (rate limited), the public board, the staff list, a
staff member's view of one opinion, public replies and the complaint workflow (functions/opinions/app.py is
the HTTP glue; houqin.domain.opinions holds the rules, houqin.store.opinions the items).

Who acts is an Actor (houqin.domain.actors): the handler turns the caller's token into one. A change may
carry the version the caller last saw (``If-Match``): an edit made on a stale copy is refused with 409, and
every change is stored with its audit line in one transaction conditional on the version read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from houqin import contract
from houqin.clock import Clock, to_iso
from houqin.contract import Paging
from houqin.domain import opinions as rules
from houqin.domain.actors import Actor
from houqin.domain.opinions import RateWindow
from houqin.errors import Conflict, ValidationError
from houqin.store import opinions as store
from houqin.store.opinions import Opinion, OpinionLog, Reply
from houqin.store.paging import Page
from houqin.system_clock import SystemClock

MAX_ID = 64


# ---------------------------------------------------------------- inputs (declared once: parsed and documented)
# ``contract.text`` is spelt out: a field named ``text`` would hide the bare name in the rest of its class body.
@dataclass(frozen=True)
class Post:
    """An anonymous opinion; ``contact`` is for staff only and never shown on the public board."""

    type: str = contract.text("enquiry, suggestion, criticism or complaint", choices=rules.TYPES)
    text: str = contract.text("the opinion", max_length=rules.MAX_TEXT)
    contact: str | None = contract.text("how staff may reach the poster (never public)",
                                        max_length=rules.MAX_CONTACT, default=None)
    category: str | None = contract.text("complaints only: what it is about", choices=rules.CATEGORIES,
                                         default=None)


@dataclass(frozen=True)
class ReplyInput:
    """A public reply, signed with the replier's name."""

    text: str = contract.text("the reply", max_length=rules.MAX_REPLY)


@dataclass(frozen=True)
class Transition:
    """A step of the complaint workflow: ``monitor_id`` with assign, ``department_id`` with refer, ``note``
    required with fix."""

    action: str = contract.text("the step", choices=rules.ACTIONS)
    monitor_id: str | None = contract.text("assign: the quality monitor (a staff id)", max_length=MAX_ID,
                                           default=None)
    department_id: str | None = contract.text("refer: the responsible unit", max_length=MAX_ID, default=None)
    note: str | None = contract.text("what was done (fix) or why", max_length=rules.MAX_NOTE, default=None)


@dataclass(frozen=True)
class StaffQuery(Paging):
    """The staff list: every opinion (the desk and leaders) or, with ``assigned=me``, the caller's complaints."""

    assigned: str | None = contract.text("me: only the complaints assigned to the caller",
                                         choices=(rules.ASSIGNED_TO_ME,), default=None)
    state: str | None = contract.text("only opinions in this state", choices=rules.STATES, default=None)
    type: str | None = contract.text("only opinions of this type", choices=rules.TYPES, default=None)


class OpinionRepository(Protocol):
    """What the board needs of storage (houqin.store.opinions in production; tests/fakes/opinions.py)."""

    def new_opinion_id(self, at: datetime) -> str: ...
    def next_seq(self, opinion: Opinion) -> int: ...
    def create(self, opinion: Opinion, log: OpinionLog) -> None: ...
    def record(self, opinion: Opinion, log: OpinionLog, previous_state: str) -> None: ...
    def get(self, opinion_id: str) -> Opinion: ...
    def audit_trail(self, opinion_id: str) -> list[OpinionLog]: ...
    def board(self, *, limit: int, cursor: str | None, opinion_type: str | None = None) -> Page: ...
    def by_state(self, state: str, *, limit: int, cursor: str | None, opinion_type: str | None = None) -> Page: ...
    def assigned_to(self, monitor_id: str, *, limit: int, cursor: str | None, state: str | None = None,
                    opinion_type: str | None = None) -> Page: ...
    def staff_name(self, person_id: str) -> str | None: ...
    def department_name(self, department_id: str) -> str | None: ...


class RateSlots(Protocol):
    """The posting rate limit's counters (houqin.store.opinions in production)."""

    def take_rate_slot(self, client: str, window: RateWindow, now: datetime) -> int:
        """Count one post of ``client`` in ``window``; RateLimited (429) once the window is full."""
        ...


class Opinions:
    """The board's use cases. Ports (houqin.ports): the opinions repository, the rate limiter's counters and a
    clock, each defaulting to production's when left out (nothing is connected until it is used)."""

    def __init__(self, *, opinions: OpinionRepository | None = None, rates: RateSlots | None = None,
                 clock: Clock | None = None) -> None:
        self.opinions: OpinionRepository = opinions if opinions is not None else cast(OpinionRepository, store)
        self.rates: RateSlots = rates if rates is not None else cast(RateSlots, store)
        self.clock: Clock = clock if clock is not None else SystemClock()

    # ------------------------------------------------------------ public: post, board, one opinion
    def post(self, post: Post, source_ip: str | None) -> dict[str, Any]:
        """An anonymous post; RateLimited (429, with its retry-after) past the client's posts in the window."""
        rules.check_category(post.type, post.category)
        now = self.clock.now()
        # counted after validation: a typo does not use up the client's posts
        self.rates.take_rate_slot(rules.client_key(source_ip), rules.rate_window(now), now)
        at = to_iso(now)
        opinion = Opinion.make(self.opinions.new_opinion_id(now), at, type=post.type, category=post.category,
                               text=post.text, contact=post.contact, state=rules.initial_state(post.type))
        log = OpinionLog.make(opinion.opinion_id, self.opinions.next_seq(opinion), action="posted",
                              to_state=opinion.state, at=at)
        self.opinions.create(opinion, log)
        return public_view(opinion)

    def board(self, limit: int, cursor: str | None) -> dict[str, Any]:
        return self.opinions.board(limit=limit, cursor=cursor).body(public_view)

    def public(self, opinion_id: str) -> dict[str, Any]:
        return public_view(self.load(opinion_id))

    # ------------------------------------------------------------ staff: list, one opinion
    def staff_list(self, caller: Actor, query: StaffQuery) -> dict[str, Any]:
        """Every opinion (dispatchers, leaders, admins), by state or type; ``assigned=me``: a monitor's own."""
        monitor_id = rules.list_scope(caller, query.assigned)
        state, opinion_type, limit, cursor = query.state, query.type, query.limit, query.cursor
        if monitor_id:
            page = self.opinions.assigned_to(monitor_id, limit=limit, cursor=cursor, state=state,
                                             opinion_type=opinion_type)
        elif state:
            page = self.opinions.by_state(state, limit=limit, cursor=cursor, opinion_type=opinion_type)
        else:
            page = self.opinions.board(limit=limit, cursor=cursor, opinion_type=opinion_type)
        return page.body(self.staff_view)

    def get(self, caller: Actor, opinion_id: str) -> dict[str, Any]:
        """With its trail and what the caller may do; a monitor reads only theirs (another's is a 404)."""
        opinion = self.load(opinion_id)
        rules.require_reader(caller, opinion.opinion_id, opinion.monitor_id)
        return self.staff_view(opinion, history=True, caller=caller)

    # ------------------------------------------------------------ changes: reply, workflow step
    def reply(self, caller: Actor, opinion_id: str, reply: ReplyInput,
              expected_version: int | None) -> dict[str, Any]:
        caller.require(*rules.REPLY_ROLES)
        text = reply.text
        opinion = self.load(opinion_id)
        check_version(opinion, expected_version)
        rules.check_reply(opinion.state, len(opinion.replies))
        at = to_iso(self.clock.now())
        name = self.signature(caller)
        previous = opinion.state
        opinion.replies = [*opinion.replies, Reply(text=text, by_id=caller.person_id, by_name=name, at=at)]
        opinion.state = rules.state_after_reply(opinion.type, previous)
        opinion.updated_at = at
        log = OpinionLog.make(opinion_id, self.opinions.next_seq(opinion), action="reply", from_state=previous,
                              to_state=opinion.state, at=at, by_id=caller.person_id, by_name=name, text=text)
        self.opinions.record(opinion, log, previous)
        return self.staff_view(opinion, history=True, caller=caller)

    def transition(self, caller: Actor, opinion_id: str, step: Transition,
                   expected_version: int | None) -> dict[str, Any]:
        """assign (a leader names the quality monitor), refer (to the responsible unit), fix (with a note of what
        was done), archive (a leader): each only from its state, by who may."""
        action = step.action
        needed = rules.required_field(action)
        for field in ("monitor_id", "department_id"):
            if field != needed and getattr(step, field) is not None:
                raise ValidationError(f"{field} is not used by {action}", field=field)
        if needed is not None and getattr(step, needed) is None:
            raise ValidationError(f"{needed} is required", field=needed)
        monitor_id, department_id, note = step.monitor_id, step.department_id, step.note
        opinion = self.load(opinion_id)
        rules.require_workflow_actor(action, caller, opinion.monitor_id)
        check_version(opinion, expected_version)
        target = rules.next_state(opinion.type, opinion.state, action)
        if monitor_id:
            opinion.monitor_id = monitor_id
            opinion.monitor_name = named(self.opinions.staff_name, monitor_id, "monitor_id")
        if department_id:
            opinion.department_id = department_id
            opinion.department_name = named(self.opinions.department_name, department_id, "department_id")
        at = to_iso(self.clock.now())
        previous, opinion.state, opinion.updated_at = opinion.state, target, at
        log = OpinionLog.make(opinion_id, self.opinions.next_seq(opinion), action=action, from_state=previous,
                              to_state=target, at=at, by_id=caller.person_id, by_name=self.signature(caller),
                              text=note, monitor_id=monitor_id, department_id=department_id)
        self.opinions.record(opinion, log, previous)
        return self.staff_view(opinion, history=True, caller=caller)

    # ------------------------------------------------------------ helpers
    def load(self, opinion_id: str) -> Opinion:
        if len(opinion_id) > MAX_ID:
            raise ValidationError(f"opinion_id is longer than {MAX_ID} characters", field="opinion_id")
        return self.opinions.get(opinion_id)

    def signature(self, caller: Actor) -> str | None:
        """The name a staff action is signed with: the staff record's (authoritative), else the token's."""
        return self.opinions.staff_name(caller.person_id) or caller.name or None

    def staff_view(self, opinion: Opinion, history: bool = False, caller: Actor | None = None) -> dict[str, Any]:
        """The staff list's item; with ``history`` its audit trail, with ``caller`` what they may do to it now."""
        view = {
            **public_view(opinion),
            "contact": opinion.contact, "channel": opinion.channel, "updated_at": opinion.updated_at,
            "monitor_id": opinion.monitor_id, "monitor_name": opinion.monitor_name,
            "department_id": opinion.department_id, "department_name": opinion.department_name,
            "replies": [{"text": r.text, "by_id": r.by_id, "by_name": r.by_name, "at": r.at}
                        for r in opinion.replies],
            "version": int(opinion.version),
        }
        if history:
            view["history"] = [line.as_dict() for line in self.opinions.audit_trail(opinion.opinion_id)]
        if caller is not None:
            view["actions"] = rules.allowed_actions(caller, opinion.type, opinion.state, opinion.monitor_id,
                                                    len(opinion.replies))
        return view


def public_view(opinion: Opinion) -> dict[str, Any]:
    """What anyone may read: no contact, no staff ids; replies are signed with the replier's name."""
    return {
        "opinion_id": opinion.opinion_id, "type": opinion.type, "category": opinion.category, "text": opinion.text,
        "state": opinion.state, "created_at": opinion.created_at,
        "replies": [{"text": r.text, "by_name": r.by_name, "at": r.at} for r in opinion.replies],
    }


def check_version(opinion: Opinion, expected: int | None) -> None:
    """``If-Match``: the change was made on the version the caller saw, else 409."""
    if expected is not None and expected != int(opinion.version):
        raise Conflict(f"opinion {opinion.opinion_id} is at version {int(opinion.version)}, not {expected}: "
                       "reload it and try again", code="version_conflict", field="version")


def named(lookup: Callable[[str], str | None], ident: str, field: str) -> str:
    name = lookup(ident)
    if name is None:
        raise ValidationError(f"{field} {ident!r} does not exist", field=field)
    return name
