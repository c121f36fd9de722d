"""inbox/readers.py: a file cut short is found from its end, without reading the file into memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inbox import readers
from inbox.readers import cut_short

HEADER = "order_id,line_no,qty,note\n"


@pytest.fixture
def no_whole_reads(monkeypatch):
    """A whole copy of an inbox file in memory is what cut_short must not make."""
    def refuse(self):
        raise AssertionError(f"{self} read whole")
    monkeypatch.setattr(Path, "read_bytes", refuse)
    monkeypatch.setattr(readers, "BLOCK", 64)  # blocks much smaller than the files: every seam is crossed


def test_a_whole_csv_jsonl_or_parquet_is_whole(tmp_path, no_whole_reads):
    (tmp_path / "a.csv").write_text(HEADER + "A,1,2,x\n" * 500, encoding="utf-8")
    (tmp_path / "a.jsonl").write_text('{"order_id": "A"}\n' * 500, encoding="utf-8")
    (tmp_path / "a.parquet").write_bytes(b"PAR1" + b"\0" * 500 + b"PAR1")
    (tmp_path / "empty.csv").write_bytes(b"")
    for name in ("a.csv", "a.jsonl", "a.parquet", "empty.csv"):
        assert cut_short(tmp_path / name) == (None, None)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_csv_cut_inside_its_last_row_names_that_row(tmp_path, no_whole_reads, encoding):
    body = HEADER + "".join(f"O{i},1,2,韭菜盒子\n" for i in range(300)) + "O300,1,2"
    path = tmp_path / "cut.csv"
    path.write_bytes(body.encode(encoding))
    assert cut_short(path) == (302, "the file is cut short: its last row (row 302) stops after 3 of 4 columns; "
                                    "export the file again")


def test_a_csv_whose_last_row_is_complete_but_unterminated_is_not_cut(tmp_path, no_whole_reads):
    path = tmp_path / "a.csv"
    path.write_text(HEADER + "A,1,2,x\r\n" * 100 + "B,1,2,y", encoding="utf-8")
    assert cut_short(path) == (None, None)


def test_a_csv_with_a_quoted_line_break_counts_rows_not_lines(tmp_path, no_whole_reads):
    path = tmp_path / "a.csv"
    path.write_text(HEADER + 'A,1,2,"two\nlines"\n' * 50 + "B,1", encoding="utf-8")
    assert cut_short(path)[0] == 52


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_jsonl_cut_inside_its_last_line_names_the_line(tmp_path, no_whole_reads, newline):
    line = json.dumps({"order_id": "A", "note": "x" * 40})
    path = tmp_path / "cut.jsonl"
    path.write_text(newline.join([line] * 120) + newline + line[:30], encoding="utf-8", newline="")
    assert cut_short(path) == (None, "the file is cut short: its last line (line 121) is not complete JSON; "
                                     "export the file again")


def test_a_jsonl_whose_last_line_is_complete_but_unterminated_is_not_cut(tmp_path, no_whole_reads):
    path = tmp_path / "a.jsonl"
    path.write_text('{"a": 1}\n' * 100 + '{"a": 2, "long": "' + "y" * 500 + '"}', encoding="utf-8")
    assert cut_short(path) == (None, None)


def test_a_parquet_file_without_its_footer_is_cut(tmp_path, no_whole_reads):
    path = tmp_path / "cut.parquet"
    path.write_bytes(b"PAR1" + b"\1" * 1000)
    assert cut_short(path) == (None, "the file is cut short: a Parquet file ends with its footer, and this one "
                                     "stops after 1,004 bytes without it; export the file again")
    (tmp_path / "other.parquet").write_bytes(b"not parquet")  # no Parquet at all: the reader says so later
    assert cut_short(tmp_path / "other.parquet") == (None, None)
