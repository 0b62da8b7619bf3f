"""Repair tickets (物业维修平台): HTTP glue over houqin.services.tickets, and the hourly auto-confirm check.

Every route here is declared in template.yaml (TicketsFunction) with the same path and method.
Writes answer the ticket with its ``version`` and an ``ETag``; send ``If-Match: <version>`` to
refuse a change when the ticket moved on since you read it (409).
"""

from __future__ import annotations

from typing import Any

from houqin.api import SIGNED_IN, create_app, if_match, json_response, principal
from houqin.contract import Paging, Period
from houqin.domain.actors import Role
from houqin.observability import logger, tracer
from houqin.services.tickets import (
    CREATORS,
    SEE_ALL,
    BoardQuery,
    Fee,
    Intake,
    PhotoUpload,
    QueueQuery,
    Rating,
    RoutingRuleInput,
    SlaRuleInput,
    Tickets,
    Transition,
)
from houqin.settings import settings

app = create_app("houqin-tickets")
service = Tickets()  # tests swap this one instance (a pinned clock, fakes); it makes no client until used

TEAM_VIEWERS = (Role.WORKER, Role.DISPATCHER, Role.LEADER, Role.ADMIN)


def _ticket(ticket: Any, version: int, status: int = 200) -> Any:
    return json_response(service.view(ticket, version), status, {"ETag": f'"{version}"'})


def _list(fetch: Any, query: Paging, *args: Any) -> Any:
    return json_response(service.summaries(fetch(principal(app), *args, query.limit, query.cursor)))


# ---------------------------------------------------------------- tickets
@app.route("/tickets", methods=["POST"], roles=CREATORS, body=Intake, status=201)
def create_ticket(body: Intake):
    """Report a repair (the duty desk: a phone call, ``channel: phone``)."""
    ticket, version = service.create(principal(app), body)
    return _ticket(ticket, version, 201)


@app.route("/tickets/mine", methods=["GET"], roles=SIGNED_IN, query=Paging)
def my_tickets(query: Paging):
    """The tickets the caller reported, newest first."""
    return _list(service.my_tickets, query)


@app.route("/tickets/jobs", methods=["GET"], roles=(Role.WORKER,), query=Paging)
def my_jobs(query: Paging):
    """The jobs dispatched to the calling worker."""
    return _list(service.my_jobs, query)


@app.route("/tickets/open", methods=["GET"], roles=SEE_ALL, query=Paging)
def open_tickets(query: Paging):
    """Every open ticket, nearest deadline first (the duty desk's board)."""
    return _list(service.open_tickets, query)


@app.route("/tickets/{ticket_id}", methods=["GET"], roles=SIGNED_IN)
def get_ticket(ticket_id: str):
    """A ticket the caller may see, with its trail and photo links; 404 for one they may not."""
    view, version = service.detail(principal(app), ticket_id)
    return json_response(view, 200, {"ETag": f'"{version}"'})


@app.route("/tickets/{ticket_id}/transitions", methods=["POST"], roles=SIGNED_IN, body=Transition)
def transition_ticket(ticket_id: str, body: Transition):
    """Move a ticket on (dispatch, accept, start, hold, complete ...) as the caller's part allows."""
    ticket, version = service.transition(principal(app), ticket_id, body, if_match(app))
    return _ticket(ticket, version)


@app.route("/tickets/{ticket_id}/fee", methods=["PUT"], roles=SIGNED_IN, body=Fee)
def set_ticket_fee(ticket_id: str, body: Fee):
    """The fee lines of a job: the worker on it or the duty desk."""
    ticket, version = service.set_fee(principal(app), ticket_id, body, if_match(app))
    return _ticket(ticket, version)


@app.route("/tickets/{ticket_id}/rating", methods=["POST"], roles=SIGNED_IN, body=Rating)
def rate_ticket(ticket_id: str, body: Rating):
    """The requester rates a completed job; a low score reopens it for rework."""
    ticket, version = service.rate(principal(app), ticket_id, body, if_match(app))
    return _ticket(ticket, version)


@app.route("/tickets/{ticket_id}/photos", methods=["POST"], roles=SIGNED_IN, body=PhotoUpload, status=201)
def add_ticket_photo(ticket_id: str, body: PhotoUpload):
    """An upload form for one photo (the requester, the worker on the job or the duty desk)."""
    return json_response(service.add_photo(principal(app), ticket_id, body), 201)


# ---------------------------------------------------------------- repair points
@app.route("/teams", methods=["GET"], roles=TEAM_VIEWERS)
def list_teams():
    """The repair points."""
    return json_response({"items": service.teams(principal(app))})


@app.route("/teams/{team_id}/tickets", methods=["GET"], roles=TEAM_VIEWERS, query=QueueQuery)
def team_queue(team_id: str, query: QueueQuery):
    """A repair point's queue: its own workers, the duty desk and leaders."""
    return _list(service.team_queue, query, team_id, query.state)


@app.route("/kpis/teams/{team_id}", methods=["GET"], roles=TEAM_VIEWERS, query=Period)
def team_kpis(team_id: str, query: Period):
    """A repair point's figures over a period (response time, rework, satisfaction ...)."""
    return json_response(service.kpis(principal(app), "team", team_id, query.start, query.end))


@app.route("/kpis/workers/{staff_id}", methods=["GET"], roles=SIGNED_IN, query=Period)
def worker_kpis(staff_id: str, query: Period):
    """A worker's figures over a period: the worker themself, their team, the duty desk and leaders."""
    return json_response(service.kpis(principal(app), "worker", staff_id, query.start, query.end))


# ---------------------------------------------------------------- public supervision board (no login)
@app.route("/public/tickets", methods=["GET"], query=BoardQuery)
def public_board(query: BoardQuery):
    """The public supervision board: a month's tickets without personal data."""
    return json_response(service.public_board(query.month, query.limit, query.cursor))


# ---------------------------------------------------------------- rules admins edit
@app.route("/routing-rules", methods=["GET"], roles=(Role.ADMIN, Role.DISPATCHER, Role.LEADER))
def list_routing_rules():
    """Which repair point gets which category on which campus or building."""
    return json_response({"items": service.routing_rules(principal(app))})


@app.route("/routing-rules/{rule_id}", methods=["PUT"], roles=(Role.ADMIN,), body=RoutingRuleInput)
def put_routing_rule(rule_id: str, body: RoutingRuleInput):
    """Set a routing rule: ``category.campus`` or ``category.campus.building``."""
    return json_response(service.put_routing_rule(principal(app), rule_id, body))


@app.route("/routing-rules/{rule_id}", methods=["DELETE"], roles=(Role.ADMIN,), status=204)
def delete_routing_rule(rule_id: str):
    """Remove a routing rule."""
    service.delete_routing_rule(principal(app), rule_id)
    return json_response(None, 204)


@app.route("/sla-rules", methods=["GET"], roles=SIGNED_IN)
def list_sla_rules():
    """The repair categories and the minutes to answer each."""
    return json_response({"items": service.sla_rules()})


@app.route("/sla-rules/{category}", methods=["PUT"], roles=(Role.ADMIN,), body=SlaRuleInput)
def put_sla_rule(category: str, body: SlaRuleInput):
    """Set a category's answer times (a new category needs a name)."""
    return json_response(service.put_sla_rule(principal(app), category, body))


# ---------------------------------------------------------------- schedule (TicketsScheduleFunction)
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def auto_confirm(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Hourly: tickets completed AUTO_CONFIRM_AFTER_DAYS ago and still unrated are confirmed."""
    result = service.auto_confirm(settings().auto_confirm_after)
    logger.info("auto-confirm", extra=result)
    return result
