"""What a sheet draws over its cells (sheets/writer.py): its chart, below its table or on a
sheet of its own, and its table's pictures (the handout list's QR codes, sheets/drawings.py)."""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference

from sheets.drawings import EMU_PER_POINT, Picture

# A chart below a table: as wide as the printed page at 100% (A4 less the margins: 19.7 cm
# portrait, 28.4 cm landscape), so it never makes the page shrink the table; a chart on a sheet of
# its own fills a landscape page.
CHART_BELOW_CM = {False: (18.0, 9.0), True: (26.0, 10.0)}  # landscape? -> (width, height)
CHART_SHEET_CM = (26.0, 15.5)


def add_chart(ws, sheet, data_ws, anchor: str, size: tuple[float, float]) -> None:
    """The chart of `sheet` (its rows on `data_ws`) on `ws` at `anchor`, `size` (cm) wide and high."""
    spec = sheet.spec
    table = sheet.tables[spec.chart.section]
    keys = [c.key for c in spec.columns]
    rows = min(table.rows, spec.chart.max_rows or table.rows)
    last = table.first_row + rows - 1
    chart = LineChart() if spec.chart.kind == "line" else BarChart()
    if spec.chart.kind != "line":
        chart.type = "col"
    chart.title = spec.chart.title
    chart.legend = None if not spec.chart.more_keys else chart.legend
    chart.y_axis.title = spec.chart.y_title or None
    chart.y_axis.numFmt = spec.chart.number_format
    chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl 3.1 hides axes unless told
    for key in (spec.chart.value_key, *spec.chart.more_keys):
        chart.add_data(Reference(data_ws, min_col=keys.index(key) + 1, min_row=table.label_row, max_row=last),
                       titles_from_data=True)
    chart.set_categories(Reference(data_ws, min_col=keys.index(spec.chart.category_key) + 1,
                                   min_row=table.first_row, max_row=last))
    chart.width, chart.height = size
    ws.add_chart(chart, anchor)


PICTURE_OFFSET = 19050  # EMU (1.5 pt): a picture's corner sits just inside its cell's lines


def table_pictures(sheet) -> list[Picture]:
    """The pictures of a sheet's table (SheetSpec.pictures): each at its row, in its column."""
    spec = sheet.spec.pictures
    if spec is None or sheet.spec.sections:
        return []
    table = sheet.tables[0]
    column = [c.key for c in sheet.spec.columns].index(spec.column)
    side = round(spec.side * EMU_PER_POINT)
    pngs = table.frame.get_column(spec.key)
    return [Picture(table.first_row - 1 + number, column, png, side, PICTURE_OFFSET)
            for number, png in enumerate(pngs.to_list()) if png is not None]
