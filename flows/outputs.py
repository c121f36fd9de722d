"""Files a run leaves under the reports dir: written under temporary names, then renamed."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import polars as pl

KEPT_ACROSS_RERUNS = ("outbox",)  # emails already written stay; the mailer decides what changes


def run_dir(reports_dir: Path, calendar: str, cutoff_date) -> Path:
    return reports_dir / calendar / str(cutoff_date)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, payload: dict) -> None:
    atomic_write_text(path, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def write_csv(path: Path, frame: pl.DataFrame) -> None:
    """UTF-8 CSV with a header (no BOM), written atomically."""
    atomic_write_bytes(path, frame.write_csv().encode("utf-8"))


def new_staging_dir(final: Path) -> Path:
    final.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.staging-"))


def publish_dir(staging: Path, final: Path) -> None:
    """Swap a fully written run folder into place; a rerun leaves exactly the new files (plus the
    outbox of earlier runs, which the mailer owns)."""
    if final.exists():
        for kept in KEPT_ACROSS_RERUNS:
            if (final / kept).exists() and not (staging / kept).exists():
                shutil.move(str(final / kept), str(staging / kept))
        retired = final.with_name(f".{final.name}.old-{os.getpid()}")
        shutil.rmtree(retired, ignore_errors=True)
        os.replace(final, retired)
        os.replace(staging, final)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, final)
