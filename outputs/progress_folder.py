"""Where `cutoff progress` and the notice leave their files, inside a cutoff's run folder:

    reports/<calendar>/<D>/progress/<as-of>/   progress.json progress.xlsx messages/<pickup_point_id>.txt
                                               deliveries.json
    reports/<calendar>/<D>/progress/messages.jsonl   what was sent to the group bots (chat/record.py)
    reports/<calendar>/<D>/notice/             <pickup_point_id>.txt (the latest notice), messages.jsonl

`<as-of>` is the instant in the business time zone, `2026-11-21T150000+0800`: one folder per
instant, the same folder for the same instant (a second run replaces it). A snapshot is written
aside (`.<D>.progress-<as-of>.staging-<pid>-<token>` beside the run folder, never inside it:
the cutoff may swap the run folder meanwhile) and renamed into `progress/` under the folder lock
the cutoff's swap takes (outputs/locks.py): the cutoff carries `progress/` and `notice/` over
when it rewrites its folder (outputs/run_folder.py KEPT_ACROSS_RERUNS). A killed progress run's
staging folder is removed by the next progress run of that cutoff.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from outputs.files import atomic_open, unique_token
from outputs.locks import exclusive, folder_lock
from outputs.processes import is_running
from outputs.run_folder import run_dir

PROGRESS = "progress"
NOTICE = "notice"
_STAGING = re.compile(r"^\.(?P<day>[^.]+)\.(?:progress|notice)-.*\.staging-(?P<pid>\d+)-[0-9a-f]+(?:-old)?$")


def as_of_name(as_of: datetime, timezone: str) -> str:
    """'2026-11-21T150000+0800': the snapshot folder of an instant (local time, whole seconds)."""
    return as_of.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H%M%S%z")


def progress_root(reports_dir: Path, calendar: str, cutoff_date) -> Path:
    return run_dir(reports_dir, calendar, cutoff_date) / PROGRESS


def notice_root(reports_dir: Path, calendar: str, cutoff_date) -> Path:
    return run_dir(reports_dir, calendar, cutoff_date) / NOTICE


ROWS_PER_CHUNK = 50_000


def write_rows_json(path: Path, head: dict, rows: pl.DataFrame, key: str = "rows") -> None:
    """`{...head, "rows": [row, ...]}`, one row a line (every key of every row: polars writes nulls),
    streamed in chunks and written atomically: a million-line day's 450,000 rows never make one
    string in memory."""
    text = json.dumps(head, ensure_ascii=False, indent=1)
    with atomic_open(path) as out:
        out.write((text[:-2] + f',\n "{key}": [').encode("utf-8"))
        for offset in range(0, rows.height, ROWS_PER_CHUNK):
            chunk = rows.slice(offset, ROWS_PER_CHUNK).write_ndjson().encode("utf-8").rstrip(b"\n")
            out.write((b",\n  " if offset else b"\n  ") + chunk.replace(b"\n", b",\n  "))
        out.write(b"\n ]\n}\n" if rows.height else b"]\n}\n")


def clear_progress_leftovers(run_folder: Path) -> list[Path]:
    """Staging folders of this cutoff's progress and notice runs whose process is gone."""
    removed = []
    parent = run_folder.parent
    for path in parent.iterdir() if parent.is_dir() else []:
        match = _STAGING.match(path.name)
        if match and match.group("day") == run_folder.name.split(".")[0] and \
                not (int(match.group("pid")) != os.getpid() and is_running(int(match.group("pid")), None)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def publish_snapshot(run_folder: Path, kind: str, name: str, write: Callable[[Path], None]) -> Path:
    """Write a folder with `write(staging)` beside the run folder, then rename it to
    `<run folder>/<kind>/<name>` (replacing one of the same name) under the folder lock."""
    run_folder.parent.mkdir(parents=True, exist_ok=True)
    clear_progress_leftovers(run_folder)
    staging = run_folder.with_name(f".{run_folder.name}.{kind}-{name}.staging-{unique_token()}")
    os.mkdir(staging)
    try:
        write(staging)
        final = run_folder / kind / name
        retired = staging.with_name(staging.name + "-old")
        with folder_lock(run_folder.parent):
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                os.replace(final, retired)
            os.replace(staging, final)
        shutil.rmtree(retired, ignore_errors=True)
        return final
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@contextmanager
def one_sender(run_folder: Path, kind: str) -> Iterator[None]:
    """One process at a time decides and sends the messages of a cutoff's `kind` (a lock file
    beside the run folder, `.<D>.<kind>.lock`): two runs at once never send the same twice."""
    with exclusive(run_folder.with_name(f".{run_folder.name}.{kind}.lock")):
        yield


def write_in_place(run_folder: Path, path: Path, write: Callable[[], None]) -> None:
    """Write a file inside the run folder (the notice's texts, a snapshot's deliveries) under the
    folder lock, so a cutoff swapping the folder meanwhile keeps it."""
    with folder_lock(run_folder.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
        write()
