"""Advisory locks (flock) between the processes that write beside each other under the reports dir.

- `folder_lock(folder)`: held for a few renames at a time: a cutoff publishing its run folder
  (outputs/run_folder.py `publish_dir`) and `cutoff progress` / the notice moving their folders and
  records into it. Neither waits longer than the other's renames.
- `exclusive(path)`: one writer at a time of something longer (the progress runs of one cutoff
  deciding and recording what they send), on a lock file of its own.

A lock goes with the process: a killed holder frees it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive flock on the folder itself (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """An exclusive flock on `lock_file` (made if missing, never removed: it is empty)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)
