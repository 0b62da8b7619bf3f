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
"""

from __future__ import annotations

from houqin.api import create_app, json_response, principal
from houqin.export import XLSX_TYPE, attachment, require_accept
from houqin.services.payroll import Payroll, archive, inputs, runs
from houqin.validation import page_limit

app = create_app("houqin-payroll", downloads=XLSX_TYPE)
service = Payroll()  # production ports, connected on first use; tests give it theirs


# ---------------------------------------------------------------- posts and the archive
@app.route("/departments", methods=["GET"])
def list_departments():
    return json_response(service.departments(principal(app)))


@app.route("/posts", methods=["GET"])
def list_posts():
    params = app.params()
    page = service.list_posts(principal(app), params, page_limit(params), params.get("cursor"))
    return json_response(page.body(archive.post_view))


@app.route("/posts/{post_id}/candidates", methods=["GET"])
def post_candidates(post_id: str):
    params = app.params()
    return json_response(service.candidates(principal(app), post_id, params, page_limit(params)))


@app.route("/staff/{staff_id}", methods=["GET"])
def get_staff(staff_id: str):
    return json_response(service.staff_profile(principal(app), staff_id))


# ---------------------------------------------------------------- income, bonuses, rules
@app.route("/payroll/income/{month}", methods=["GET"])
def list_income(month: str):
    return json_response(service.list_income(principal(app), month))


@app.route("/payroll/income/{month}/{department_id}", methods=["PUT"])
def enter_income(month: str, department_id: str):
    who = principal(app)
    return json_response(service.enter_income(who, month, department_id, app.body(inputs.INCOME_FIELDS)))


@app.route("/payroll/bonuses", methods=["GET"])
def list_bonuses():
    params = app.params()
    page = service.list_bonuses(principal(app), params, page_limit(params), params.get("cursor"))
    return json_response(page.body(inputs.bonus_view))


@app.route("/payroll/bonuses", methods=["POST"])
def enter_bonus():
    who = principal(app)
    return json_response(service.enter_bonus(who, app.body(inputs.BONUS_FIELDS)), 201)


@app.route("/payroll/rules/{department_id}", methods=["GET"])
def get_rules(department_id: str):
    return json_response(service.get_rules(principal(app), department_id, app.params()))


@app.route("/payroll/rules/{department_id}", methods=["POST"])
def new_rules(department_id: str):
    who = principal(app)
    return json_response(service.new_rules(who, department_id, app.body(inputs.RULES_FIELDS)), 201)


# ---------------------------------------------------------------- runs
@app.route("/payroll/runs", methods=["POST"])
def start_run():
    who = principal(app)
    started = service.start_run(who, app.body(runs.RUN_FIELDS))
    return json_response(started.run, 202 if started.created else 200)


@app.route("/payroll/runs", methods=["GET"])
def list_runs():
    params = app.params()
    page = service.list_runs(principal(app), params, page_limit(params), params.get("cursor"))
    return json_response(page.body(runs.run_view))


@app.route("/payroll/runs/{run_id}", methods=["GET"])
def get_run(run_id: str):
    return json_response(service.get_run(principal(app), run_id))


@app.route("/payroll/runs/{run_id}/{action}", methods=["POST"])
def act_on_run(run_id: str, action: str):
    who = principal(app)
    runs.check_action(action)  # an unknown action is a 404 naming it, whatever the body
    run = service.act(who, run_id, action, app.body(runs.ACTION_FIELDS))
    return json_response(run, 202 if action == "recompute" else 200)


@app.route("/payroll/runs/{run_id}/report", methods=["GET"])
def run_report(run_id: str):
    report = service.report(principal(app), run_id, app.params())
    require_accept(app.current_request.headers, report.fmt)
    if report.fmt in ("csv", "xlsx"):
        return attachment(report.table, report.fmt, report.file_name, "工资报表")
    return json_response(report.body())


@app.route("/payroll/runs/{run_id}/bank-transfers", methods=["GET"])
def bank_transfers(run_id: str):
    return json_response(service.bank_transfers(principal(app), run_id))


# ---------------------------------------------------------------- payslips
@app.route("/payroll/runs/{run_id}/payslips/{staff_id}", methods=["GET"])
def run_payslip(run_id: str, staff_id: str):
    return json_response(service.run_payslip(principal(app), run_id, staff_id))


@app.route("/staff/{staff_id}/payslips", methods=["GET"])
def staff_payslips(staff_id: str):
    params = app.params()
    return json_response(service.staff_payslips(principal(app), staff_id, page_limit(params), params.get("cursor")))
