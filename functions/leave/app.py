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
- POST /leave-requests/{leave_id}/approve | reject | cancel ({note}).
A leave the caller may not see is a 404; a decision that lost a race, or on a decided leave, is a 409.
"""

from __future__ import annotations

from houqin.api import create_app, json_response, principal
from houqin.services import leave
from houqin.services.leave import Leaves
from houqin.validation import page_limit

app = create_app("houqin-leave")
service = Leaves()  # production ports, connected on first use; tests give it theirs


@app.route("/leave-requests", methods=["POST"])
def create_leave():
    return json_response(service.create(principal(app), app.body(leave.APPLY_FIELDS)), 201)


@app.route("/leave-requests", methods=["GET"])
def list_leaves():
    params = app.params()
    page = service.list_leaves(principal(app), params, page_limit(params), params.get("cursor"))
    return json_response(page.body(leave.leave_view))


@app.route("/leave-requests/{leave_id}", methods=["GET"])
def get_leave(leave_id: str):
    return json_response(service.get(principal(app), leave_id))


@app.route("/leave-requests/{leave_id}/{action}", methods=["POST"])
def act_on_leave(leave_id: str, action: str):
    who = principal(app)
    leave.check_action(action)  # an unknown action is a 404 naming it, whatever the body
    return json_response(service.act(who, leave_id, action, app.body(leave.DECIDE_FIELDS)))
