"""The opinion board (后勤意见): what may be posted, who may answer, the complaint workflow.

Anyone may post without registering; staff reply publicly. A complaint is worked through a
fixed, recorded sequence (有案可稽)::

    intake --assign--> investigating --refer--> with_unit --fix--> fixed --archive--> archived
           (quality monitor)      (监控部 refers to the     (note of what
                                   responsible unit)         was done)

Enquiries, suggestions and criticism have no workflow: they are "open" until a staff reply,
then "replied".

Who sees what (per object): dispatchers, leaders and admins read every opinion with its contact
and trail; a quality monitor is any staff member a leader names, and reads (and lists, with
``?assigned=me``) only the complaints assigned to them: another monitor's complaint is "not
found" to them. ``allowed_actions`` tells a page which steps and replies the caller may take now.

Posting is rate limited per client in fixed windows: at most ``RATE_LIMIT`` posts per
``RATE_WINDOW`` (5 per 10 minutes). Fixed windows are one counter item each and need no
clock on the server beyond "now"; the price is that a client may post up to twice the limit
across a window boundary, which is acceptable for an anti-flood rule.

Pure rules: time comes in as arguments, nothing here reads a clock, the environment or AWS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from houqin.clock import to_iso
from houqin.domain.actors import STAFF_ROLES, Actor, Role
from houqin.errors import Conflict, Forbidden, HouqinError, NotFound, ValidationError

ENQUIRY, SUGGESTION, CRITICISM, COMPLAINT = "enquiry", "suggestion", "criticism", "complaint"
TYPES = (ENQUIRY, SUGGESTION, CRITICISM, COMPLAINT)
# What a complaint is about; 推诿 / 拖延 / 拒绝 are the ones the group tracks by name.
CATEGORIES = ("buck_passing", "delay", "refusal", "other")

MAX_TEXT = 2000
MAX_CONTACT = 100
MAX_REPLY = 1000
MAX_NOTE = 1000
# Replies are also kept on the opinion so the board is one Query; the cap keeps the item well
# under DynamoDB's 400 KB (30 x 1000 characters x 3 bytes of UTF-8 is about 90 KB).
MAX_REPLIES = 30

# States. Non-complaints:
OPEN, REPLIED = "open", "replied"
# Complaints:
INTAKE, INVESTIGATING, WITH_UNIT, FIXED, ARCHIVED = "intake", "investigating", "with_unit", "fixed", "archived"
STATES = (OPEN, REPLIED, INTAKE, INVESTIGATING, WITH_UNIT, FIXED, ARCHIVED)


@dataclass(frozen=True)
class Step:
    source: str
    target: str
    requires: str | None  # the body field the step cannot do without


# action -> step of the complaint workflow
STEPS = {
    "assign": Step(INTAKE, INVESTIGATING, "monitor_id"),  # a leader assigns the quality monitor
    "refer": Step(INVESTIGATING, WITH_UNIT, "department_id"),  # 监控部 hands it to the responsible unit
    "fix": Step(WITH_UNIT, FIXED, "note"),  # what the unit did
    "archive": Step(FIXED, ARCHIVED, None),
}
ACTIONS = tuple(STEPS)
# The states of a complaint that has its quality monitor: every state from "assign" on.
MONITORED_STATES = (INVESTIGATING, WITH_UNIT, FIXED, ARCHIVED)

REPLY_ROLES = (Role.DISPATCHER, Role.LEADER, Role.ADMIN)
LIST_ROLES = (Role.DISPATCHER, Role.LEADER, Role.ADMIN)
MANAGER_ROLES = (Role.LEADER, Role.ADMIN)
# Steps only a manager may take; the others the assigned monitor may take too.
MANAGER_ONLY = frozenset({"assign", "archive"})
# Logistics staff: any of them may be named quality monitor (质量监督员), so any may list the complaints
# assigned to them and read the list of responsible units.
ASSIGNED_TO_ME = "me"  # GET /opinions?assigned=me


# ---------------------------------------------------------------- posting
def check_category(opinion_type: str, category: str | None) -> None:
    """A category says what a complaint is about; other types have none."""
    if category is not None and opinion_type != COMPLAINT:
        raise ValidationError("category is only for complaints", field="category")


def initial_state(opinion_type: str) -> str:
    return INTAKE if opinion_type == COMPLAINT else OPEN


# ---------------------------------------------------------------- replies
def check_reply(state: str, reply_count: int) -> None:
    if state == ARCHIVED:
        raise Conflict("the complaint is archived: it takes no more replies", field="state")
    if reply_count >= MAX_REPLIES:
        raise Conflict(f"the opinion already has {MAX_REPLIES} replies", field="replies")


def state_after_reply(opinion_type: str, state: str) -> str:
    """A reply answers an enquiry or suggestion; a complaint moves only through its workflow."""
    return state if opinion_type == COMPLAINT else REPLIED


# ---------------------------------------------------------------- complaint workflow
def next_state(opinion_type: str, state: str, action: str) -> str:
    """The state after ``action``; Conflict names the current state when the step is not allowed."""
    if action not in STEPS:
        raise ValidationError(f"action must be one of: {', '.join(ACTIONS)}", field="action")
    if opinion_type != COMPLAINT:
        raise Conflict(f"only complaints have a workflow: this {opinion_type} is {state}", field="state")
    step = STEPS[action]
    if state != step.source:
        raise Conflict(f"cannot {action} a complaint that is {state}: {action} needs {step.source}", field="state")
    return step.target


def required_field(action: str) -> str | None:
    step = STEPS.get(action)
    return step.requires if step else None


def may_take(action: str, caller: Actor, monitor_id: str | None) -> bool:
    """Whether the caller may take this step at all (the state is ``next_state``'s question)."""
    if caller.has(*MANAGER_ROLES):
        return True
    return action not in MANAGER_ONLY and caller.is_person(monitor_id or "")


def require_workflow_actor(action: str, caller: Actor, monitor_id: str | None) -> None:
    """Leaders assign and archive; the assigned monitor (or a leader) refers and records the fix."""
    if may_take(action, caller, monitor_id):
        return
    if action in MANAGER_ONLY:
        raise Forbidden(f"only a leader or admin may {action} a complaint")
    raise Forbidden("only the quality monitor assigned to this complaint (or a leader) may do this")


def allowed_actions(caller: Actor, opinion_type: str, state: str, monitor_id: str | None,
                    reply_count: int) -> list[str]:
    """What the caller may do to the opinion now: workflow steps (in order), then "reply"."""
    actions = [action for action, step in STEPS.items()
               if opinion_type == COMPLAINT and step.source == state and may_take(action, caller, monitor_id)]
    if caller.has(*REPLY_ROLES) and state != ARCHIVED and reply_count < MAX_REPLIES:
        actions.append("reply")
    return actions


# ---------------------------------------------------------------- who reads what
def may_read(caller: Actor, monitor_id: str | None) -> bool:
    """Staff of the lists read every opinion; a quality monitor only the complaints assigned to them."""
    return caller.has(*LIST_ROLES) or caller.is_person(monitor_id or "")


def require_reader(caller: Actor, opinion_id: str, monitor_id: str | None) -> None:
    """Someone who may not read it is told it does not exist (as for a missing one): no contact, no trail."""
    if not may_read(caller, monitor_id):
        raise NotFound(f"no opinion {opinion_id}")


def list_scope(caller: Actor, assigned: str | None) -> str | None:
    """Whose opinions a staff list holds: None = all (dispatcher, leader, admin); with ``assigned=me``
    the complaints assigned to the caller (any staff member), by their person id."""
    if assigned is None:
        caller.require(*LIST_ROLES)
        return None
    caller.require(*STAFF_ROLES)
    if assigned != ASSIGNED_TO_ME:
        raise ValidationError(f"assigned must be one of: {ASSIGNED_TO_ME}", field="assigned")
    return caller.person_id


# ---------------------------------------------------------------- rate limit
RATE_LIMIT = 5
RATE_WINDOW = timedelta(minutes=10)
# Counters stay one extra window after they close, then DynamoDB's TTL removes them.
RATE_KEEP = RATE_WINDOW


class RateLimited(HouqinError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RateWindow:
    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        return to_iso(self.start)

    @property
    def expires_at(self) -> int:
        """Epoch seconds for the TTL attribute."""
        return int((self.end + RATE_KEEP).timestamp())

    def retry_after(self, now: datetime) -> int:
        return max(1, math.ceil((self.end - now).total_seconds()))


def rate_window(now: datetime) -> RateWindow:
    """The fixed window containing ``now``: windows start at whole multiples of RATE_WINDOW since the epoch."""
    if now.tzinfo is None:
        raise ValueError("naive datetime: the rate window needs an aware one")
    size = int(RATE_WINDOW.total_seconds())
    start = datetime.fromtimestamp(int(now.timestamp()) // size * size, UTC)
    return RateWindow(start, start + RATE_WINDOW)


def allows(posts_in_window: int) -> bool:
    """Whether one more post is allowed after ``posts_in_window`` posts in the current window."""
    return posts_in_window < RATE_LIMIT


def rate_limited(window: RateWindow, now: datetime) -> RateLimited:
    seconds = window.retry_after(now)
    return RateLimited(f"at most {RATE_LIMIT} posts per {int(RATE_WINDOW.total_seconds() // 60)} minutes: "
                       f"try again in {seconds} seconds", retry_after=seconds)


def client_key(source_ip: str | None) -> str:
    """The client a post is counted against; requests without a source address share one bucket."""
    client = (source_ip or "").strip()[:64]
    return client or "unknown"
