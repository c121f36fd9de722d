"""Run a command and measure it as an operator would feel it: wall time, and the peak resident
memory of its whole process tree (the command, its Prefect server, its workbook workers), sampled
from /proc every 50 ms. The stderr lines the command prints are kept (`cutoff run` prints each
stage with its time).

    .venv/bin/python benchmarks/measure.py -- .venv/bin/cutoff run --date 2026-11-21 --no-email ...
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measured:
    """What one command cost: exit code, wall seconds, peak tree RSS in MiB, its stderr lines."""

    returncode: int
    seconds: float
    peak_rss_mb: float
    peak_processes: int
    stderr: list[str] = field(default_factory=list)
    at_peak: list[tuple[str, float]] = field(default_factory=list)  # (process, MiB) at the tree's peak
    samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds from start, tree MiB)
    line_times: list[float] = field(default_factory=list)  # when each stderr line came (seconds from start)

    def peak_between(self, start: float, end: float) -> float:
        """The tree's peak MiB sampled between two instants (seconds from the start)."""
        return max((mib for at, mib in self.samples if start <= at <= end), default=0.0)


def _children() -> dict[int, list[int]]:
    """parent pid -> child pids, from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry))
    return tree


def _rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _name(pid: int) -> str:
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    text = " ".join(w.decode(errors="replace") for w in words if w)
    if "prefect" in text and "server" in text:
        return "prefect server"
    if "multiprocessing" in text:
        return "workbook worker"
    return Path(words[0].decode(errors="replace")).name if len(words) < 2 else \
        " ".join(Path(w.decode(errors="replace")).name for w in words[:3] if w)


def tree_processes(root: int) -> list[tuple[int, str, int]]:
    """(pid, what it is, resident bytes) of `root` and all its descendants."""
    tree = _children()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append((pid, _name(pid), _rss_bytes(pid)))
        todo.extend(tree.get(pid, []))
    return found


def tree_rss(root: int) -> tuple[int, int]:
    """Resident bytes of `root` and all its descendants, and how many processes that is."""
    found = tree_processes(root)
    return sum(rss for _, _, rss in found), len(found)


def measure(command: list[str], env: dict[str, str] | None = None, echo: bool = True) -> Measured:
    """Run `command` to its end, sampling its process tree's memory."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env=env, start_new_session=True)
    peak = [0, 0]
    at_peak: list[tuple[str, float]] = []
    samples: list[tuple[float, float]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            found = tree_processes(process.pid)
            rss = sum(size for _, _, size in found)
            if rss > peak[0]:
                at_peak[:] = [(name, size / 2**20) for _, name, size in found]
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], len(found))
            samples.append((time.perf_counter() - started, rss / 2**20))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    lines, line_times = [], []
    assert process.stderr is not None
    for line in process.stderr:
        lines.append(line.rstrip("\n"))
        line_times.append(time.perf_counter() - started)
        if echo:
            print(f"    {time.perf_counter() - started:6.1f}s {lines[-1]}", flush=True)
    returncode = process.wait()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return Measured(returncode, seconds, peak[0] / 2**20, peak[1], lines, at_peak, samples, line_times)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    result = measure(args)
    print(f"exit {result.returncode}, {result.seconds:.1f} s wall, peak RSS {result.peak_rss_mb:,.0f} MiB "
          f"over up to {result.peak_processes} processes")
    print("  at the peak: " + ", ".join(f"{name} {size:,.0f}" for name, size in result.at_peak))
    sys.exit(result.returncode)
