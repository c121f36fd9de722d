"""The writer's layout for print (sheets/writer.py, sheets/cells.py): wrapping columns and their
rows' heights, labels on two lines where that saves width, totals as wide as they print, an
empty table that says so, marked rows, a print area, notes wrapped to the page, charts below a
table or on a sheet of their own. Read back from the workbooks' own cells and settings."""

from __future__ import annotations

import polars as pl
import pytest
from openpyxl import load_workbook

from sheets.spec import INT, MONEY, OWN_SHEET, ChartSpec, Column, Section, SheetSpec
from sheets.writer import NOTE_WIDTH, fit_label, wrap_note, write_workbook
from tests.sheets.printing import charts_below_or_alone


def write(tmp_path, *sheets: SheetSpec):
    path = tmp_path / "book.xlsx"
    write_workbook(path, list(sheets))
    return load_workbook(path)


def test_a_wrapping_column_keeps_its_width_and_its_rows_grow_a_line_per_line(tmp_path):
    frame = pl.DataFrame({"item": ["短", "a" * 20, "商品" * 14, None], "n": [1, 2, 3, 4]})
    ws = write(tmp_path, SheetSpec(title="s", frame=frame, columns=(
        Column("item", "商品", width=10, wrap=True), Column("n", "数量", INT))))["s"]
    assert ws.column_dimensions["A"].width == 10
    # a line holds 9 columns (CJK two each): 1, 3 and 7 lines; an empty cell one
    assert [ws.row_dimensions[r].height for r in range(2, 6)] == [None, 45, 105, None]
    assert ws["A3"].alignment.wrap_text and ws["A3"].alignment.vertical == "center"
    short = write(tmp_path, SheetSpec(title="s", frame=frame.head(1), columns=(
        Column("item", "商品", width=30, wrap=True), Column("n", "数量", INT))))["s"]
    assert short.column_dimensions["A"].width == 6  # no wider than its text needs (and its label)


def test_a_text_of_several_lines_takes_each_lines_own_count(tmp_path):
    """An id over its item (progress.xlsx): two short lines are two lines' height, not three; a
    line too long for the column still wraps on its own."""
    frame = pl.DataFrame({"item": ["L-20261121-0024\n红心火龙果4个装", "P0001 幸福里\n" + "张" * 12, "a\n\nb"]})
    ws = write(tmp_path, SheetSpec(title="s", frame=frame, columns=(Column("item", "商品", width=20, wrap=True),)))["s"]
    # a line holds 19 columns: 15 and 16 (2 lines); 12 and 24 (1 + 2 lines); three lines, one empty
    assert [ws.row_dimensions[r].height for r in range(2, 5)] == [30, 45, 45]


@pytest.mark.parametrize("label, width, printed", [
    ("订购数量", 6, "订购\n数量"),          # four digits under it: two lines save four columns
    ("商品编码", 9, "商品编码"),            # saves one column only: one line
    ("单位", 4, "单位"),                   # never a character a line
    ("units to hand out", 7, "units to\nhand out"),
    ("采购单首发", 6, "采购单\n首发"),       # a tie: the longer first line
    ("1\nP1\n幸福里", 6, "1\nP1\n幸福里"),  # a label that has its lines keeps them
])
def test_a_label_wider_than_its_values_prints_on_two_lines(label, width, printed):
    assert fit_label(label, width) == printed


def test_a_total_is_as_wide_as_it_prints_never_hashes(tmp_path):
    frame = pl.DataFrame({"who": ["T1", "T2"], "entries": [3, 4], "fen": [100, 200]})
    ws = write(tmp_path, SheetSpec(title="s", frame=frame, columns=(
        Column("who", "团长"), Column("entries", "笔数", INT), Column("fen", "金额", MONEY)),
        totals={"who": "合计", "entries": 1_234_567, "fen": 123_456_789}))["s"]
    assert ws.column_dimensions["B"].width >= len("1,234,567") + 2  # bold, in the grid: no ###
    assert ws.column_dimensions["C"].width >= len("¥1,234,567.89") + 2


