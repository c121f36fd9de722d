"""The analysis workbooks' building blocks: percent and decimal cells (display figures, never
money), both languages with the same words, a chart's number format."""

from __future__ import annotations

import openpyxl
import polars as pl
import pytest

from sheets.analysis_labels import EN, ZH, analysis_labels
from sheets.cells import value_cell
from sheets.spec import DECIMAL, INT, PERCENT, ChartSpec, Column, SheetSpec
from sheets.writer import write_workbook


def test_both_languages_have_the_same_words():
    assert set(ZH) == set(EN)
    assert analysis_labels("en")["calendar_nightly"] == "nightly" and analysis_labels("zh")["calendar_weekly"]


def test_percent_and_decimal_cells_are_numbers_with_their_formats(tmp_path):
    frame = pl.DataFrame({"point": ["P1", "P2", "P3"], "share": [0.9, 2 / 3, None], "hours": [13.0, 38.123456, None],
                          "units": [10, 6, 0]})
    path = tmp_path / "book.xlsx"
    write_workbook(path, [SheetSpec(
        title="s", frame=frame, columns=(Column("point", "point"), Column("share", "share", PERCENT),
                                         Column("hours", "hours", DECIMAL), Column("units", "units", INT)),
        totals={"point": "total", "share": 16 / 17, "units": 16},
        chart=ChartSpec("share", "point", "share", "share", "0%"))])
    ws = openpyxl.load_workbook(path)["s"]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=2)] == [
        ["P1", 0.9, 13.0, 10], ["P2", 0.6667, 38.12, 6], ["P3", None, None, 0], ["total", 0.9412, None, 16]]
    assert (ws["B2"].number_format, ws["C2"].number_format, ws["B5"].number_format) == ("0.0%", "#,##0.00", "0.0%")
    assert ws._charts[0].y_axis.numFmt.formatCode == "0%"


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_ratio_that_is_not_a_number_leaves_no_cell_in_a_column(tmp_path, value):
    path = tmp_path / "book.xlsx"
    write_workbook(path, [SheetSpec(title="s", frame=pl.DataFrame({"share": [value]}),
                                    columns=(Column("share", "share", PERCENT),))])
    assert openpyxl.load_workbook(path)["s"]["A2"].value is None


def test_a_float_in_a_count_or_money_cell_is_refused():
    with pytest.raises(TypeError):
        value_cell("A1", 0.5, INT)
    assert 's="' in value_cell("A1", 0.25, PERCENT)


def test_a_chart_may_show_only_the_first_rows_of_a_sheet_sorted_worst_first(tmp_path):
    frame = pl.DataFrame({"point": ["P3", "P1", "P2"], "share": [0.2, 0.5, 0.9]})
    path = tmp_path / "book.xlsx"
    write_workbook(path, [SheetSpec(title="s", frame=frame,
                                    columns=(Column("point", "point"), Column("share", "share", PERCENT)),
                                    chart=ChartSpec("worst 2", "point", "share", max_rows=2))])
    chart = openpyxl.load_workbook(path)["s"]._charts[0]
    assert chart.series[0].val.numRef.f == "'s'!$B$2:$B$3"  # P3 and P1 (the label row titles it)
