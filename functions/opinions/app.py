"""The opinion board (后勤意见): anonymous posts, public staff replies, the complaint workflow.

Public (no sign-in): POST /opinions, GET /public/opinions[/{opinion_id}]; the public never
sees a poster's contact. Staff (signed in): GET /opinions (``?assigned=me``: a quality monitor's
own complaints), GET /opinions/{id} (with its trail and the caller's allowed actions; a monitor
only theirs),
POST /opinions/{id}/replies and POST /opinions/{id}/transitions; a change may carry
``If-Match: <version>`` so an edit made on a stale copy is refused with 409.
"""

from __future__ import annotations

from houqin.api import create_app, if_match, json_response, principal
from houqin.contract import Paging
from houqin.domain.actors import STAFF_ROLES
from houqin.domain.opinions import REPLY_ROLES, RateLimited
from houqin.services.opinions import Opinions, Post, ReplyInput, StaffQuery, Transition

app = create_app("houqin-opinions")
service = Opinions()  # tests swap it (a pinned clock)


# ---------------------------------------------------------------- public (no sign-in)
@app.route("/opinions", methods=["POST"], body=Post, status=201)
def post_opinion(body: Post):
    """Post an opinion anonymously (anyone; a few posts per client in ten minutes, then 429 with Retry-After)."""
    try:
        return json_response(service.post(body, _source_ip()), 201)
    except RateLimited as exc:  # answered here: the app's error handler would drop the Retry-After header
        return json_response(exc.body(), exc.status, {"Retry-After": str(exc.retry_after)})


@app.route("/public/opinions", methods=["GET"], query=Paging)
def public_board(query: Paging):
    """The public board, newest first: opinions and their replies, without contacts (anyone)."""
    return json_response(service.board(query.limit, query.cursor))


@app.route("/public/opinions/{opinion_id}", methods=["GET"])
def public_opinion(opinion_id: str):
    """One opinion as the public board shows it (anyone)."""
    return json_response(service.public(opinion_id))


# ---------------------------------------------------------------- staff
# Any staff member may be named quality monitor, so every staff role may list and open (their own) complaints;
# the service decides per opinion (the desk and leaders: all; a monitor: those assigned to them).
@app.route("/opinions", methods=["GET"], roles=STAFF_ROLES, query=StaffQuery)
def staff_list(query: StaffQuery):
    """The staff list with contacts: every opinion for the desk and leaders, ``assigned=me`` for a monitor."""
    return json_response(service.staff_list(principal(app).actor(), query))


@app.route("/opinions/{opinion_id}", methods=["GET"], roles=STAFF_ROLES)
def staff_opinion(opinion_id: str):
    """One opinion with its trail and what the caller may do next (a monitor: only one assigned to them)."""
    return json_response(service.get(principal(app).actor(), opinion_id))


@app.route("/opinions/{opinion_id}/replies", methods=["POST"], roles=REPLY_ROLES, body=ReplyInput, status=201)
def reply(opinion_id: str, body: ReplyInput):
    """A public reply signed with the replier's name (the duty desk, leaders, admins)."""
    caller = principal(app).actor()
    return json_response(service.reply(caller, opinion_id, body, if_match(app)), 201)


@app.route("/opinions/{opinion_id}/transitions", methods=["POST"], roles=STAFF_ROLES, body=Transition)
def transition(opinion_id: str, body: Transition):
    """A complaint's next step: leaders assign and archive, the assigned monitor refers and records the fix."""
    caller = principal(app).actor()
    return json_response(service.transition(caller, opinion_id, body, if_match(app)))


def _source_ip() -> str | None:
    return (app.current_request.context.get("identity") or {}).get("sourceIp")
