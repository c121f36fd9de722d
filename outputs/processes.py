"""Processes this project starts, and how it knows them again: by pid AND start time (a pid is
reused), never by name. Linux: `/proc` and `prctl(PR_SET_PDEATHSIG)`; elsewhere the checks fall back
to `kill(pid, 0)` and a child does not die with its parent (the pidfile cleanup still applies)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

# Polars' allocator (jemalloc): the run returns freed pages at once (its frames are large and short-
# lived, and the workbook workers start beside it); the workers keep them a second (they render many
# small books, and returning every page at once cost them ~15% in page faults). benchmarks/README.md.
ALLOCATOR_SETTING = "_RJEM_MALLOC_CONF"
RUN_ALLOCATOR = "dirty_decay_ms:0,muzzy_decay_ms:0"
WORKER_ALLOCATOR = "dirty_decay_ms:1000,muzzy_decay_ms:1000"


def worker_allocator() -> str:
    """The allocator setting for a workbook worker: WORKER_ALLOCATOR, unless the operator set
    their own (then theirs, as the run's). Polars puts its defaults before the setting as it loads
    (its options first, ours after them win)."""
    current = os.environ.get(ALLOCATOR_SETTING)
    return WORKER_ALLOCATOR if current is None or current.endswith(RUN_ALLOCATOR) else current

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """In a child process: be killed (SIGKILL) when the parent dies; exit now if it already has.

    Linux only (elsewhere a no-op). The "parent" is the thread that started the child: start
    children from a thread that outlives them."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


def process_start_time(pid: int) -> int | None:
    """The process's start time (clock ticks since boot, /proc/<pid>/stat field 22), None when
    there is no such process (or no /proc). With the pid it names one process: a pid is reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
    return int(fields[19]) if fields[0] != "Z" else None  # a zombie has finished


def is_running(pid: int, start_time: int | None) -> bool:
    """Is the process that had this pid and start time still there?"""
    if pid <= 0:
        return False
    if Path("/proc").is_dir():
        started = process_start_time(pid)
        return started is not None and (start_time is None or started == start_time)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
