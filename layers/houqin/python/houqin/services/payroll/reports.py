"""What a computed run shows: payslips (a person's own once approved), the payroll report by department
(工资报表: JSON, CSV, XLSX) and the bank transfer list (代发工资) of an approved run. Read from the run's
current generation only; bank accounts only ever masked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from houqin.auth import Principal
from houqin.contract import text
from houqin.domain.payroll.run_state import RunState
from houqin.errors import Conflict, NotFound, ValidationError
from houqin.export import Column, Table
from houqin.services.payroll.base import ID, READABLE, RUN_ID, SEE_ALL, PayrollPorts, readable
from houqin.services.payroll.runs import run_view
from houqin.store.payroll import PayslipItem, RunItem

FORMATS = ("json", "csv", "xlsx")


# ---------------------------------------------------------------- inputs (declared once: parsed and documented)
@dataclass(frozen=True)
class ReportQuery:
    format: str = text("json, or a file: csv, or xlsx (send Accept naming the workbook's type)", choices=FORMATS,
                       default="json")
    department_id: str | None = text("one of the run's departments only (default: all of them)", max_length=40,
                                     default=None)


class Reports(PayrollPorts):
    # ---------------------------------------------------------------- payslips
    def run_payslip(self, principal: Principal, run_id: str, staff_id: str) -> dict[str, Any]:
        """Finance, leaders, admins: anyone's payslip of a computed run; a person: their own, once approved."""
        see_all = principal.has_role(*SEE_ALL)
        if not (see_all or principal.is_person(staff_id)):
            raise NotFound(f"no payslip of {staff_id} in run {run_id}")
        run = self.payroll.get_run(run_id) if re.fullmatch(RUN_ID, run_id) else None
        if run is None or not (see_all or run.state == RunState.APPROVED.value):
            raise NotFound(f"no payslip of {staff_id} in run {run_id}")
        readable(run)
        slip = (self.payroll.payslip(run_id, int(run.payslip_version), run.month, staff_id)
                if re.fullmatch(ID, staff_id) else None)
        if slip is None:
            raise NotFound(f"no payslip of {staff_id} in run {run_id}")
        return payslip_view(slip, run)

    def staff_payslips(self, principal: Principal, staff_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
        """A person's payslips, latest month first: their own of approved runs; finance, leaders and admins
        see those of every computed run. A page may hold fewer than ``limit`` (superseded generations are
        skipped); follow the cursor until it is null."""
        see_all = principal.has_role(*SEE_ALL)
        if not principal.is_person(staff_id) and not (see_all and self.member(staff_id) is not None):
            raise NotFound(f"no staff member {staff_id}")
        page = self.payroll.payslips_of_person(staff_id, limit=limit, cursor=cursor)
        runs = self.payroll.runs_of_ids(item.run_id for item in page.items)
        items = []
        for slip in page.items:
            run = runs.get(slip.run_id)
            if run is None or int(run.payslip_version or 0) != int(slip.generation):
                continue
            if RunState(run.state) not in READABLE or not (see_all or run.state == RunState.APPROVED.value):
                continue
            items.append({"run_id": slip.run_id, "run_state": run.state, "month": slip.month,
                          "department_id": slip.department_id, "gross_fen": int(slip.gross_fen),
                          "deductions_fen": int(slip.deductions_fen), "tax_fen": int(slip.tax_fen),
                          "net_fen": int(slip.net_fen)})
        return {"staff_id": staff_id, "items": items, "cursor": page.cursor}

    # ---------------------------------------------------------------- the payroll report (工资报表)
    def report(self, principal: Principal, run_id: str, query: ReportQuery) -> Report:
        """The run's payroll report by department: a row per person, a subtotal per department, a total."""
        run = self.load_run(principal, run_id)
        fmt, department_id = query.format, query.department_id
        if department_id is not None and department_id not in run.departments:
            raise ValidationError(f"department_id must be one of the run's: {', '.join(run.departments)}",
                                  field="department_id")
        readable(run)
        chosen = [department_id] if department_id else list(run.departments)
        rows: list[dict[str, Any]] = []
        staff_rows: list[dict[str, Any]] = []
        total = _zero_row("", "合计 Total")
        for d in chosen:
            subtotal = _zero_row(d, "小计 Subtotal")
            for slip in self.payroll.payslips(run.run_id, int(run.payslip_version), d):
                row = report_row(slip)
                staff_rows.append(row)
                rows.append(row)
                for k, _, _ in MONEY_COLUMNS:
                    subtotal[k] += row[k]
                    total[k] += row[k]
            rows.append(subtotal)
        if len(chosen) > 1:
            rows.append(total)
        title = f"工资报表 Payroll {run.month} {run.run_id}" + (f" {department_id}" if department_id else "")
        return Report(run, fmt, department_id, Table(title, COLUMNS, rows), staff_rows)

    # ---------------------------------------------------------------- the bank transfer list (代发工资)
    def bank_transfers(self, principal: Principal, run_id: str) -> dict[str, Any]:
        """Who is paid how much, to which (masked) account: an approved run only. A net of zero or less, or no
        account on file, is listed under ``not_paid`` with the reason."""
        run = self.load_run(principal, run_id)
        if run.state != RunState.APPROVED.value:
            raise Conflict(f"run {run_id} is {run.state}: the bank transfer list is for an approved run only",
                           code="not_approved")
        items, not_paid = [], []
        for d in run.departments:
            for slip in self.payroll.payslips(run.run_id, int(run.payslip_version), d):
                if int(slip.net_fen) <= 0 or not slip.bank_account:
                    why = "no bank account" if not slip.bank_account else "net pay is not above zero"
                    not_paid.append({"staff_id": slip.staff_id, "name": slip.name, "department_id": d,
                                     "net_fen": int(slip.net_fen), "reason": why})
                    continue
                items.append({"staff_id": slip.staff_id, "name": slip.name, "department_id": d,
                              "bank_account": slip.bank_account, "amount_fen": int(slip.net_fen)})
        return {"run_id": run.run_id, "month": run.month, "count": len(items),
                "total_fen": sum(i["amount_fen"] for i in items), "items": items, "not_paid": not_paid}


def payslip_view(slip: PayslipItem, run: RunItem) -> dict[str, Any]:
    return {"run_id": slip.run_id, "generation": int(slip.generation), "run_state": run.state,
            "month": slip.month, "department_id": slip.department_id, "staff_id": slip.staff_id, "name": slip.name,
            "post_id": slip.post_id, "post": slip.post_name, "support_staff": bool(slip.support_staff),
            "rules_version": int(slip.rules_version), "score": slip.score, "lines": slip.lines,
            "gross_fen": int(slip.gross_fen), "deductions_fen": int(slip.deductions_fen), "tax_fen": int(slip.tax_fen),
            "net_fen": int(slip.net_fen), "months_in_year": int(slip.months_in_year), "year_to_date": slip.ytd,
            "bank_account": slip.bank_account, "warnings": slip.warnings or []}


MONEY_COLUMNS = (
    ("post_salary_fen", "岗位工资(分)", "Post salary (fen)"),
    ("performance_fen", "绩效工资(分)", "Performance (fen)"),
    ("piece_rate_fen", "计件工资(分)", "Piece rate (fen)"),
    ("bonus_pool_fen", "奖金池分配(分)", "Bonus pool (fen)"),
    ("awards_fen", "奖励(分)", "Bonuses (fen)"),
    ("attendance_fen", "考勤扣款(分)", "Attendance deductions (fen)"),
    ("gross_fen", "应发(分)", "Gross (fen)"),
    ("pension_fen", "养老保险(分)", "Pension (fen)"),
    ("medical_fen", "医疗保险(分)", "Medical (fen)"),
    ("unemployment_fen", "失业保险(分)", "Unemployment (fen)"),
    ("housing_fund_fen", "住房公积金(分)", "Housing fund (fen)"),
    ("tax_fen", "个人所得税(分)", "Income tax (fen)"),
    ("net_fen", "实发(分)", "Net (fen)"),
)
COLUMNS = (
    Column("department_id", "部门", "Department"), Column("staff_id", "工号", "Staff id"),
    Column("name", "姓名", "Name"), Column("post", "岗位", "Post"), Column("score", "考核分", "Score"),
    *(Column(k, zh, en) for k, zh, en in MONEY_COLUMNS),
)
LINE_COLUMN = {"post_salary": "post_salary_fen", "performance": "performance_fen", "piece_rate": "piece_rate_fen",
               "bonus_pool": "bonus_pool_fen", "late": "attendance_fen", "early_leave": "attendance_fen",
               "absent": "attendance_fen", "pension": "pension_fen", "medical": "medical_fen",
               "unemployment": "unemployment_fen", "housing_fund": "housing_fund_fen"}


@dataclass(frozen=True)
class Report:
    run: RunItem
    fmt: str
    department_id: str | None
    table: Table
    staff_rows: list[dict[str, Any]]

    @property
    def file_name(self) -> str:
        return f"payroll_{self.run.run_id}_{self.department_id or 'all'}"

    def body(self) -> dict[str, Any]:
        totals = (self.run.totals or {}).get("departments", {})
        chosen = [self.department_id] if self.department_id else list(self.run.departments)
        return {"run": run_view(self.run), "title": self.table.title, "department_id": self.department_id,
                "columns": [c.as_dict() for c in self.table.columns], "items": self.staff_rows,
                "count": len(self.staff_rows), "departments": {d: totals.get(d) for d in chosen}}


def _zero_row(department_id: str, name: str) -> dict[str, Any]:
    return {"department_id": department_id, "staff_id": None, "name": name, "post": None, "score": None,
            **{k: 0 for k, _, _ in MONEY_COLUMNS}}


def report_row(slip: PayslipItem) -> dict[str, Any]:
    row = {"department_id": slip.department_id, "staff_id": slip.staff_id, "name": slip.name,
           "post": slip.post_name, "score": slip.score, **{k: 0 for k, _, _ in MONEY_COLUMNS}}
    for line in slip.lines:
        code = line["code"]
        column = "awards_fen" if code.startswith("award_") else LINE_COLUMN.get(code)
        if column:
            row[column] += int(line["amount_fen"])
    row["gross_fen"], row["tax_fen"], row["net_fen"] = int(slip.gross_fen), int(slip.tax_fen), int(slip.net_fen)
    return row

