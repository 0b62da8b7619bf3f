"""The dorm reports (公寓报表): HTTP glue over houqin.services.dorm_reports.

GET /dorm-reports/{report}?building_id=SB01&from=2026-11-01&to=2026-11-07&format=json|csv|xlsx

- json (default): ``{"report", "from", "to", "scope", "timezone", "title", "columns", "items", "count"}``;
- csv: ``text/csv; charset=utf-8`` with a byte-order mark, as an attachment;
- xlsx: a workbook, as an attachment. API Gateway sends binary only when the request's ``Accept``
  names the type (the Api's BinaryMediaTypes) and Chalice refuses a binary answer otherwise, so ask
  with ``Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet``; without it the
  answer is a 400 naming ``Accept``. The proxy response carries the workbook base64 encoded with
  ``isBase64Encoded: true``; API Gateway decodes it on the way out.
"""

from __future__ import annotations

from houqin.api import create_app, json_response, principal
from houqin.export import XLSX_TYPE, attachment, require_accept
from houqin.services import dorm_reports
from houqin.services.dorm_reports import ALLOWED, DormReports, ReportQuery

app = create_app("houqin-dorm-reports", downloads=XLSX_TYPE)
service = DormReports()  # production reads, connected on first use


@app.route("/dorm-reports/{report}", methods=["GET"], roles=ALLOWED, query=ReportQuery,
           files=("text/csv", XLSX_TYPE))
def dorm_report(report: str, query: ReportQuery):
    """A dorm report (nights out, early and late, entries ...) over some days, as JSON, CSV or XLSX.

    Dorm managers see their buildings, counsellors their students, leaders and admins everything.
    """
    caller = principal(app)
    request = dorm_reports.report_request(caller, report, query)
    require_accept(app.current_request.headers, request.fmt)  # before the table is built
    table = service.build(caller, request)
    if request.fmt in ("csv", "xlsx"):
        name = f"{request.report}_{request.scope_label}_{request.start}_{request.end}"
        return attachment(table, request.fmt, name, request.spec.title.split(" ")[0])  # its Chinese title
    return json_response(dorm_reports.body(request, table))
