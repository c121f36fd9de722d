"""Prefect and the entry points only: the flows and their thin tasks, the run plan and run names,
deployments, alerts, artifacts, settings and the command line (docs/architecture.md)."""

import os

from outputs.processes import ALLOCATOR_SETTING, RUN_ALLOCATOR

# Polars' allocator (jemalloc) keeps freed pages for later by default, so a run's resident memory is the
# high-water mark of every stage so far, and the workbook workers start beside it. Returning them at once
# keeps a 1M-line run under 2 GiB for a few percent of time (benchmarks/README.md); the workers keep
# theirs a second (sheets/run_books.py). Set before polars loads: every entry point (the CLI, a
# deployment's flow run) imports flows/ first. An operator's own setting wins.
os.environ.setdefault(ALLOCATOR_SETTING, RUN_ALLOCATOR)
