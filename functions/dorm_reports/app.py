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

from typing import Any
from urllib.parse import quote

from chalice import CORSConfig, Response

from houqin.api import create_app, json_response, principal
from houqin.errors import ValidationError
from houqin.export import CSV_TYPE, XLSX_TYPE
from houqin.services import dorm_reports as service
from houqin.services.dorm_reports import ReportRequest
from houqin.settings import settings

app = create_app("houqin-dorm-reports")
app.api.binary_types.append(XLSX_TYPE)  # Chalice base64-encodes a body of this type
# Browsers may read the download's file name only when it is exposed (set before the route is declared).
app.api.cors = CORSConfig(allow_origin=settings().web_origin, allow_headers=["Idempotency-Key", "If-Match"],
                          expose_headers=["Content-Disposition"])


@app.route("/dorm-reports/{report}", methods=["GET"])
def dorm_report(report: str):
    caller = principal(app)
    request = service.parse(caller, report, app.current_request.query_params)
    if request.fmt == "xlsx" and not _accepts(XLSX_TYPE):
        raise ValidationError(f"send Accept: {XLSX_TYPE} to download a workbook", field="Accept")
    table = service.build(caller, request)
    if request.fmt == "csv":
        # Text, not bytes: API Gateway sends it as UTF-8, byte-order mark included.
        return _download(table.to_csv().decode("utf-8"), CSV_TYPE, request, "csv")
    if request.fmt == "xlsx":
        return _download(table.to_xlsx(), XLSX_TYPE, request, "xlsx")
    return json_response(service.body(request, table))


def _accepts(media_type: str) -> bool:
    """The same test Chalice applies before it lets a binary body out."""
    accept = (app.current_request.headers or {}).get("accept") or ""
    offered = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    return media_type in offered or "*/*" in offered


def _download(content: Any, content_type: str, request: ReportRequest, extension: str) -> Response:
    name = f"{request.report}_{request.scope_label}_{request.start}_{request.end}.{extension}"
    readable = f"{request.spec.title.split(' ')[0]}_{name}"  # the Chinese title, for clients that read filename*
    disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(readable)}"
    return Response(body=content, status_code=200, headers={"Content-Type": content_type,
                                                             "Content-Disposition": disposition})
