"""Tabular downloads: CSV that Excel opens in Chinese, XLSX with a styled header, nothing run as a formula."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from houqin.export import Column, Table, display_width, sheet_title

COLUMNS = [Column("name", "姓名", "Name"), Column("amount", "金额", "Amount"), Column("note", "备注", "Note")]
ROWS = [{"name": "王伟", "amount": 1250.5, "note": None}, {"name": "Li Qiang", "amount": 7, "note": "=HYPERLINK(1)"},
        {"name": "张磊", "note": "-3 扣款", "extra": "not a column"}]
TABLE = Table("工资表 Payroll 2026/11", COLUMNS, ROWS)


def test_csv_starts_with_a_bom_and_has_bilingual_headers_and_every_row():
    data = TABLE.to_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["姓名 Name", "金额 Amount", "备注 Note"]
    assert rows[1] == ["王伟", "1250.5", ""]
    assert rows[3] == ["张磊", "", "'-3 扣款"]


def test_csv_text_that_looks_like_a_formula_is_kept_as_text():
    rows = list(csv.reader(io.StringIO(TABLE.to_csv().decode("utf-8-sig"))))
    assert rows[2][2] == "'=HYPERLINK(1)"
    numbers = Table("t", [Column("n", "数", "N")], [{"n": -3}])  # a negative number is not text: untouched
    assert list(csv.reader(io.StringIO(numbers.to_csv().decode("utf-8-sig"))))[1] == ["-3"]


def test_xlsx_has_a_bold_frozen_header_numbers_as_numbers_and_widths_that_fit():
    book = load_workbook(io.BytesIO(TABLE.to_xlsx()))
    sheet = book.active
    assert sheet.title == "工资表 Payroll 2026 11"  # "/" is not allowed in a sheet name
    assert [c.value for c in sheet[1]] == ["姓名 Name", "金额 Amount", "备注 Note"]
    assert all(c.font.bold for c in sheet[1]) and not sheet["A2"].font.bold
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:C4"
    assert [c.value for c in sheet[2]] == ["王伟", 1250.5, None]
    assert sheet["C3"].value == "=HYPERLINK(1)" and sheet["C3"].data_type == "s"  # text, not a formula
    assert sheet.column_dimensions["A"].width == 9 + 2  # the widest is the header "姓名 Name": 2 + 2 + 1 + 4
    assert sheet.column_dimensions["C"].width == display_width("=HYPERLINK(1)") + 2


def test_an_empty_table_is_still_a_valid_download():
    empty = Table("晚归 Late returns", COLUMNS, [])
    assert list(csv.reader(io.StringIO(empty.to_csv().decode("utf-8-sig")))) == [["姓名 Name", "金额 Amount",
                                                                                   "备注 Note"]]
    assert load_workbook(io.BytesIO(empty.to_xlsx())).active.max_row == 1


def test_json_view_keeps_only_the_columns():
    view = TABLE.as_dict()
    assert view["columns"][0] == {"key": "name", "zh": "姓名", "en": "Name"}
    assert view["items"][2] == {"name": "张磊", "amount": None, "note": "-3 扣款"} and view["count"] == 3


def test_cjk_characters_count_double_and_sheet_titles_are_made_legal():
    assert display_width("夜不归宿") == 8 and display_width("ab") == 2
    assert sheet_title("a" * 40) == "a" * 31 and sheet_title("[]") == "Sheet1"
