"""The progress snapshots and notices inside a cutoff's run folder: one folder per instant, kept
when the cutoff rewrites its folder, never half written."""

import os
import threading
import time
from datetime import datetime, timedelta, timezone

from outputs.locks import folder_lock
from outputs.progress_folder import as_of_name, clear_progress_leftovers, publish_snapshot
from outputs.run_folder import new_staging_dir, publish_dir, run_dir


def test_one_folder_per_instant_in_business_time():
    instant = datetime(2026, 11, 21, 7, 0, tzinfo=timezone.utc)
    assert as_of_name(instant, "Asia/Shanghai") == "2026-11-21T150000+0800"
    assert as_of_name(instant.astimezone(timezone(timedelta(hours=-5))), "Asia/Shanghai") == "2026-11-21T150000+0800"


def test_the_same_instant_replaces_its_folder(tmp_path):
    run = run_dir(tmp_path, "nightly", "2026-11-21")

    def writing(text):
        def write(folder):
            (folder / "progress.json").write_text(text)
        return write
    first = publish_snapshot(run, "progress", "2026-11-21T150000+0800", writing("one"))
    (first / "stale.txt").write_text("from the first run")
    again = publish_snapshot(run, "progress", "2026-11-21T150000+0800", writing("two"))
    other = publish_snapshot(run, "progress", "2026-11-21T160000+0800", writing("three"))
    assert first == again and (again / "progress.json").read_text() == "two" and not (again / "stale.txt").exists()
    assert sorted(p.name for p in (run / "progress").iterdir()) == ["2026-11-21T150000+0800",
                                                                   "2026-11-21T160000+0800"]
    assert (other / "progress.json").read_text() == "three"
    assert sorted(p.name for p in tmp_path.joinpath("nightly").iterdir()) == ["2026-11-21"]  # no staging left


def test_a_failed_write_leaves_nothing(tmp_path):
    run = run_dir(tmp_path, "nightly", "2026-11-21")

    def broken(folder):
        (folder / "half.json").write_text("{")
        raise OSError("disk full")
    try:
        publish_snapshot(run, "progress", "x", broken)
    except OSError:
        pass
    assert not (run / "progress" / "x").exists()
    assert [p.name for p in tmp_path.joinpath("nightly").iterdir()] == []


def test_a_killed_runs_staging_folder_goes_with_the_next_run(tmp_path):
    run = run_dir(tmp_path, "nightly", "2026-11-21")
    run.parent.mkdir(parents=True)
    dead = run.with_name(".2026-11-21.progress-2026-11-21T150000+0800.staging-999999999-abcd1234")
    alive = run.with_name(f".2026-11-21.progress-2026-11-21T150000+0800.staging-{os.getppid()}-abcd1234")
    other_day = run.with_name(".2026-11-22.progress-x.staging-999999999-abcd1234")
    for folder in (dead, alive, other_day):
        folder.mkdir()
    assert clear_progress_leftovers(run) == [dead]
    assert alive.exists() and other_day.exists()


def test_the_cutoff_keeps_progress_and_notice_when_it_rewrites_its_folder(tmp_path):
    run = run_dir(tmp_path, "nightly", "2026-11-21")
    publish_snapshot(run, "progress", "2026-11-21T150000+0800", lambda f: (f / "progress.json").write_text("{}"))
    (run / "notice").mkdir()
    (run / "notice" / "P1.txt").write_text("【到货通知】")
    for _ in range(2):  # the cutoff, then a rerun
        staging = new_staging_dir(run)
        (staging / "summary.json").write_text("{}")
        publish_dir(staging, run)
    assert (run / "progress" / "2026-11-21T150000+0800" / "progress.json").read_text() == "{}"
    assert (run / "notice" / "P1.txt").read_text() == "【到货通知】"
    assert (run / "summary.json").exists()


def test_the_cutoffs_swap_and_a_snapshot_wait_for_each_others_renames_only(tmp_path):
    run = run_dir(tmp_path, "nightly", "2026-11-21")
    run.mkdir(parents=True)
    staging = new_staging_dir(run)
    released = threading.Event()

    def hold():
        with folder_lock(run.parent):
            time.sleep(0.4)
        released.set()
    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.1)
    publish_dir(staging, run)  # waits for the holder's moment, then swaps
    assert released.is_set()
    holder.join()


def test_rows_json_is_one_document_with_every_key_of_every_row(tmp_path, monkeypatch):
    import json

    import polars as pl

    import outputs.progress_folder as folder
    monkeypatch.setattr(folder, "ROWS_PER_CHUNK", 2)  # several chunks from five rows
    rows = pl.DataFrame({"listing_id": ["L1", "L1", "L2", "L3", "L4"],
                         "pickup_point_id": [None, "P1", None, None, None], "units": [3, 3, 0, None, 1]})
    folder.write_rows_json(tmp_path / "p.json", {"calendar": "nightly", "as_of": "2026-11-21T15:00:00+08:00"}, rows)
    text = (tmp_path / "p.json").read_text(encoding="utf-8")
    document = json.loads(text)
    assert document["calendar"] == "nightly" and document["rows"] == rows.to_dicts()
    assert text.count("\n  {") == 5  # one row a line
    folder.write_rows_json(tmp_path / "e.json", {"calendar": "nightly"}, rows.clear())
    assert json.loads((tmp_path / "e.json").read_text(encoding="utf-8")) == {"calendar": "nightly", "rows": []}
