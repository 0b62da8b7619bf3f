"""Attendance (考勤) and daily work logs (日志考核): HTTP glue over houqin.services.attendance.

Every route here is declared in template.yaml (AttendanceFunction) with the same path and method.
- POST /attendance/punches: a registered fingerprint terminal (role device) posts {"punches": [{staff_id, seq,
  at}]} (1 to 500); answered {"stored", "duplicates", "rejected": [{index, field, reason, code}]}; punches of
  staff outside its departments, older than PUNCH_MAX_AGE_DAYS or in a locked month are refused and kept.
- GET /attendance/terminals, PUT /attendance/terminals/{device_id} ({name, departments}): administrators.
- GET /attendance/rejected (date=YYYY-MM-DD, default today; device=; limit, cursor): the refused punches,
  administrators.
- GET /staff/{staff_id}/attendance (month=YYYY-MM, default this month): the days up to today and the
  month's summary, for the staff member, their manager, finance, leaders and admins.
- POST /staff/{staff_id}/attendance/{day}/correction ({status, reason}): their manager only.
- GET /staff/{staff_id}/worklogs (month=YYYY-MM): the logs, the month's score and needs_talk.
- PUT /staff/{staff_id}/worklogs/{day} ({plan?, completion?}): the support staff member themselves;
  the completion before WORKLOG_DEADLINE (local "HH:MM") of that day.
- POST /staff/{staff_id}/worklogs/{day}/grade ({grade: A|B|C|D, comment?}): their manager only.
- GET /managers/{manager_id}/team (month=): each member's month; GET /managers/{manager_id}/worklogs/waiting
  (limit, cursor): the team's logs waiting for a grade, oldest first. The manager themselves, finance, leaders
  and admins.
Each route declares its inputs (houqin.contract: the classes in houqin.services.attendance) and the roles that
may call it (403 for any other). A staff member or team the caller may not see is a 404; seen but not theirs
to change is a 403; a write that lost a race, a graded log or a passed deadline is a 409.
"""

from __future__ import annotations

from datetime import date

from houqin.api import create_app, json_response, principal
from houqin.contract import Paging
from houqin.domain.actors import STAFF_ROLES, Role
from houqin.services.attendance import (
    SEE_ALL,
    Attendance,
    DayCorrection,
    Grading,
    LogEntry,
    MonthQuery,
    PunchBatch,
    RejectedQuery,
    StaffDay,
    TerminalBinding,
)

app = create_app("houqin-attendance")
service = Attendance()  # production ports, connected on first use; tests give it theirs

TEAM_VIEWERS = (Role.MANAGER, *SEE_ALL)


# ---------------------------------------------------------------- terminals
@app.route("/attendance/punches", methods=["POST"], roles=(Role.DEVICE,), body=PunchBatch)
def post_punches(body: PunchBatch):
    """A registered fingerprint terminal posts its punches: each is stored, a duplicate or refused (and kept)."""
    return json_response(service.record_punches(principal(app), body))


@app.route("/attendance/terminals", methods=["GET"], roles=(Role.ADMIN,))
def list_terminals():
    """The registered terminals and the departments each serves (administrators)."""
    return json_response(service.terminals(principal(app)))


@app.route("/attendance/terminals/{device_id}", methods=["PUT"], roles=(Role.ADMIN,), body=TerminalBinding)
def register_terminal(device_id: str, body: TerminalBinding):
    """Register a terminal to its departments, or bind it anew (administrators)."""
    return json_response(service.register_terminal(principal(app), device_id, body))


@app.route("/attendance/rejected", methods=["GET"], roles=(Role.ADMIN,), query=RejectedQuery)
def rejected_punches(query: RejectedQuery):
    """The punches refused on a day, with the reasons (administrators)."""
    return json_response(service.rejected_punches(principal(app), query))


# ---------------------------------------------------------------- a manager's team
@app.route("/managers/{manager_id}/team", methods=["GET"], roles=TEAM_VIEWERS, query=MonthQuery)
def team_month(manager_id: str, query: MonthQuery):
    """Each team member's month: the manager themselves, finance, leaders and admins."""
    return json_response(service.team_month(principal(app), manager_id, query.month))


@app.route("/managers/{manager_id}/worklogs/waiting", methods=["GET"], roles=TEAM_VIEWERS, query=Paging)
def waiting_logs(manager_id: str, query: Paging):
    """The team's work logs waiting for a grade, oldest first."""
    return json_response(service.waiting_logs(principal(app), manager_id, query))


# ---------------------------------------------------------------- a staff member's attendance and work logs
@app.route("/staff/{staff_id}/attendance", methods=["GET"], roles=STAFF_ROLES, query=MonthQuery)
def get_attendance(staff_id: str, query: MonthQuery):
    """A month of a staff member's attendance: the member, their manager, finance, leaders and admins."""
    return json_response(service.staff_month(principal(app), staff_id, query.month))


@app.route("/staff/{staff_id}/attendance/{day}/correction", methods=["POST"], roles=(Role.MANAGER,),
           params=StaffDay, body=DayCorrection)
def correct_attendance(staff_id: str, day: date, body: DayCorrection):
    """The member's manager sets a day's status, with the reason."""
    return json_response(service.correct(principal(app), staff_id, day, body))


@app.route("/staff/{staff_id}/worklogs", methods=["GET"], roles=STAFF_ROLES, query=MonthQuery)
def list_work_logs(staff_id: str, query: MonthQuery):
    """A month of work logs, its score and whether a talk is due: as for attendance."""
    return json_response(service.work_logs(principal(app), staff_id, query.month))


@app.route("/staff/{staff_id}/worklogs/{day}", methods=["PUT"], roles=STAFF_ROLES, params=StaffDay, body=LogEntry)
def write_work_log(staff_id: str, day: date, body: LogEntry):
    """The support staff member writes their day's plan and completion."""
    return json_response(service.write_log(principal(app), staff_id, day, body))


@app.route("/staff/{staff_id}/worklogs/{day}/grade", methods=["POST"], roles=(Role.MANAGER,), params=StaffDay,
           body=Grading)
def grade_work_log(staff_id: str, day: date, body: Grading):
    """The member's manager grades a day's work log A to D."""
    return json_response(service.grade(principal(app), staff_id, day, body))
