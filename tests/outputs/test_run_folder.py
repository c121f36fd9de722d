"""The run folder's files: the modes of plain files, temporary files kept in the staging folder,
what a killed run left cleared by the next run of its cutoff (and nothing else), and a file-system
error on the output side as one clear OutputError."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from errors import OutputError
from outputs.files import atomic_write_bytes, write_json
from outputs.run_folder import (
    clear_leftovers,
    new_staging_dir,
    output_errors,
    prepare_run_folder,
    publish_dir,
    temporary_files_in,
)

DAY = "2026-11-21"


@pytest.fixture
def umask():
    """set(mask): the process umask for the test, restored after."""
    before = os.umask(0o022)

    def set_mask(mask: int) -> None:
        os.umask(mask)
    yield set_mask
    os.umask(before)


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.mark.parametrize("mask, folder, file", [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)])
def test_the_run_folder_and_its_files_get_the_modes_of_any_new_folder_and_file(tmp_path, umask, mask, folder, file):
    umask(mask)
    final = tmp_path / "reports" / "nightly" / DAY
    staging = new_staging_dir(final)
    write_json(staging / "summary.json", {"calendar": "nightly"})
    atomic_write_bytes(staging / "outbox" / "S1.eml", b"Subject: x\r\n\r\n")
    publish_dir(staging, final)

    assert final.stat().st_mode & 0o777 == folder  # mkdtemp made it 0700
    assert (final / "outbox").stat().st_mode & 0o777 == folder
    assert (final / "summary.json").stat().st_mode & 0o777 == file  # mkstemp made them 0600
    assert (final / "outbox" / "S1.eml").stat().st_mode & 0o777 == file
    assert sorted(p.name for p in final.parent.iterdir()) == [DAY]


def test_temporary_files_go_to_the_staging_folder_and_leave_with_it(tmp_path):
    staging = new_staging_dir(tmp_path / "nightly" / DAY)
    before = tempfile.gettempdir()

    with temporary_files_in(staging) as folder:
        with tempfile.NamedTemporaryFile(prefix="openpyxl.", delete=False) as handle:
            inside = Path(handle.name)

    assert inside.parent == folder == staging / ".tmp"
    assert not folder.exists() and tempfile.gettempdir() == before


def test_leftovers_of_this_cutoff_go_and_nothing_else(tmp_path):
    calendar = tmp_path / "nightly"
    final = calendar / DAY
    (final / "outbox").mkdir(parents=True)
    (final / "summary.json").write_text("{}")
    gone, alive = dead_pid(), subprocess.Popen(["sleep", "60"])
    try:
        leftovers = [calendar / f".{DAY}.staging-{gone}-1a2b3c4d", calendar / f".{DAY}.staging-k2j_x9a1",
                     calendar / f".{DAY}.old-{gone}", final / f".summary.json.{gone}-0f0f0f0f.tmp",
                     final / "outbox" / f".S1.eml.{gone}-0e0e0e0e.tmp", final / ".rejects.csv.a8_x2kq.tmp"]
        kept = [calendar / f".{DAY}.staging-{alive.pid}-5e6f7a8b",           # a run that is still writing
                calendar / f".2026-11-22.staging-{gone}-1a2b3c4d",           # another cutoff's
                calendar / "2026-11-20", final / "outbox" / "S1.eml"]
        for path in leftovers[:3] + kept[:3]:
            (path / "handout").mkdir(parents=True)
            (path / "handout" / "P1.xlsx").write_bytes(b"customer names")
        for path in leftovers[3:] + kept[3:]:
            path.write_bytes(b"half")

        removed = clear_leftovers(final)

        assert sorted(removed) == sorted(leftovers)
        assert [p for p in leftovers if p.exists()] == []
        assert [p for p in kept if not p.exists()] == []
        assert (final / "summary.json").read_text() == "{}"
    finally:
        alive.kill()
        alive.wait()


def test_a_run_killed_between_its_two_renames_gets_the_published_folder_back(tmp_path):
    """publish_dir retires the published folder, then renames the new one into place: a kill in
    between leaves no folder at all, and the retired one, complete, is put back."""
    calendar = tmp_path / "nightly"
    retired = calendar / f".{DAY}.old-{dead_pid()}"
    (retired / "outbox").mkdir(parents=True)
    (retired / "summary.json").write_text('{"calendar": "nightly"}')
    (calendar / f".{DAY}.staging-{dead_pid()}-00aa11bb").mkdir()

    clear_leftovers(calendar / DAY)

    assert sorted(p.name for p in calendar.iterdir()) == [DAY]
    assert (calendar / DAY / "summary.json").read_text() == '{"calendar": "nightly"}'


def test_a_reports_dir_under_a_file_is_refused_before_the_run_computes_anything(tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    reports = tmp_path / "taken" / "reports"

    with pytest.raises(OutputError) as err:
        prepare_run_folder(reports / "nightly" / DAY, reports)

    assert err.value.exit_code == 5
    assert str(err.value).startswith(f"cannot write the run's files under {reports}: {tmp_path / 'taken'}: not a "
                                     "folder (a file is in the way). Make the reports dir")
    assert not (tmp_path / "taken").is_dir()


def test_a_disk_error_while_writing_names_the_file(tmp_path):
    with pytest.raises(OutputError) as err:
        with output_errors(tmp_path, "the supplier emails"):
            raise OSError(28, "No space left on device", str(tmp_path / "outbox" / "S1.eml"))
    assert str(err.value).startswith(f"cannot write the supplier emails under {tmp_path}: "
                                     f"{tmp_path / 'outbox' / 'S1.eml'}: No space left on device. ")
    assert err.value.__suppress_context__  # one paragraph: no "During handling ..." chain
