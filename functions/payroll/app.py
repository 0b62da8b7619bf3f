"""Staff pay (工薪): HTTP glue over houqin.services.payroll (who may do what, and every decision, is there).

Every route here is declared in template.yaml (PayrollFunction) with the same path and method.
- GET /posts (department_id, limit, cursor) · GET /posts/{post_id}/candidates (department_id, limit)
- GET /staff/{staff_id}: the archive record, bank account masked
- GET /payroll/income/{month} · PUT /payroll/income/{month}/{department_id} {income_fen, note?}
- GET /payroll/bonuses (month, staff_id, department_id, limit, cursor) ·
  POST /payroll/bonuses {staff_id, month, kind, amount_fen, note?}
- GET /payroll/rules/{department_id} (month) · POST /payroll/rules/{department_id} {effective_from, ...}
- POST /payroll/runs {month, departments}: 202 with the new run (the worker computes it asynchronously),
  200 with the existing run when the same month and departments were triggered before
- GET /payroll/runs (month, limit, cursor) · GET /payroll/runs/{run_id} (progress, totals, history)
- POST /payroll/runs/{run_id}/recompute (202) | submit | approve | reject {reason}
- GET /payroll/runs/{run_id}/report?format=json|csv|xlsx&department_id= (xlsx: send
  ``Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet``, as for the dorm reports)
- GET /payroll/runs/{run_id}/bank-transfers (approved runs only)
- GET /payroll/runs/{run_id}/payslips/{staff_id} · GET /staff/{staff_id}/payslips (limit, cursor)
Each route declares its inputs (houqin.contract: the classes in houqin.services.payroll's seams) and the roles
that may call it (403 for any other); the service still decides per person and per run.
"""

from __future__ import annotations

from houqin.api import create_app, json_response, principal
from houqin.contract import Paging
from houqin.domain.actors import STAFF_ROLES, Role
from houqin.export import XLSX_TYPE, attachment, require_accept
from houqin.services.payroll import Payroll, archive, inputs, runs
from houqin.services.payroll.archive import CandidatesQuery, PostsQuery
from houqin.services.payroll.base import SEE_ALL, STAFF_SIDE
from houqin.services.payroll.inputs import BonusEntry, BonusQuery, IncomeEntry, RulesInput, RulesQuery
from houqin.services.payroll.reports import ReportQuery
from houqin.services.payroll.runs import RunAction, RunsQuery, RunTrigger

app = create_app("houqin-payroll", downloads=XLSX_TYPE)
service = Payroll()  # production ports, connected on first use; tests give it theirs

FINANCE = (Role.FINANCE,)
DECIDERS = (Role.FINANCE, Role.LEADER)  # finance recomputes and submits a run, a leader approves or rejects it


# ---------------------------------------------------------------- posts and the archive
@app.route("/departments", methods=["GET"], roles=STAFF_ROLES)
def list_departments():
    """The group's departments (id and name), for forms that name one: anyone on the staff."""
    return json_response(service.departments(principal(app)))


@app.route("/posts", methods=["GET"], roles=STAFF_SIDE, query=PostsQuery)
def list_posts(query: PostsQuery):
    """The posts (按岗定薪) and their salaries, one department's or all."""
    return json_response(service.list_posts(principal(app), query).body(archive.post_view))


@app.route("/posts/{post_id}/candidates", methods=["GET"], roles=SEE_ALL, query=CandidatesQuery)
def post_candidates(post_id: str, query: CandidatesQuery):
    """The staff who meet a post's requirements (人岗匹配): finance, leaders and admins."""
    return json_response(service.candidates(principal(app), post_id, query))


@app.route("/staff/{staff_id}", methods=["GET"], roles=STAFF_ROLES)
def get_staff(staff_id: str):
    """A staff member's archive record, the bank account masked: the person, their manager, finance, leaders,
    admins."""
    return json_response(service.staff_profile(principal(app), staff_id))


# ---------------------------------------------------------------- income, bonuses, rules
@app.route("/payroll/income/{month}", methods=["GET"], roles=SEE_ALL)
def list_income(month: str):
    """Every department's income for a month (null where none was entered)."""
    return json_response(service.list_income(principal(app), month))


