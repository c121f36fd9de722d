"""Books written from a template (sheets/package.py BookTemplate, sheets/writer.py) are the books
openpyxl writes itself, part for part and byte for byte: the run's purchase orders, route books,
handout lists and summary, and any text a footer or title can hold."""

from __future__ import annotations

import zipfile
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

import sheets.writer as writer
from sheets.run_books import write_run_workbooks
from sheets.spec import INT, MONEY, BookSpec, Column, SheetSpec
from sheets.template import plain_text
from tests.sheets.test_sheets import SETTINGS, larger_data_dir, run_tables

CREATED = datetime(2026, 11, 21, 12, 5, tzinfo=timezone.utc)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_both(tmp_path: Path, write, monkeypatch, templated: bool = True) -> tuple[Path, Path]:
    """`write(folder)` once with templates (`templated`: every book from one), once with openpyxl alone."""
    writer._TEMPLATES.clear()
    write(tmp_path / "template")
    from_templates = bool(writer._TEMPLATES) and all(made is not None for made in writer._TEMPLATES.values())
    assert from_templates == templated, "a book was not written from a template" if templated else \
        "a book that needs openpyxl itself was written from a template"
    monkeypatch.setattr(writer, "USE_TEMPLATES", False)
    write(tmp_path / "openpyxl")
    monkeypatch.setattr(writer, "USE_TEMPLATES", True)
    return tmp_path / "template", tmp_path / "openpyxl"


def assert_same_books(template: Path, plain: Path) -> int:
    books = sorted(p.relative_to(template) for p in template.rglob("*.xlsx"))
    assert books == sorted(p.relative_to(plain) for p in plain.rglob("*.xlsx"))
    for book in books:
        ours, theirs = parts(template / book), parts(plain / book)
        assert list(ours) == list(theirs), book  # the same parts, in the same order
        for name in theirs:
            assert ours[name] == theirs[name], f"{book}: {name}"
    return len(books)


def test_the_runs_books_from_templates_are_openpyxls_byte_for_byte(tmp_path, monkeypatch):
    tables = run_tables(larger_data_dir(tmp_path / "data"))
    counts = []
    template, plain = write_both(tmp_path, lambda out: counts.append(write_run_workbooks(out, tables, SETTINGS)),
                                 monkeypatch)
    assert counts[0] == counts[1] and counts[0]["handout"] > 30
    assert assert_same_books(template, plain) == sum(counts[0].values())
    shapes = [key for key, made in writer._TEMPLATES.items() if made is not None]
    # one shape per kind of book (a purchase order with and without a note, a route of each size,
    # the handout lists), not one per book
    assert 3 <= len(shapes) < 15
    ws = load_workbook(template / "handout" / "P02.xlsx").worksheets[0]
    assert ws.auto_filter.ref == f"A9:H{ws.max_row - 1}"  # the filter range ends on the book's own last row
    assert ws.oddFooter.left.text.endswith(" P02")


TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x1F64F, exclude_categories=("Cs",)),
               min_size=1, max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(footer=TEXT, title=TEXT, sheet=st.text(st.sampled_from("提货单AB&'() 1"), min_size=1, max_size=12),
       rows=st.integers(0, 40), autofilter=st.booleans(), freeze=st.integers(0, 2), landscape=st.booleans(),
       widths=st.lists(st.integers(1, 40), min_size=3, max_size=3))
def test_any_footer_title_and_layout_comes_out_as_openpyxl_writes_it(
        tmp_path_factory, monkeypatch, footer, title, sheet, rows, autofilter, freeze, landscape, widths):
    tmp_path = tmp_path_factory.mktemp("book")
    frame = pl.DataFrame({"text": [footer[: 1 + n % 30] for n in range(rows)], "n": list(range(rows)),
                          "fen": [n * 101 for n in range(rows)]}, schema={"text": pl.String, "n": pl.Int64,
                                                                          "fen": pl.Int64})
    columns = (Column("text", "文字", width=widths[0]), Column("n", "N", INT, widths[1]),
               Column("fen", "金额", MONEY, widths[2]))
    specs = (SheetSpec(title=sheet, columns=columns, frame=frame, title_line=title, header=(("k", footer),),
                       totals={"text": "合计", "fen": sum(frame["fen"])}, autofilter=autofilter,
                       freeze_columns=freeze, landscape=landscape, footer=footer),
             SheetSpec(title="第二页", columns=columns[:2], frame=frame.select("text", "n"), footer=title + footer))

    def write(out: Path) -> None:
        writer.write_workbooks([BookSpec(out / "b.xlsx", specs, title)], created=CREATED)

    # text with white space at an end or a control character: openpyxl itself; any other from a template
    templated = all(plain_text(text) for text in (footer, title, title + footer))
    template, plain = write_both(tmp_path, write, monkeypatch, templated)
    assert assert_same_books(template, plain) == 1


