"""The optional weather file(s) of inbox/weather/ (inbox/weather.py): read as they are, a later row
for a date replacing an earlier one, a bad row reported with its file, row and reason."""

from __future__ import annotations

from datetime import date

from inbox.weather import read_weather


def write(path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


def test_no_folder_no_weather(tmp_path):
    got = read_weather(tmp_path)
    assert got.rows.height == 0 and got.rejects.height == 0 and got.files == []


def test_rows_of_every_file_the_later_one_winning_and_bad_rows_reported(tmp_path):
    folder = tmp_path / "inbox" / "weather"
    write(folder / "a.csv", "date,precip_mm,temp_max_c\n2026-10-01,12.5,28\n2026-10-02,x,28\n2026-10-03,,35.5\n"
                            "2026/10/04,-1,20\n")
    write(folder / "b.csv", "temp_max_c,date,降水\n27,2026-10-01,3\n", encoding="gb18030")  # columns in any order
    write(folder / "c.txt", "not a table")
    write(folder / "d.csv", "precip_mm\n3\n")
    got = read_weather(tmp_path)
    assert got.rows.rows() == [(date(2026, 10, 1), None, 27.0), (date(2026, 10, 3), None, 35.5)]
    reasons = {(r["source_file"], r["row_number"]): r["reason"] for r in got.rejects.iter_rows(named=True)}
    assert reasons[("inbox/weather/a.csv", 3)] == "precip_mm: 'x' is not a number"
    assert reasons[("inbox/weather/a.csv", 5)].startswith("precip_mm")  # -1 mm of rain
    assert reasons[("inbox/weather/c.txt", None)].startswith("unknown file type '.txt'")
    assert reasons[("inbox/weather/d.csv", None)] == "missing required column(s) date: the whole file is rejected"
    assert got.rejects.filter(got.rejects["row_number"] == 3)["raw"].item().startswith('{"date":"2026-10-02"')
    assert got.files == ["inbox/weather/a.csv", "inbox/weather/b.csv", "inbox/weather/c.txt", "inbox/weather/d.csv"]
