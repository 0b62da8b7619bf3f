"""Alarms by permission (list, detail, acknowledge, resolve), notifications sent, night rolls and zero reports.

Every route here is declared in template.yaml (AlarmsApiFunction) with the same path and method.
"""

from __future__ import annotations

from datetime import date

from houqin.api import create_app, json_response, principal
from houqin.clock import local_day
from houqin.services import rolls
from houqin.services.alarms import Alarms, parse_state
from houqin.services.rolls import Rolls
from houqin.settings import settings
from houqin.validation import page_limit, query_date, query_text

app = create_app("houqin-alarms")
service = Alarms()  # tests swap this one instance (a pinned clock); it makes no client until used
roll_service = Rolls()  # rolls and zero reports (its "today" and "now" come from service's clock)


def _today() -> date:
    return local_day(service.clock.now(), settings().tz)


def _optional(name: str, pattern: str = r"[A-Za-z0-9_-]{1,40}") -> str | None:
    return query_text(app.params(), name, pattern) if name in app.params() else None


@app.route("/alarms", methods=["GET"])
def list_alarms():
    params = app.params()
    page = service.list_alarms(principal(app), parse_state(params.get("state")), _optional("building_id"),
                               _optional("check"), page_limit(params), params.get("cursor"))
    return json_response(page.body(lambda item: item.view()))


@app.route("/alarms/{alarm_id}", methods=["GET"])
def get_alarm(alarm_id: str):
    return json_response(service.detail(principal(app), alarm_id))


@app.route("/alarms/{alarm_id}/acknowledge", methods=["POST"])
def acknowledge(alarm_id: str):
    return json_response(service.acknowledge(principal(app), alarm_id))


@app.route("/alarms/{alarm_id}/resolve", methods=["POST"])
def resolve(alarm_id: str):
    body = app.body(("note",))
    return json_response(service.resolve(principal(app), alarm_id, body.text("note", max_length=500)))


@app.route("/notifications", methods=["GET"])
def notifications():
    params = app.params()
    day = query_date(params, "date") if "date" in params else _today()
    page = service.notifications(principal(app), day, page_limit(params), params.get("cursor"))
    return json_response({"date": day.isoformat(), **page.body(lambda item: item.view())})


@app.route("/buildings/{building_id}/rolls/{night}", methods=["GET"])
def night_roll(building_id: str, night: str):
    night_of = rolls.night_date(night, _today())
    return json_response(roll_service.night(principal(app), building_id, night_of))


@app.route("/zero-reports", methods=["GET"])
def zero_reports():
    params = app.params()
    page = roll_service.reports(principal(app), _optional("building_id"), page_limit(params), params.get("cursor"))
    return json_response(page.body(lambda item: item.view()))


@app.route("/buildings/{building_id}/zero-reports/{night}/sign", methods=["POST"])
def sign_zero_report(building_id: str, night: str):
    night_of = rolls.night_date(night, _today())
    return json_response(roll_service.sign(principal(app), building_id, night_of, service.clock.now()))
