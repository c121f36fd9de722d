"""summary.xlsx's API sheet (sheets/po_api_sheet.py): one row per supplier on api, the undelivered first."""

from __future__ import annotations

import openpyxl

from sheets.po_api_sheet import api_rows, api_sheets, api_todo_row, email_cell
from sheets.writer import write_workbook
from tests.flows.test_po_artifacts import SUMMARY
from tests.sheets.printing import READABLE, printed_points


def test_rows_in_the_sheets_language_the_undelivered_first():
    rows = api_rows(SUMMARY, "zh").rows()
    assert rows == [
        ("S3", "肉禽", "未送达", 1, "2026-11-21 20:08:05", None, "PO-nightly-2026-11-21-S3.r1",
         'HTTP 400 Bad Request: {"error": "unknown sku | SKU9"}'),
        ("S1", "鲜果", "已送达修订版", 2, "2026-11-21 20:03:05", "SO-0042", "PO-nightly-2026-11-21-S1.r2", None)]
    assert [row[2] for row in api_rows(SUMMARY, "en").rows()] == ["not delivered", "revision delivered"]


def test_a_long_answer_is_cut_for_the_printed_cell():
    long = dict(SUMMARY["suppliers"][2], api=dict(SUMMARY["suppliers"][2]["api"], error="x" * 500))
    cell = api_rows(dict(SUMMARY, suppliers=[long]), "zh")["error"][0]
    assert len(cell) == 60 and cell.endswith("…")


def test_the_todo_row_the_email_cell_and_no_sheet_without_api():
    assert api_todo_row(SUMMARY, "zh") == [("API采购单未送达", 1, None, "API采购单")]
    assert email_cell(SUMMARY["suppliers"][0], "en") == "by API" and email_cell(SUMMARY["suppliers"][1], "en") is None
    without = dict(SUMMARY, suppliers=[SUMMARY["suppliers"][1]])
    assert api_sheets(without, "zh", "t") == [] and api_todo_row(without, "zh") == []
    assert [sheet.title for sheet in api_sheets(SUMMARY, "en", "t")] == ["API purchase orders"]


def test_the_sheet_prints_at_9_pt_with_a_long_answer_and_name(tmp_path):
    """The answer and the name wrap: grown to 60 characters, the sheet printed at 7 pt."""
    long = dict(SUMMARY["suppliers"][2], name="广州市天河区某某农产品供应链管理有限公司",
                api=dict(SUMMARY["suppliers"][2]["api"], error='HTTP 400 Bad Request: {"error": "' + "x" * 80 + '"}'))
    path = tmp_path / "summary.xlsx"
    write_workbook(path, api_sheets(dict(SUMMARY, suppliers=[long, SUMMARY["suppliers"][0]]), "zh", "截单汇总"))
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert printed_points(sheet) >= READABLE and sheet.print_title_rows
    assert any(str(cell.value).startswith("HTTP 400") and cell.alignment.wrap_text for row in sheet.iter_rows()
               for cell in row)
