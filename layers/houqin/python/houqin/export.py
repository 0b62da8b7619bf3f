"""Tabular downloads: one ``Table`` (a title, columns with Chinese and English headers, rows) as JSON, CSV or XLSX.

Generic on purpose: the dorm reports use it today, payroll and other reports later. Rows are
mappings keyed by ``Column.key``; a missing key or None is an empty cell.

- CSV is UTF-8 with a byte-order mark, so Excel on a Chinese Windows opens it without mojibake.
  A text cell that starts with ``= + - @`` (or a tab / carriage return) gets a leading ``'``:
  a spreadsheet would otherwise run it as a formula (CSV injection).
- XLSX has one sheet: a bold, frozen, filterable header row and column widths that fit the text
  (a CJK character counts as two). Text is always stored as text, never as a formula.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from chalice import Response

from houqin.errors import ValidationError

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MIN_WIDTH, MAX_WIDTH = 6, 60
SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str

    @property
    def header(self) -> str:
        """Both languages in one cell, e.g. "姓名 Name"."""
        return f"{self.zh} {self.en}"

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class Table:
    title: str
    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]]

    def cells(self, row: Mapping[str, Any]) -> list[Any]:
        return [row.get(column.key) for column in self.columns]

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "columns": [c.as_dict() for c in self.columns],
                "items": [{c.key: row.get(c.key) for c in self.columns} for row in self.rows],
                "count": len(self.rows)}

    def to_csv(self) -> bytes:
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([column.header for column in self.columns])
        for row in self.rows:
            writer.writerow([csv_cell(value) for value in self.cells(row)])
        return (BOM + out.getvalue()).encode("utf-8")

    def to_xlsx(self) -> bytes:
        # openpyxl is imported when a workbook is asked for, not on every cold start of the report functions
        # (it was a third of their import time; bench/coldstart.py).
        from openpyxl import Workbook
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        book = Workbook()
        sheet = book.active
        sheet.title = sheet_title(self.title)
        book.properties.title = self.title
        sheet.append([column.header for column in self.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in self.rows:
            sheet.append([xlsx_value(value) for value in self.cells(row)])
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl reads a leading "=" as a formula; this is data
        for index, column in enumerate(self.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = self.width(index - 1, column)
        sheet.freeze_panes = "A2"
        if self.columns:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(self.columns))}{max(1, len(self.rows) + 1)}"
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    def width(self, index: int, column: Column) -> int:
        widest = max([display_width(column.header)]
                     + [display_width(text(self.cells(row)[index])) for row in self.rows])
        return min(MAX_WIDTH, max(MIN_WIDTH, widest + 2))


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_cell(value: Any) -> str:
    cell = text(value)
    if isinstance(value, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def xlsx_value(value: Any) -> Any:
    """Numbers stay numbers (Excel can sum them); everything else is its text."""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    return text(value)


def display_width(value: str) -> int:
    """Columns a text needs on screen: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in value)


def sheet_title(title: str) -> str:
    """Excel refuses sheet names over 31 characters or with any of []:*?/\\."""
    return SHEET_TITLE_BAD.sub(" ", title).strip()[:31] or "Sheet1"


# ---------------------------------------------------------------- as an HTTP download (Chalice)
def require_accept(headers: Mapping[str, str] | None, fmt: str) -> None:
    """A workbook leaves only for a client whose Accept names it (or */*): the test Chalice applies before
    it lets a binary body out, made a 400 naming the header instead of a body API Gateway would mangle."""
    accept = (headers or {}).get("accept") or ""
    offered = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if fmt == "xlsx" and XLSX_TYPE not in offered and "*/*" not in offered:
        raise ValidationError(f"send Accept: {XLSX_TYPE} to download a workbook", field="Accept")


def attachment(table: Table, fmt: str, name: str, readable_prefix: str) -> Response:
    """The table as a CSV or XLSX attachment ``<name>.<fmt>``; clients that read ``filename*`` get
    ``<readable_prefix>_<name>.<fmt>`` (a Chinese title)."""
    if fmt == "csv":  # text, not bytes: API Gateway sends it as UTF-8, byte-order mark included
        content, content_type = table.to_csv().decode("utf-8"), CSV_TYPE
    else:
        content, content_type = table.to_xlsx(), XLSX_TYPE
    file_name = f"{name}.{fmt}"
    disposition = f"attachment; filename=\"{file_name}\"; filename*=UTF-8''{quote(f'{readable_prefix}_{file_name}')}"
    return Response(body=content, status_code=200, headers={"Content-Type": content_type,
                                                             "Content-Disposition": disposition})