def test_an_empty_list_says_so_in_its_table(tmp_path):
    empty = pl.DataFrame(schema={"a": pl.String, "n": pl.Int64})
    ws = write(tmp_path, SheetSpec(title="s", frame=empty, columns=(Column("a", "A"), Column("n", "N", INT)),
                                   totals={"a": "合计", "n": 0}, empty_text="无"))["s"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [["A", "N"], ["无", None], ["合计", 0]]
    assert ws["B2"].border.left.style == "thin"  # in the grid


def test_marked_rows_are_filled_and_the_mark_is_not_printed(tmp_path):
    frame = pl.DataFrame({"a": ["x", "y"], "n": [1, 2], "_changed": [False, True]})
    ws = write(tmp_path, SheetSpec(title="s", frame=frame, columns=(Column("a", "A"), Column("n", "N", INT)),
                                   mark_key="_changed"))["s"]
    assert ws.max_column == 2
    assert [(ws.cell(r, 1).fill.fgColor.rgb, ws.cell(r, 2).fill.fgColor.rgb) for r in (2, 3)] == [
        ("00000000", "00000000"), ("00FFF2CC", "00FFF2CC")]


def test_a_long_list_can_print_its_first_rows_only(tmp_path):
    frame = pl.DataFrame({"n": list(range(50))})
    ws = write(tmp_path, SheetSpec(title="s", frame=frame, columns=(Column("n", "N", INT),), title_line="T",
                                   print_rows=10))["s"]
    assert ws.print_area == "'s'!$A$1:$A$13" and ws.max_row == 53  # title, blank, labels, 10 rows; all 50 there


def test_a_note_wraps_to_the_page_after_punctuation():
    note = "修订版：供应商缺货，3 位顾客少发 4 件（原 6174 件，实发 6170 件），差额已退款。以此版为准，标色的行有改动。"
    lines = wrap_note(note, NOTE_WIDTH[False])
    assert lines == ["修订版：供应商缺货，3 位顾客少发 4 件（原 6174 件，实发 6170 件），",
                     "差额已退款。以此版为准，标色的行有改动。"]
    assert wrap_note("x" * 200, 74) == ["x" * 74, "x" * 74, "x" * 52]


def test_a_chart_goes_below_its_table_or_on_a_sheet_of_its_own(tmp_path):
    frame = pl.DataFrame({"k": ["a", "b", "c"], "v": [3, 2, 1]})
    columns = (Column("k", "K"), Column("v", "V", INT))
    book = write(tmp_path,
                 SheetSpec(title="below", frame=frame, columns=columns, title_line="T",
                           chart=ChartSpec("V by K", "k", "v")),
                 SheetSpec(title="data", frame=frame, columns=columns, landscape=True,
                           chart=ChartSpec("V by K", "k", "v", placement=OWN_SHEET, sheet_title="chart")))
    assert book.sheetnames == ["below", "data", "chart"]
    (below,) = book["below"]._charts
    assert (below.anchor._from.col, below.anchor._from.row) == (0, 7)  # A8: the table ends on row 6
    assert below.width <= 19  # within portrait A4's printed width: it never shrinks the table
    assert not book["data"]._charts
    (alone,) = book["chart"]._charts
    assert alone.series[0].val.numRef.f == "'data'!$B$2:$B$4"
    assert book["chart"].page_setup.orientation == "landscape" and int(book["chart"].page_setup.fitToHeight) == 1
    assert all(charts_below_or_alone(ws) for ws in book.worksheets)


def test_sections_may_each_start_a_page(tmp_path):
    frame = pl.DataFrame({"n": [1, 2]})
    ws = write(tmp_path, SheetSpec(title="s", columns=(Column("n", "N", INT),), title_line="T",
                                   sections=(Section(frame, heading=("one",)), Section(frame, heading=("two",)))))["s"]
    assert [b.id for b in ws.row_breaks.brk] == [6]  # "two" starts on a page of its own


def test_a_title_or_footer_with_characters_xml_cannot_hold_is_written_without_them(tmp_path):
    """U+FFFE and control characters (found by the property test of test_templates.py) would make
    lxml refuse the whole workbook; they are left out, as from a cell."""
    frame = pl.DataFrame({"n": [1]})
    path = tmp_path / "book.xlsx"
    write_workbook(path, [SheetSpec(title="s", frame=frame, columns=(Column("n", "N", INT),),
                                    footer="提货单\ufffe A&B\x07")], title="\ufffe标题")
    book = load_workbook(path)
    assert book["s"].oddFooter.left.text == "提货单 A&&B"  # & doubled: a footer's code character
    assert book.properties.title == "标题"