@app.route("/payroll/income/{month}/{department_id}", methods=["PUT"], roles=FINANCE, body=IncomeEntry)
def enter_income(month: str, department_id: str, body: IncomeEntry):
    """Finance enters or corrects a department's income for a month."""
    return json_response(service.enter_income(principal(app), month, department_id, body))


@app.route("/payroll/bonuses", methods=["GET"], roles=SEE_ALL, query=BonusQuery)
def list_bonuses(query: BonusQuery):
    """A month's named bonuses, one person's or department's or all."""
    return json_response(service.list_bonuses(principal(app), query).body(inputs.bonus_view))


@app.route("/payroll/bonuses", methods=["POST"], roles=FINANCE, body=BonusEntry, status=201)
def enter_bonus(body: BonusEntry):
    """Finance enters a named bonus for someone else, paid with that month."""
    return json_response(service.enter_bonus(principal(app), body), 201)


@app.route("/payroll/rules/{department_id}", methods=["GET"], roles=SEE_ALL, query=RulesQuery)
def get_rules(department_id: str, query: RulesQuery):
    """A department's pay rules: every version, and the one in force in a month."""
    return json_response(service.get_rules(principal(app), department_id, query))


@app.route("/payroll/rules/{department_id}", methods=["POST"], roles=FINANCE, body=RulesInput, status=201)
def new_rules(department_id: str, body: RulesInput):
    """Finance adds a version of a department's pay rules, effective from a month."""
    return json_response(service.new_rules(principal(app), department_id, body), 201)


# ---------------------------------------------------------------- runs
@app.route("/payroll/runs", methods=["POST"], roles=FINANCE, body=RunTrigger, status=(202, 200))
def start_run(body: RunTrigger):
    """Finance starts payroll for a month: 202 with the new run, 200 with the run the same trigger made."""
    started = service.start_run(principal(app), body)
    return json_response(started.run, 202 if started.created else 200)


@app.route("/payroll/runs", methods=["GET"], roles=SEE_ALL, query=RunsQuery)
def list_runs(query: RunsQuery):
    """The payroll runs, latest first, one month's or all."""
    return json_response(service.list_runs(principal(app), query).body(runs.run_view))


@app.route("/payroll/runs/{run_id}", methods=["GET"], roles=SEE_ALL)
def get_run(run_id: str):
    """A run: its state, progress, totals and history."""
    return json_response(service.get_run(principal(app), run_id))


@app.route("/payroll/runs/{run_id}/{action}", methods=["POST"], roles=DECIDERS, body=RunAction,
           status=(200, 202))
def act_on_run(run_id: str, action: str, body: RunAction):
    """recompute (202) or submit a run (finance); approve or reject it with the reason (a leader). An unknown
    action is a 404 naming it."""
    run = service.act(principal(app), run_id, action, body)
    return json_response(run, 202 if action == "recompute" else 200)


@app.route("/payroll/runs/{run_id}/report", methods=["GET"], roles=SEE_ALL, query=ReportQuery,
           files=("text/csv", XLSX_TYPE))
def run_report(run_id: str, query: ReportQuery):
    """The payroll report (工资报表) by department: JSON, or a CSV or XLSX file."""
    report = service.report(principal(app), run_id, query)
    require_accept(app.current_request.headers, report.fmt)
    if report.fmt in ("csv", "xlsx"):
        return attachment(report.table, report.fmt, report.file_name, "工资报表")
    return json_response(report.body())


@app.route("/payroll/runs/{run_id}/bank-transfers", methods=["GET"], roles=SEE_ALL)
def bank_transfers(run_id: str):
    """The bank transfer list (代发工资) of an approved run, accounts masked."""
    return json_response(service.bank_transfers(principal(app), run_id))


# ---------------------------------------------------------------- payslips
@app.route("/payroll/runs/{run_id}/payslips/{staff_id}", methods=["GET"], roles=STAFF_ROLES)
def run_payslip(run_id: str, staff_id: str):
    """A payslip of a run: anyone's for finance, leaders and admins; a person's own once the run is approved."""
    return json_response(service.run_payslip(principal(app), run_id, staff_id))


@app.route("/staff/{staff_id}/payslips", methods=["GET"], roles=STAFF_ROLES, query=Paging)
def staff_payslips(staff_id: str, query: Paging):
    """A person's payslips, latest month first: their own, or anyone's for finance, leaders and admins."""
    return json_response(service.staff_payslips(principal(app), staff_id, query.limit, query.cursor))
