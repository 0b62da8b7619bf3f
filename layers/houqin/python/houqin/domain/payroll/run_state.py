"""The payroll run's life cycle (the run of one department for one month), who may move it, and four eyes::

    (new) -> queued                           finance
    queued -> computing -> draft | failed     the payroll worker (``SYSTEM``)
    draft | failed | rejected -> queued       finance recomputes
    draft -> submitted                        finance
    submitted -> approved                     a leader; an approved run is locked for good
    submitted -> rejected                     a leader, with a reason
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from houqin.domain.actors import SYSTEM, Actor, Role
from houqin.errors import Conflict, Forbidden, ValidationError


class RunState(StrEnum):
    QUEUED = "queued"
    COMPUTING = "computing"
    DRAFT = "draft"
    FAILED = "failed"
    SUBMITTED = "submitted"
    APPROVED = "approved"  # locked
    REJECTED = "rejected"


# action -> (states it starts from (None: a new run), the state it leads to, who: a role, or None for SYSTEM)
RUN_TRANSITIONS: dict[str, tuple[frozenset[RunState | None], RunState, Role | None]] = {
    "create": (frozenset({None}), RunState.QUEUED, Role.FINANCE),
    "start": (frozenset({RunState.QUEUED}), RunState.COMPUTING, None),
    "finish": (frozenset({RunState.COMPUTING}), RunState.DRAFT, None),
    "fail": (frozenset({RunState.COMPUTING}), RunState.FAILED, None),
    "recompute": (frozenset({RunState.DRAFT, RunState.FAILED, RunState.REJECTED}), RunState.QUEUED, Role.FINANCE),
    "submit": (frozenset({RunState.DRAFT}), RunState.SUBMITTED, Role.FINANCE),
    "approve": (frozenset({RunState.SUBMITTED}), RunState.APPROVED, Role.LEADER),
    "reject": (frozenset({RunState.SUBMITTED}), RunState.REJECTED, Role.LEADER),
}


def transition(state: RunState | None, action: str, actor: Actor, reason: str | None = None) -> RunState:
    """The run's next state. Checked in this order: a known action; an approved run is locked
    (Conflict, whoever asks); the actor may take the action (Forbidden); the state allows it
    (Conflict naming the state); a rejection has a reason."""
    if action not in RUN_TRANSITIONS:
        raise ValidationError(f"unknown action {action!r}", field="action")
    if state == RunState.APPROVED:
        raise Conflict("the run is locked: it was approved", code="run_locked")
    sources, target, role = RUN_TRANSITIONS[action]
    allowed = actor is SYSTEM if role is None else actor.has(role)
    if not allowed:
        who = "the payroll worker" if role is None else f"the {role.value} role"
        raise Forbidden(f"only {who} may {action} a payroll run")
    if state not in sources:
        raise Conflict(f"cannot {action} a payroll run that is {state.value if state else 'new'}",
                       code="illegal_transition")
    if action == "reject" and not (reason and reason.strip()):
        raise ValidationError("a reason is required to reject a payroll run", field="reason")
    return target


# ---------------------------------------------------------------- four eyes
def check_four_eyes(approver: str, submitted_by: str | None, entered: Mapping[str, str]) -> None:
    """An approval is a second person's: the approver neither submitted the run nor entered a figure it pays
    (``entered``: person id -> what they entered). A Conflict naming the rule otherwise."""
    if approver == submitted_by:
        raise Conflict("four eyes: you submitted this run, so another leader must approve it", code="four_eyes")
    if approver in entered:
        raise Conflict(f"four eyes: you entered {entered[approver]} that this run pays, so another leader must "
                       "approve it", code="four_eyes")


def check_not_own_bonus(entered_by: str, staff_id: str) -> None:
    """Nobody enters a named bonus for themselves."""
    if entered_by == staff_id:
        raise Conflict("four eyes: nobody enters a named bonus for themselves; another finance user must",
                       code="four_eyes", field="staff_id")
