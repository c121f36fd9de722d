"""`cutoff scans` end to end: the mooncake cutoff and its goods-in run, the codes read off the
printed handout lists (the QR pictures, as a scanner would), a scanner's file of them with the
kinds of lines a counter produces, the command's output and exit code, its file in inbox/pickups/,
then `cutoff report` taking it: the code -> scan file -> report round trip. Also: the 修订版 list
prints the same codes as the cutoff's."""

from __future__ import annotations

import os
import re
import zipfile
from datetime import date

import duckdb
import pytest
from openpyxl import load_workbook

from flows.cli import main
from tests.fulfilment_data import fulfilment_data_dir, run_cutoff_and_goods_in
from tests.labels.qr_reader import read_symbol, symbol_from_png

pytestmark = pytest.mark.slow
DAY = date(2026, 11, 21)


def handout_codes(book) -> dict[str, str]:
    """order id -> the code of its picture on a handout list."""
    ws = load_workbook(book).worksheets[0]
    with zipfile.ZipFile(book) as archive:
        rows = [int(r) for r in re.findall(r"<row>(\d+)</row>", archive.read("xl/drawings/drawing1.xml").decode())]
        pngs = [archive.read(f"xl/media/image{n}.png") for n in range(1, len(rows) + 1)]
    return {ws.cell(row + 1, 4).value: read_symbol(symbol_from_png(png)) for row, png in zip(rows, pngs, strict=True)}


@pytest.fixture(scope="module")
def printed(tmp_path_factory, prefect_harness):
    root = tmp_path_factory.mktemp("scans")
    data_dir, reports = fulfilment_data_dir(root / "data"), root / "reports"
    run_cutoff_and_goods_in(data_dir, reports)
    folder = reports / "nightly" / DAY.isoformat()
    return data_dir, reports, folder


def test_the_revised_list_prints_the_cutoffs_codes(printed):
    _, _, folder = printed
    cutoff = handout_codes(folder / "handout" / "P2.xlsx")
    revised = handout_codes(folder / "receiving" / "handout" / "P2.xlsx")
    assert cutoff and revised == cutoff
    assert (folder / "receiving" / "labels" / "households-P2.pdf").is_file()
    assert not (folder / "receiving" / "labels" / "households-P1.pdf").exists()  # P1 lost nothing


def test_codes_scanned_round_trip_into_the_report(printed, tmp_path, capsys):
    data_dir, reports, folder = printed
    codes = handout_codes(folder / "handout" / "P1.xlsx")
    first, second = sorted(codes)[:2]
    scan_file = tmp_path / "counter P1.txt"
    scan_file.write_text("\n".join([codes[first], f"{codes[second]}\t2026-11-22 10:15:00", "", codes[first],
                                    "6901234567890", "PK1AAAAAAAAAAAAAAAA"]) + "\n", encoding="utf-8")
    os.utime(scan_file, (1795310400, 1795310400))  # 2026-11-22 09:20 +08:00: the time of a line without one
    assert main(["scans", str(scan_file), "--data-dir", str(data_dir), "--pickup-point", "P1"]) == 1
    out = capsys.readouterr().out
    assert "took 2 of 5 code(s)" in out and "inbox/pickups/scans-counter_P1.csv" in out
    assert "line 4: repeated: the same code as line 1" in out
    assert "line 5: unknown: 6901234567890 is not a pickup code" in out and "line 6: forged:" in out
    written = (data_dir / "inbox" / "pickups" / "scans-counter_P1.csv").read_text(encoding="utf-8").splitlines()
    assert written[0] == "order_id,line_no,picked_up_at,pickup_point_id"
    assert f"{second},1,2026-11-22T10:15:00+08:00,P1" in written
    assert any(line.startswith(f"{first},") and "2026-11-22T09:20:00+08:00" in line for line in written)

    from flows.report_flow import report_flow
    result = report_flow(start=DAY, end=DAY, data_dir=str(data_dir), reports_dir=str(reports))
    assert result["pickups"]["rejected"] == 0 and result["pickups"]["loaded"] == len(written) - 1
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        held = con.sql("SELECT DISTINCT order_id FROM pickups WHERE source_file LIKE '%scans-counter_P1%'").fetchall()
    assert sorted(o for (o,) in held) == [first, second]

    # the same scan file again: the same file (nothing new); another file with a code already taken
    assert main(["scans", str(scan_file), "--data-dir", str(data_dir), "--pickup-point", "P1"]) == 1
    again = tmp_path / "later.txt"
    again.write_text(codes[first] + "\n", encoding="utf-8")
    assert main(["scans", str(again), "--data-dir", str(data_dir)]) == 1
    assert f"line 1: already scanned: order {first} was picked up at 2026-11-22 09:20:00" in capsys.readouterr().out


def test_another_points_code_and_a_data_dir_without_a_key(printed, tmp_path, capsys):
    data_dir, _, folder = printed
    code = next(iter(handout_codes(folder / "handout" / "P2.xlsx").values()))
    scan_file = tmp_path / "p1.txt"
    scan_file.write_text(code + "\n", encoding="utf-8")
    assert main(["scans", str(scan_file), "--data-dir", str(data_dir), "--pickup-point", "P1"]) == 1
    assert re.search(r"line 1: other point: order \S+ is collected at P2, not P1", capsys.readouterr().out)
    empty = tmp_path / "empty"
    (empty / "master").mkdir(parents=True)
    duckdb.connect(str(empty / "warehouse.duckdb")).close()
    assert main(["scans", str(scan_file), "--data-dir", str(empty)]) == 2
    assert "has no pickup codes' key" in capsys.readouterr().err
