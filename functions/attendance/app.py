"""Attendance (考勤) and daily work logs (日志考核): HTTP glue over houqin.services.attendance.

Every route here is declared in template.yaml (AttendanceFunction) with the same path and method.
- POST /attendance/punches: a fingerprint terminal (role device) posts {"punches": [{staff_id, seq, at}]}
  (1 to 500); answered {"stored", "duplicates", "rejected": [{index, field, reason, code}]}.
- GET /staff/{staff_id}/attendance (month=YYYY-MM, default this month): the days up to today and the
  month's summary, for the staff member, their manager, finance, leaders and admins.
- POST /staff/{staff_id}/attendance/{day}/correction ({status, reason}): their manager only.
- GET /staff/{staff_id}/worklogs (month=YYYY-MM): the logs, the month's score and needs_talk.
- PUT /staff/{staff_id}/worklogs/{day} ({plan?, completion?}): the support staff member themselves;
  the completion before WORKLOG_DEADLINE (local "HH:MM") of that day.
- POST /staff/{staff_id}/worklogs/{day}/grade ({grade: A|B|C|D}): their manager only.
A staff member the caller may not see is a 404; seen but not theirs to change is a 403; a write that
lost a race, a graded log or a passed deadline is a 409.
"""

from __future__ import annotations

import os
from datetime import time

from houqin.api import create_app, json_response, principal
from houqin.clock import Clock, SystemClock
from houqin.services import attendance as service
from houqin.validation import Body

app = create_app("houqin-attendance")
clock: Clock = SystemClock()  # tests pin it


def _month() -> str | None:
    return (app.current_request.query_params or {}).get("month")


def _body(allowed: tuple[str, ...]) -> Body:
    return Body.parse(app.current_request.raw_body, allowed)


def _deadline() -> time:
    return service.worklog_deadline(os.environ.get("WORKLOG_DEADLINE", service.DEFAULT_DEADLINE))


@app.route("/attendance/punches", methods=["POST"])
def post_punches():
    return json_response(service.record_punches(principal(app), app.current_request.raw_body, clock.now()))


@app.route("/staff/{staff_id}/attendance", methods=["GET"])
def get_attendance(staff_id: str):
    return json_response(service.attendance(principal(app), staff_id, _month(), clock.now()))


@app.route("/staff/{staff_id}/attendance/{day}/correction", methods=["POST"])
def correct_attendance(staff_id: str, day: str):
    who = principal(app)
    return json_response(service.correct(who, staff_id, day, _body(service.CORRECTION_FIELDS), clock.now()))


@app.route("/staff/{staff_id}/worklogs", methods=["GET"])
def list_work_logs(staff_id: str):
    return json_response(service.work_logs(principal(app), staff_id, _month(), clock.now(), _deadline()))


@app.route("/staff/{staff_id}/worklogs/{day}", methods=["PUT"])
def write_work_log(staff_id: str, day: str):
    who = principal(app)
    body = _body(service.WORKLOG_FIELDS)
    return json_response(service.write_log(who, staff_id, day, body, clock.now(), _deadline()))


@app.route("/staff/{staff_id}/worklogs/{day}/grade", methods=["POST"])
def grade_work_log(staff_id: str, day: str):
    who = principal(app)
    body = _body(service.GRADE_FIELDS)
    return json_response(service.grade(who, staff_id, day, body, clock.now(), _deadline()))
