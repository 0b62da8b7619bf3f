"""Leave requests (请假): HTTP glue over houqin.services.leave.

Every route here is declared in template.yaml (LeaveFunction) with the same path and method.
- POST /leave-requests: a student applies for themselves ({start, end, reason}; resident_id may be
  left out), a dorm manager registers an approved leave for a resident of their building
  ({resident_id, start, end, reason, note?}). ``start``/``end`` are local dates (the last day
  included) or ISO date-times with an offset.
- GET /leave-requests (limit, cursor, state): a student their own, a parent their child's
  (resident_id when several), a counsellor the pending requests of their scope (or resident_id=),
  a dorm manager or leader building_id= (leaves ending from today on), anyone resident_id= of a
  resident they may see.
- POST /leave-requests/{leave_id}/approve | reject | cancel ({note}); another action is a 404 (once the
  body, read first as every route's, is well formed).
A leave the caller may not see is a 404; a decision that lost a race, or on a decided leave, is a 409.
"""

from __future__ import annotations

from houqin.api import create_app, json_response, principal
from houqin.domain.actors import Role
from houqin.services import leave
from houqin.services.leave import Application, Decision, LeaveQuery, Leaves

app = create_app("houqin-leave")
service = Leaves()  # production ports, connected on first use; tests give it theirs

APPLICANTS = (Role.STUDENT, Role.DORM_MANAGER)
# Who may see a leave: the resident and the applicant, a parent, the counsellor, the dorm manager, leaders.
READERS = (Role.STUDENT, Role.PARENT, Role.COUNSELLOR, Role.DORM_MANAGER, Role.LEADER, Role.ADMIN)
# Counsellors approve and reject, the applicant (a student, or the dorm manager who registered it) cancels.
DECIDERS = (Role.STUDENT, Role.COUNSELLOR, Role.DORM_MANAGER)


@app.route("/leave-requests", methods=["POST"], roles=APPLICANTS, body=Application, status=201)
def create_leave(body: Application):
    """A student applies for leave; a dorm manager registers an approved leave for a resident of their building."""
    return json_response(service.create(principal(app), body), 201)


@app.route("/leave-requests", methods=["GET"], roles=READERS, query=LeaveQuery)
def list_leaves(query: LeaveQuery):
    """The leaves the caller follows: their own or their child's, a resident's, a building's, or those pending."""
    page = service.list_leaves(principal(app), query)
    return json_response(page.body(leave.leave_view))


@app.route("/leave-requests/{leave_id}", methods=["GET"], roles=READERS)
def get_leave(leave_id: str):
    """A leave the caller may see; 404 for one they may not."""
    return json_response(service.get(principal(app), leave_id))


@app.route("/leave-requests/{leave_id}/{action}", methods=["POST"], roles=DECIDERS, body=Decision)
def act_on_leave(leave_id: str, action: str, body: Decision):
    """approve or reject a leave (its counsellor), or cancel it (whoever applied); an unknown action is a 404."""
    return json_response(service.act(principal(app), leave_id, action, body))
