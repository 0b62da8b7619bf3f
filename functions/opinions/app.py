"""The opinion board (后勤意见): anonymous posts, public staff replies, the complaint workflow.

Public (no sign-in): POST /opinions, GET /public/opinions[/{opinion_id}]; the public never
sees a poster's contact. Staff (signed in): GET /opinions (``?assigned=me``: a quality monitor's
own complaints), GET /opinions/{id} (with its trail and the caller's allowed actions; a monitor
only theirs),
POST /opinions/{id}/replies and POST /opinions/{id}/transitions; a change may carry
``If-Match: <version>`` so an edit made on a stale copy is refused with 409.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from houqin.api import create_app, if_match, json_response, principal
from houqin.clock import Clock, to_iso
from houqin.domain import opinions as rules
from houqin.domain.actors import Actor
from houqin.errors import Conflict, ValidationError
from houqin.store import opinions as store
from houqin.store.opinions import Opinion, OpinionLog, Reply
from houqin.store.paging import page_limit
from houqin.system_clock import SystemClock
from houqin.validation import Body, query_choice

app = create_app("houqin-opinions")
clock: Clock = SystemClock()  # tests pin it

MAX_ID = 64


@app.route("/opinions", methods=["POST"])
def post_opinion():
    body = Body.parse(app.current_request.raw_body, ("type", "text", "contact", "category"))
    opinion_type = body.text("type", choices=rules.TYPES)
    text = body.text("text", max_length=rules.MAX_TEXT)
    contact = body.text("contact", required=False, max_length=rules.MAX_CONTACT)
    category = body.text("category", required=False, choices=rules.CATEGORIES)
    rules.check_category(opinion_type, category)
    now = clock.now()
    try:  # counted after validation: a typo does not use up the client's posts
        store.take_rate_slot(rules.client_key(_source_ip()), rules.rate_window(now), now)
    except rules.RateLimited as exc:
        return json_response(exc.body(), exc.status, {"Retry-After": str(exc.retry_after)})
    at = to_iso(now)
    opinion = Opinion.make(store.new_opinion_id(now), at, type=opinion_type, category=category, text=text,
                           contact=contact, state=rules.initial_state(opinion_type))
    log = OpinionLog.make(opinion.opinion_id, store.next_seq(opinion), action="posted", to_state=opinion.state,
                          at=at)
    store.create(opinion, log)
    return json_response(public_view(opinion), 201)


@app.route("/public/opinions", methods=["GET"])
def public_board():
    params = app.current_request.query_params or {}
    page = store.board(limit=page_limit(params), cursor=params.get("cursor"))
    return json_response(page.body(public_view))


@app.route("/public/opinions/{opinion_id}", methods=["GET"])
def public_opinion(opinion_id: str):
    return json_response(public_view(_get(opinion_id)))


@app.route("/opinions", methods=["GET"])
def staff_list():
    params = app.current_request.query_params or {}
    monitor_id = rules.list_scope(principal(app).actor(), params.get("assigned"))
    state = query_choice(params, "state", rules.STATES)
    opinion_type = query_choice(params, "type", rules.TYPES)
    limit, cursor = page_limit(params), params.get("cursor")
    if monitor_id:
        page = store.assigned_to(monitor_id, limit=limit, cursor=cursor, state=state, opinion_type=opinion_type)
    elif state:
        page = store.by_state(state, limit=limit, cursor=cursor, opinion_type=opinion_type)
    else:
        page = store.board(limit=limit, cursor=cursor, opinion_type=opinion_type)
    return json_response(page.body(staff_view))


@app.route("/opinions/{opinion_id}", methods=["GET"])
def staff_opinion(opinion_id: str):
    caller = principal(app).actor()
    opinion = _get(opinion_id)
    rules.require_reader(caller, opinion.opinion_id, opinion.monitor_id)
    return json_response(staff_view(opinion, history=True, caller=caller))


@app.route("/opinions/{opinion_id}/replies", methods=["POST"])
def reply(opinion_id: str):
    caller = principal(app).actor()
    caller.require(*rules.REPLY_ROLES)
    text = Body.parse(app.current_request.raw_body, ("text",)).text("text", max_length=rules.MAX_REPLY)
    opinion = _get(opinion_id)
    _check_version(opinion)
    rules.check_reply(opinion.state, len(opinion.replies))
    at = to_iso(clock.now())
    name = _signature(caller)
    previous = opinion.state
    opinion.replies = [*opinion.replies, Reply(text=text, by_id=caller.person_id, by_name=name, at=at)]
    opinion.state = rules.state_after_reply(opinion.type, previous)
    opinion.updated_at = at
    log = OpinionLog.make(opinion_id, store.next_seq(opinion), action="reply", from_state=previous,
                          to_state=opinion.state, at=at, by_id=caller.person_id, by_name=name, text=text)
    store.record(opinion, log, previous)
    return json_response(staff_view(opinion, history=True, caller=caller), 201)


@app.route("/opinions/{opinion_id}/transitions", methods=["POST"])
def transition(opinion_id: str):
    caller = principal(app).actor()
    body = Body.parse(app.current_request.raw_body, ("action", "monitor_id", "department_id", "note"))
    action = body.text("action", choices=rules.ACTIONS)
    needed = rules.required_field(action)
    for field in ("monitor_id", "department_id"):
        if field != needed and body.data.get(field) is not None:
            raise ValidationError(f"{field} is not used by {action}", field=field)
    monitor_id = body.text("monitor_id", required=needed == "monitor_id", max_length=MAX_ID)
    department_id = body.text("department_id", required=needed == "department_id", max_length=MAX_ID)
    note = body.text("note", required=needed == "note", max_length=rules.MAX_NOTE)
    opinion = _get(opinion_id)
    rules.require_workflow_actor(action, caller, opinion.monitor_id)
    _check_version(opinion)
    target = rules.next_state(opinion.type, opinion.state, action)
    if monitor_id:
        opinion.monitor_id, opinion.monitor_name = monitor_id, _named(store.staff_name, monitor_id, "monitor_id")
    if department_id:
        opinion.department_id = department_id
        opinion.department_name = _named(store.department_name, department_id, "department_id")
    at = to_iso(clock.now())
    previous, opinion.state, opinion.updated_at = opinion.state, target, at
    log = OpinionLog.make(opinion_id, store.next_seq(opinion), action=action, from_state=previous, to_state=target,
                          at=at, by_id=caller.person_id, by_name=_signature(caller), text=note,
                          monitor_id=monitor_id, department_id=department_id)
    store.record(opinion, log, previous)
    return json_response(staff_view(opinion, history=True, caller=caller))


# ---------------------------------------------------------------- helpers
def public_view(opinion: Opinion) -> dict[str, Any]:
    """What anyone may read: no contact, no staff ids; replies are signed with the replier's name."""
    return {
        "opinion_id": opinion.opinion_id, "type": opinion.type, "category": opinion.category, "text": opinion.text,
        "state": opinion.state, "created_at": opinion.created_at,
        "replies": [{"text": r.text, "by_name": r.by_name, "at": r.at} for r in opinion.replies],
    }


