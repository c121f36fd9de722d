"""The run folder under the reports dir: written aside, then renamed into place.

A run folder is written aside (`.<date>.staging-<pid>-<token>`, next to where it goes) and renamed
into place. Everything is created the way a plain `mkdir` or `open` would (folders 0777 and files
0666 minus the umask: 0755 and 0644 with the usual 022). A run that is killed leaves its staging
folder (partial handout lists: customer names) and maybe a retired folder or a temporary file;
the next run of the same cutoff clears them first (`clear_leftovers`). Temporary files of the
writers (openpyxl's) live in the staging folder's `.tmp`, so they go with it.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from errors import OutputError
from outputs.files import unique_token
from outputs.locks import folder_lock
from outputs.processes import is_running

KEPT_ACROSS_RERUNS = ("outbox", "receiving", "progress", "notice")  # emails already written stay (the mailer
# decides what changes); the goods-in run's folder is its own (a cutoff rerun that changes its basis warns
# `goods_in_stale`); so are the progress snapshots of the day and the notices (`cutoff progress`, docs/progress.md)
TEMPORARY_DIR = ".tmp"            # the writers' temporary files, inside a staging folder
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?:staging-(?P<pid>\d+)(?:-[0-9a-f]+)?|staging-\w+|old-(?P<old>\d+))$")
_TEMPORARY_FILE = re.compile(r"^\..+\.(?:(?P<pid>\d+)-[0-9a-f]+|\w+)\.tmp$")


def run_dir(reports_dir: Path, calendar: str, cutoff_date) -> Path:
    return reports_dir / calendar / str(cutoff_date)


def new_staging_dir(final: Path) -> Path:
    """`.<final name>.staging-<pid>-<token>` beside `final`, mode 0777 minus the umask (as the
    folder it becomes; mkdtemp's 0700 would carry over)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    while True:
        staging = final.with_name(f".{final.name}.staging-{unique_token()}")
        try:
            os.mkdir(staging)
        except FileExistsError:
            continue
        return staging


@contextmanager
def temporary_files_in(staging: Path) -> Iterator[Path]:
    """Python's temporary files (openpyxl's sheet data: customer names) go to `staging/.tmp` for
    the duration, and the folder is removed at the end. Worker processes started meanwhile take
    `tempfile.gettempdir()` with them (sheets/run_books.py)."""
    folder = staging / TEMPORARY_DIR
    folder.mkdir(exist_ok=True)
    before = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = before
        shutil.rmtree(folder, ignore_errors=True)


def publish_dir(staging: Path, final: Path) -> None:
    """Swap a fully written run folder into place; a rerun leaves exactly the new files (plus the
    outbox of earlier runs, which the mailer owns, and the folders of KEPT_ACROSS_RERUNS). Under the
    parent folder's lock: a progress run moving its snapshot into `progress/` meanwhile waits for
    these renames (and this for its)."""
    retired = final.with_name(f".{final.name}.old-{os.getpid()}")
    shutil.rmtree(retired, ignore_errors=True)
    with folder_lock(final.parent):
        if final.exists():
            for kept in KEPT_ACROSS_RERUNS:
                if (final / kept).exists() and not (staging / kept).exists():
                    shutil.move(str(final / kept), str(staging / kept))
            os.replace(final, retired)
        os.replace(staging, final)
    shutil.rmtree(retired, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    """Another process with this pid runs (this run's own earlier leftovers are leftovers too)."""
    return pid != os.getpid() and is_running(pid, None)


def _owner_alive(match: re.Match) -> bool:
    pid = match.group("pid") or match.group("old")
    return pid is not None and _pid_alive(int(pid))


def clear_leftovers(final: Path) -> list[Path]:
    """What a killed run of this cutoff left, removed before it runs again; returns what went.

    Its staging folders (`.<date>.staging-*`), retired folders (`.<date>.old-*`) and temporary
    files in the published folder and its outbox. Only this cutoff's names, and nothing whose
    process (the pid in the name) still runs: a run of another warehouse writing to the same
    reports dir keeps its own. A run killed between retiring the published folder and renaming
    the new one into place left no folder at all: the retired one is put back (it is complete)."""
    removed: list[Path] = []
    parent = final.parent
    if not parent.is_dir():
        return removed
    retired = []
    for path in parent.iterdir():
        match = _LEFTOVER.match(path.name)
        if not match or match.group("name") != final.name or _owner_alive(match):
            continue
        if match.group("old") is not None:
            retired.append(path)
        else:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    if retired and not final.exists():
        newest = max(retired, key=lambda p: p.stat().st_mtime)
        os.replace(newest, final)
        retired.remove(newest)
    for path in retired:
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    for folder in (final, *(final / kept for kept in KEPT_ACROSS_RERUNS)):
        for path in folder.glob(".*.tmp") if folder.is_dir() else []:
            match = _TEMPORARY_FILE.match(path.name)
            if match and not (match.group("pid") and _pid_alive(int(match.group("pid")))):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def _path_of(exc: OSError, fallback: Path) -> str:
    return str(exc.filename) if exc.filename else str(fallback)


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOTDIR:
        return "not a folder (a file is in the way)"
    if exc.errno == errno.EEXIST:
        return "not a folder (a file, or a link to something that is not there, is in the way)"
    return exc.strerror or type(exc).__name__


@contextmanager
def output_errors(reports_dir: Path, what: str = "the run's files") -> Iterator[None]:
    """A file-system error on the output side becomes an OutputError: one paragraph naming the
    path and what to do (no traceback), its own exit code, the run recorded failed."""
    try:
        yield
    except OSError as exc:
        raise OutputError(
            f"cannot write {what} under {reports_dir}: {_path_of(exc, reports_dir)}: {_reason(exc)}. Make the "
            "reports dir (--reports-dir or CUTOFF_REPORTS_DIR) a folder this user can write to, on a disk with "
            "free space, then run the same cutoff again: the rerun replaces this cutoff's tables and files, "
            "and sends no purchase order twice.") from None


def prepare_run_folder(final: Path, reports_dir: Path) -> list[Path]:
    """Before a run computes anything: fail at once (OutputError) when its folder cannot be made
    (the nearest existing folder on the way is a file, or not writable), and clear what an earlier
    killed run of this cutoff left. Creates nothing."""
    with output_errors(reports_dir):
        existing = final.parent
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(existing))
        if not os.access(existing, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(existing))
        return clear_leftovers(final)
