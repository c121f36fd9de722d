"""The allocator settings of the run and of its workbook workers (outputs/processes.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from outputs.processes import ALLOCATOR_SETTING, RUN_ALLOCATOR, WORKER_ALLOCATOR, worker_allocator

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("setting", "worker"), [
    (None, WORKER_ALLOCATOR),
    (RUN_ALLOCATOR, WORKER_ALLOCATOR),
    (f"dirty_decay_ms:500,muzzy_decay_ms:1000,{RUN_ALLOCATOR}", WORKER_ALLOCATOR),  # as polars leaves it
    ("narenas:2", "narenas:2"),  # the operator's own: theirs, in the workers too
])
def test_the_workers_allocator(monkeypatch, setting, worker):
    if setting is None:
        monkeypatch.delenv(ALLOCATOR_SETTING, raising=False)
    else:
        monkeypatch.setenv(ALLOCATOR_SETTING, setting)
    assert worker_allocator() == worker


def test_the_workbook_workers_start_with_their_allocator_and_the_run_keeps_its_own():
    """A real pool, spawned from a process that loaded flows/ and polars: the workers' setting ends
    with WORKER_ALLOCATOR (the last options win), the run's still with RUN_ALLOCATOR."""
    probe = (
        "import flows, os, polars\n"
        "from sheets.run_books import _new_pool\n"
        "pool = _new_pool(2)\n"
        "seen = pool.submit(os.getenv, 'ALLOC').result()\n"
        "print(seen); print(os.environ['ALLOC'])\n"
        "pool.shutdown()\n").replace("'ALLOC'", repr(ALLOCATOR_SETTING))
    env = {k: v for k, v in os.environ.items() if k != ALLOCATOR_SETTING} | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[0].endswith(WORKER_ALLOCATOR)  # polars, loaded in the worker, puts its defaults first
    assert out[1].endswith(RUN_ALLOCATOR)
