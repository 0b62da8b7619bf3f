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
from houqin.domain.opinions import RateLimited
from houqin.services.opinions import POST_FIELDS, REPLY_FIELDS, TRANSITION_FIELDS, Opinions
from houqin.validation import page_limit

app = create_app("houqin-opinions")
service = Opinions()  # tests swap it (a pinned clock)


@app.route("/opinions", methods=["POST"])
def post_opinion():
    body = app.body(POST_FIELDS)
    try:
        return json_response(service.post(body, _source_ip()), 201)
    except RateLimited as exc:
        return json_response(exc.body(), exc.status, {"Retry-After": str(exc.retry_after)})


@app.route("/public/opinions", methods=["GET"])
def public_board():
    params = app.params()
    return json_response(service.board(page_limit(params), params.get("cursor")))


@app.route("/public/opinions/{opinion_id}", methods=["GET"])
def public_opinion(opinion_id: str):
    return json_response(service.public(opinion_id))


@app.route("/opinions", methods=["GET"])
def staff_list():
    params = app.params()
    return json_response(service.staff_list(principal(app).actor(), params, page_limit(params),
                                            params.get("cursor")))


@app.route("/opinions/{opinion_id}", methods=["GET"])
def staff_opinion(opinion_id: str):
    return json_response(service.get(principal(app).actor(), opinion_id))


@app.route("/opinions/{opinion_id}/replies", methods=["POST"])
def reply(opinion_id: str):
    caller = principal(app).actor()
    return json_response(service.reply(caller, opinion_id, app.body(REPLY_FIELDS), if_match(app)), 201)


@app.route("/opinions/{opinion_id}/transitions", methods=["POST"])
def transition(opinion_id: str):
    caller = principal(app).actor()
    return json_response(service.transition(caller, opinion_id, app.body(TRANSITION_FIELDS), if_match(app)))


def _source_ip() -> str | None:
    return (app.current_request.context.get("identity") or {}).get("sourceIp")
