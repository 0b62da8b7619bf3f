"""Repair tickets (物业维修平台): HTTP glue over houqin.services.tickets, and the hourly auto-confirm check.

Every route here is declared in template.yaml (TicketsFunction) with the same path and method.
Writes answer the ticket with its ``version`` and an ``ETag``; send ``If-Match: <version>`` to
refuse a change when the ticket moved on since you read it (409).
"""

from __future__ import annotations

from typing import Any

from houqin.api import create_app, if_match, json_response, principal
from houqin.domain.tickets import QUEUE_STATES
from houqin.observability import logger, tracer
from houqin.services.tickets import INTAKE_FIELDS, Tickets
from houqin.settings import settings
from houqin.validation import page_limit, query_choice, query_date

app = create_app("houqin-tickets")
service = Tickets()  # tests swap this one instance (a pinned clock, fakes); it makes no client until used


def _ticket(ticket: Any, version: int, status: int = 200) -> Any:
    return json_response(service.view(ticket, version), status, {"ETag": f'"{version}"'})


def _list(fetch: Any, *args: Any) -> Any:
    params = app.params()
    return json_response(service.summaries(fetch(principal(app), *args, page_limit(params), params.get("cursor"))))


# ---------------------------------------------------------------- tickets
@app.route("/tickets", methods=["POST"])
def create_ticket():
    ticket, version = service.create(principal(app), app.body(INTAKE_FIELDS))
    return _ticket(ticket, version, 201)


@app.route("/tickets/mine", methods=["GET"])
def my_tickets():
    return _list(service.my_tickets)


@app.route("/tickets/jobs", methods=["GET"])
def my_jobs():
    return _list(service.my_jobs)


@app.route("/tickets/open", methods=["GET"])
def open_tickets():
    return _list(service.open_tickets)


@app.route("/tickets/{ticket_id}", methods=["GET"])
def get_ticket(ticket_id: str):
    view, version = service.detail(principal(app), ticket_id)
    return json_response(view, 200, {"ETag": f'"{version}"'})


@app.route("/tickets/{ticket_id}/transitions", methods=["POST"])
def transition_ticket(ticket_id: str):
    return _change(service.transition, ticket_id, ("action", "reason", "team_id", "worker_id", "lines"))


@app.route("/tickets/{ticket_id}/fee", methods=["PUT"])
def set_ticket_fee(ticket_id: str):
    return _change(service.set_fee, ticket_id, ("lines",))


@app.route("/tickets/{ticket_id}/rating", methods=["POST"])
def rate_ticket(ticket_id: str):
    return _change(service.rate, ticket_id, ("attitude", "speed", "quality", "price", "comment"))


def _change(change: Any, ticket_id: str, fields: tuple[str, ...]) -> Any:
    """A write to one ticket: the caller, the body with only ``fields``, the version they read."""
    ticket, version = change(principal(app), ticket_id, app.body(fields), if_match(app))
    return _ticket(ticket, version)


@app.route("/tickets/{ticket_id}/photos", methods=["POST"])
def add_ticket_photo(ticket_id: str):
    return json_response(service.add_photo(principal(app), ticket_id, app.body(("content_type", "size_bytes"))), 201)


# ---------------------------------------------------------------- repair points
@app.route("/teams", methods=["GET"])
def list_teams():
    return json_response({"items": service.teams(principal(app))})


@app.route("/teams/{team_id}/tickets", methods=["GET"])
def team_queue(team_id: str):
    return _list(service.team_queue, team_id, query_choice(app.params(), "state", QUEUE_STATES))


@app.route("/kpis/teams/{team_id}", methods=["GET"])
def team_kpis(team_id: str):
    return _kpis("team", team_id)


@app.route("/kpis/workers/{staff_id}", methods=["GET"])
def worker_kpis(staff_id: str):
    return _kpis("worker", staff_id)


def _kpis(owner: str, owner_id: str) -> Any:
    params = app.params()
    start, end = query_date(params, "from"), query_date(params, "to")
    return json_response(service.kpis(principal(app), owner, owner_id, start, end))


# ---------------------------------------------------------------- public supervision board (no login)
@app.route("/public/tickets", methods=["GET"])
def public_board():
    params = app.params()
    return json_response(service.public_board(params.get("month"), page_limit(params), params.get("cursor")))


# ---------------------------------------------------------------- rules admins edit
@app.route("/routing-rules", methods=["GET"])
def list_routing_rules():
    return json_response({"items": service.routing_rules(principal(app))})


@app.route("/routing-rules/{rule_id}", methods=["PUT"])
def put_routing_rule(rule_id: str):
    return json_response(service.put_routing_rule(principal(app), rule_id, app.body(("team_id",))))


@app.route("/routing-rules/{rule_id}", methods=["DELETE"])
def delete_routing_rule(rule_id: str):
    service.delete_routing_rule(principal(app), rule_id)
    return json_response(None, 204)


@app.route("/sla-rules", methods=["GET"])
def list_sla_rules():
    principal(app)  # signed in
    return json_response({"items": service.sla_rules()})


@app.route("/sla-rules/{category}", methods=["PUT"])
def put_sla_rule(category: str):
    body = app.body(("name", "minor_minutes", "major_minutes"))
    return json_response(service.put_sla_rule(principal(app), category, body))


# ---------------------------------------------------------------- schedule (TicketsScheduleFunction)
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def auto_confirm(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Hourly: tickets completed AUTO_CONFIRM_AFTER_DAYS ago and still unrated are confirmed."""
    result = service.auto_confirm(settings().auto_confirm_after)
    logger.info("auto-confirm", extra=result)
    return result