@pytest.mark.parametrize("footer", ["bell\x07", "tab\tin", "nel\x85", " lead", "trail\u3000"])
def test_a_footer_with_a_control_character_or_white_space_at_an_end_is_written_by_openpyxl_itself(tmp_path, footer):
    spec = SheetSpec(title="T", columns=(Column("n", "N", INT),), frame=pl.DataFrame({"n": [1]}), footer=footer)
    laid_out = [writer._lay_out(spec)]
    assert writer._shape(BookSpec(tmp_path / "x.xlsx", (spec,)), laid_out, CREATED) is None


@pytest.mark.usefixtures("prefect_harness")
def test_every_book_of_a_cutoff_and_its_goods_in_run_is_openpyxls(tmp_path, monkeypatch):
    """Every workbook the flows write (purchase orders, route books, handout lists, summary,
    commissions, the goods-in run's shortages and re-issued 修订版 books), each written both ways
    as it is written: the same parts, byte for byte."""
    from flows.cutoff_flow import cutoff_flow
    from flows.receive_flow import receive_flow
    from tests import datasets

    written: list[str] = []
    original = writer._write_book

    def both(book: BookSpec, laid_out, created) -> None:
        original(book, laid_out, created)
        shadow = tmp_path / "openpyxl" / f"{len(written)}.xlsx"
        monkeypatch.setattr(writer, "USE_TEMPLATES", False)
        original(BookSpec(shadow, book.sheets, book.title), laid_out, created)
        monkeypatch.setattr(writer, "USE_TEMPLATES", True)
        ours, theirs = parts(book.path), parts(shadow)  # now: a run's folder is renamed into place later
        assert list(ours) == list(theirs) and all(ours[n] == theirs[n] for n in theirs), book.path
        written.append(book.path.name)

    monkeypatch.setattr(writer, "_write_book", both)
    data_dir, reports_dir = datasets.mooncake_goods_in_dir(tmp_path / "data"), tmp_path / "reports"
    cutoff_flow(calendar="nightly", cutoff_date="2026-11-21", data_dir=str(data_dir), reports_dir=str(reports_dir),
                send_email=False)
    datasets.write_receipts(data_dir, [datasets.MOONCAKE_RECEIPT])
    receive_flow(calendar="nightly", cutoff_date="2026-11-21", data_dir=str(data_dir), reports_dir=str(reports_dir))
    assert {"S1.xlsx", "R1.xlsx", "P2.xlsx", "summary.xlsx", "commissions.xlsx", "shortages.xlsx"} <= set(written)
    assert written.count("P2.xlsx") == 2  # the cutoff's handout list and the goods-in run's 修订版


def test_a_marker_found_other_than_as_often_as_expected_means_openpyxl_writes_that_shape(tmp_path, monkeypatch):
    from sheets.template import BookTemplate, Slot
    spec = SheetSpec(title="T", columns=(Column("n", "N", INT), Column("m", "M", INT)),
                     frame=pl.DataFrame({"n": [1], "m": [2]}), autofilter=True)
    laid_out = [writer._lay_out(spec)]
    wb = writer._new_workbook("", laid_out, CREATED, [[6.0, 6.0]])
    with pytest.raises(ValueError, match="other than as often as expected"):
        BookTemplate(wb, {Slot("width", 0, 0): b'customWidth="1"'})  # on every column: twice
    wb = writer._new_workbook("", laid_out, CREATED, [[6.0, 6.0]])
    with pytest.raises(ValueError, match="other than as often as expected"):
        BookTemplate(wb, {Slot("footer", 0): b"&#57344;"})  # nowhere: this book has its own footer

    def refuse(*args):
        raise ValueError("a marker in an unexpected place")

    monkeypatch.setattr(writer, "BookTemplate", refuse)
    writer._TEMPLATES.clear()
    writer.write_workbooks([BookSpec(tmp_path / "t.xlsx", (spec,))], created=CREATED)
    assert list(writer._TEMPLATES.values()) == [None]  # this shape: openpyxl itself, from now on
    assert [[c.value for c in row] for row in load_workbook(tmp_path / "t.xlsx").worksheets[0].iter_rows()] == [
        ["N", "M"], [1, 2]]