def staff_view(opinion: Opinion, history: bool = False, caller: Actor | None = None) -> dict[str, Any]:
    """The staff list's item; with ``history`` its audit trail, with ``caller`` what they may do to it now."""
    view = {
        **public_view(opinion),
        "contact": opinion.contact, "channel": opinion.channel, "updated_at": opinion.updated_at,
        "monitor_id": opinion.monitor_id, "monitor_name": opinion.monitor_name,
        "department_id": opinion.department_id, "department_name": opinion.department_name,
        "replies": [{"text": r.text, "by_id": r.by_id, "by_name": r.by_name, "at": r.at} for r in opinion.replies],
        "version": int(opinion.version),
    }
    if history:
        view["history"] = [line.as_dict() for line in store.audit_trail(opinion.opinion_id)]
    if caller is not None:
        view["actions"] = rules.allowed_actions(caller, opinion.type, opinion.state, opinion.monitor_id,
                                                len(opinion.replies))
    return view


def _get(opinion_id: str) -> Opinion:
    if len(opinion_id) > MAX_ID:
        raise ValidationError(f"opinion_id is longer than {MAX_ID} characters", field="opinion_id")
    return store.get(opinion_id)


def _check_version(opinion: Opinion) -> None:
    expected = if_match(app)
    if expected is not None and expected != int(opinion.version):
        raise Conflict(f"opinion {opinion.opinion_id} is at version {int(opinion.version)}, not {expected}: "
                       "reload it and try again", code="version_conflict", field="version")


def _signature(caller: Actor) -> str | None:
    """The name a staff action is signed with: the staff record's (authoritative), else the token's."""
    return store.staff_name(caller.person_id) or caller.name or None


def _named(lookup: Callable[[str], str | None], ident: str, field: str) -> str:
    name = lookup(ident)
    if name is None:
        raise ValidationError(f"{field} {ident!r} does not exist", field=field)
    return name


def _source_ip() -> str | None:
    return (app.current_request.context.get("identity") or {}).get("sourceIp")
