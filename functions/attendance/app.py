"""Attendance (考勤) and daily work logs (日志考核): HTTP glue over houqin.services.attendance.

Every route here is declared in template.yaml (AttendanceFunction) with the same path and method.
- POST /attendance/punches: a registered fingerprint terminal (role device) posts {"punches": [{staff_id, seq,
  at}]} (1 to 500); answered {"stored", "duplicates", "rejected": [{index, field, reason, code}]}; punches of
  staff outside its departments, older than PUNCH_MAX_AGE_DAYS or in a locked month are refused and kept.
- GET /attendance/terminals, PUT /attendance/terminals/{device_id} ({name, departments}): administrators.
- GET /attendance/rejected (date=YYYY-MM-DD, default today; device=): the refused punches, administrators.
- GET /staff/{staff_id}/attendance (month=YYYY-MM, default this month): the days up to today and the
  month's summary, for the staff member, their manager, finance, leaders and admins.
- POST /staff/{staff_id}/attendance/{day}/correction ({status, reason}): their manager only.
- GET /staff/{staff_id}/worklogs (month=YYYY-MM): the logs, the month's score and needs_talk.
- PUT /staff/{staff_id}/worklogs/{day} ({plan?, completion?}): the support staff member themselves;
  the completion before WORKLOG_DEADLINE (local "HH:MM") of that day.
- POST /staff/{staff_id}/worklogs/{day}/grade ({grade: A|B|C|D, comment?}): their manager only.
- GET /managers/{manager_id}/team (month=): each member's month; GET /managers/{manager_id}/worklogs/waiting:
  the team's logs waiting for a grade, oldest first. The manager themselves, finance, leaders and admins.
A staff member the caller may not see is a 404; seen but not theirs to change is a 403; a write that
lost a race, a graded log or a passed deadline is a 409.
"""

from __future__ import annotations

from houqin.api import create_app, json_response, principal
from houqin.services import attendance
from houqin.services.attendance import Attendance

app = create_app("houqin-attendance")
service = Attendance()  # production ports, connected on first use; tests give it theirs


def _month() -> str | None:
    return app.params().get("month")


@app.route("/attendance/punches", methods=["POST"])
def post_punches():
    return json_response(service.record_punches(principal(app), app.current_request.raw_body))


@app.route("/attendance/terminals", methods=["GET"])
def list_terminals():
    return json_response(service.terminals(principal(app)))


@app.route("/attendance/terminals/{device_id}", methods=["PUT"])
def register_terminal(device_id: str):
    who = principal(app)
    return json_response(service.register_terminal(who, device_id, app.body(attendance.TERMINAL_FIELDS)))


@app.route("/attendance/rejected", methods=["GET"])
def rejected_punches():
    return json_response(service.rejected_punches(principal(app), app.params()))


@app.route("/managers/{manager_id}/team", methods=["GET"])
def team_month(manager_id: str):
    return json_response(service.team_month(principal(app), manager_id, _month()))


@app.route("/managers/{manager_id}/worklogs/waiting", methods=["GET"])
def waiting_logs(manager_id: str):
    return json_response(service.waiting_logs(principal(app), manager_id, app.params()))


@app.route("/staff/{staff_id}/attendance", methods=["GET"])
def get_attendance(staff_id: str):
    return json_response(service.staff_month(principal(app), staff_id, _month()))


@app.route("/staff/{staff_id}/attendance/{day}/correction", methods=["POST"])
def correct_attendance(staff_id: str, day: str):
    who = principal(app)
    return json_response(service.correct(who, staff_id, day, app.body(attendance.CORRECTION_FIELDS)))


@app.route("/staff/{staff_id}/worklogs", methods=["GET"])
def list_work_logs(staff_id: str):
    return json_response(service.work_logs(principal(app), staff_id, _month()))


@app.route("/staff/{staff_id}/worklogs/{day}", methods=["PUT"])
def write_work_log(staff_id: str, day: str):
    who = principal(app)
    return json_response(service.write_log(who, staff_id, day, app.body(attendance.WORKLOG_FIELDS)))


@app.route("/staff/{staff_id}/worklogs/{day}/grade", methods=["POST"])
def grade_work_log(staff_id: str, day: str):
    who = principal(app)
    return json_response(service.grade(who, staff_id, day, app.body(attendance.GRADE_FIELDS)))
