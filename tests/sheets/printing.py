"""How a sheet prints, from the workbook's own print settings (CI has no LibreOffice): the text
size a page shrinks to, and where its charts are. The figures are LibreOffice's on these machines,
measured with benchmarks/print_sizes.py (docs/sheets.md, "How each sheet prints"): with the
writer's margins, a page holds PAGE_UNITS column-width units across at 100% (Calibri 11, printed
with DejaVu Sans and Noto CJK; Excel with Calibri fits a little more); fit to one page wide, a
wider sheet shrinks by PAGE_UNITS / its width."""

from __future__ import annotations

from openpyxl.utils import get_column_letter

PAGE_UNITS = {"portrait": 79.0, "landscape": 113.5}  # column-width units across A4 at 100%
PAGE_POINTS = {"portrait": 748.0, "landscape": 502.0}  # the printable height: A4 less 0.6 in top, 0.7 in bottom
COLUMN_SLACK = 0.3  # LibreOffice rounds each column to whole pixels: a little more per column
BODY_POINTS = 11.0  # the workbook's font
READABLE = 9.0
CM_PER_UNIT = 0.25  # a column-width unit on paper at 100% (19.7 cm / 79 units)


def table_width(ws) -> float:
    """The sheet's columns' widths, as LibreOffice lays them out."""
    widths = [ws.column_dimensions[get_column_letter(i)].width or 8.43 for i in range(1, ws.max_column + 1)]
    return sum(widths) + COLUMN_SLACK * len(widths)


def chart_extent(ws) -> tuple[float, float]:
    """How far right (units) and down (points) the sheet's charts reach."""
    right = down = 0.0
    for chart in ws._charts:
        start = chart.anchor._from
        right = max(right, start.col * 8.43 + chart.width / CM_PER_UNIT)
        down = max(down, start.row * 15 + chart.height / 2.54 * 72)
    return right, down


def printed_points(ws) -> float:
    """The size the sheet's 11 pt text prints at: fit to one page wide (and, for a one-page sheet,
    one page tall), A4 in its orientation."""
    setup = ws.page_setup
    assert ws.sheet_properties.pageSetUpPr.fitToPage and int(setup.fitToWidth) == 1, ws.title
    assert int(setup.paperSize) == 9, ws.title  # A4
    orientation = setup.orientation or "portrait"
    right, down = chart_extent(ws)
    scale = min(1.0, PAGE_UNITS[orientation] / max(table_width(ws), right, 1))
    if int(setup.fitToHeight or 0) == 1:
        rows = sum((ws.row_dimensions[r].height or 15) for r in range(1, ws.max_row + 1))
        scale = min(scale, PAGE_POINTS[orientation] / max(rows, down, 1))
    return BODY_POINTS * scale


def charts_below_or_alone(ws) -> bool:
    """Every chart of the sheet is below its table (from column A, under the last row) or on a sheet
    that holds nothing else but its title."""
    for chart in ws._charts:
        start = chart.anchor._from
        if start.col != 0:
            return False
        if ws.max_column > 1 and start.row < ws.max_row:
            return False
    return True


def assert_readable(book) -> None:
    """Every sheet of the workbook prints its text at 9 pt or more, with its charts below its table
    or on a sheet of their own."""
    for ws in book.worksheets:
        points = printed_points(ws)
        assert points >= READABLE, f"{ws.title} prints at {points:.1f} pt (width {table_width(ws):.0f} units)"
        assert charts_below_or_alone(ws), f"{ws.title}: a chart beside its table"
