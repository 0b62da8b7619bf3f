"""Alarms by permission (list, detail, acknowledge, resolve), notifications sent, night rolls and zero reports.

Every route here is declared in template.yaml (AlarmsApiFunction) with the same path and method.
"""

from __future__ import annotations

from datetime import date

from houqin.api import create_app, json_response, principal
from houqin.clock import local_day
from houqin.domain.actors import Role
from houqin.services import alarms, rolls
from houqin.services.alarms import AlarmQuery, Alarms, NotificationsQuery, Resolution
from houqin.services.rolls import NightOf, Rolls, ZeroReportQuery
from houqin.settings import settings

app = create_app("houqin-alarms")
service = Alarms()  # tests swap this one instance (a pinned clock); it makes no client until used
roll_service = Rolls()  # rolls and zero reports (its "today" and "now" come from service's clock)


def _today() -> date:
    return local_day(service.clock.now(), settings().tz)


# ---------------------------------------------------------------- alarms
@app.route("/alarms", methods=["GET"], roles=alarms.READERS, query=AlarmQuery)
def list_alarms(query: AlarmQuery):
    """Alarms newest first: every one for the duty desk and leaders, the rest those of their own places."""
    page = service.list_alarms(principal(app), query.state, query.building_id, query.check, query.limit,
                               query.cursor)
    return json_response(page.body(lambda item: item.view()))


@app.route("/alarms/{alarm_id}", methods=["GET"], roles=alarms.READERS)
def get_alarm(alarm_id: str):
    """An alarm the caller may see, with its trail and the notifications sent; 404 for one they may not."""
    return json_response(service.detail(principal(app), alarm_id))


@app.route("/alarms/{alarm_id}/acknowledge", methods=["POST"], roles=alarms.ON_DUTY)
def acknowledge(alarm_id: str):
    """Take an alarm on (those on duty; leaders only look): its escalation stops."""
    return json_response(service.acknowledge(principal(app), alarm_id))


@app.route("/alarms/{alarm_id}/resolve", methods=["POST"], roles=alarms.ON_DUTY, body=Resolution)
def resolve(alarm_id: str, body: Resolution):
    """Close an alarm with a note of what was found and done (those on duty)."""
    return json_response(service.resolve(principal(app), alarm_id, body.note))


@app.route("/notifications", methods=["GET"], roles=alarms.SEE_ALL, query=NotificationsQuery)
def notifications(query: NotificationsQuery):
    """The notifications sent on a day (the duty desk, leaders, admins)."""
    day = query.day or _today()
    page = service.notifications(principal(app), day, query.limit, query.cursor)
    return json_response({"date": day.isoformat(), **page.body(lambda item: item.view())})


# ---------------------------------------------------------------- night rolls and zero reports
@app.route("/buildings/{building_id}/rolls/{night}", methods=["GET"], roles=rolls.READERS, params=NightOf)
def night_roll(building_id: str, night: date):
    """A building's curfew and morning rolls of a night and its zero report (its managers, the desk, leaders)."""
    rolls.check_night(night, _today())
    return json_response(roll_service.night(principal(app), building_id, night))


@app.route("/zero-reports", methods=["GET"], roles=rolls.READERS, query=ZeroReportQuery)
def zero_reports(query: ZeroReportQuery):
    """Zero reports newest first: a building's, a manager's own, or every unsigned one for leaders."""
    page = roll_service.reports(principal(app), query.building_id, query.limit, query.cursor)
    return json_response(page.body(lambda item: item.view()))


@app.route("/buildings/{building_id}/zero-reports/{night}/sign", methods=["POST"], roles=(Role.DORM_MANAGER,),
           params=NightOf)
def sign_zero_report(building_id: str, night: date):
    """The building's dorm manager signs the night's zero report off, once."""
    rolls.check_night(night, _today())
    return json_response(roll_service.sign(principal(app), building_id, night, service.clock.now()))
