"""What is in the inbox right now: its input files (size and modification time) and the ready
markers of the exporting system. The run's wait for a ready inbox (flows/readiness.py) decides
from these."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from inbox.ingest import KINDS

INPUT_FOLDERS = KINDS  # inbox/<folder>; orders always, refunds when it exists


def input_folders(data_dir: Path) -> list[Path]:
    """The folders a ready marker must be in: inbox/orders, and inbox/refunds when it exists."""
    inbox = data_dir / "inbox"
    return [inbox / name for name in INPUT_FOLDERS if name == "orders" or (inbox / name).is_dir()]


def inbox_snapshot(data_dir: Path, marker: str = "") -> dict[str, tuple[int, int]]:
    """Every inbox input file (not the marker, not hidden files): path -> (size, mtime in ns)."""
    found: dict[str, tuple[int, int]] = {}
    for name in INPUT_FOLDERS:
        folder = data_dir / "inbox" / name
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if path.name.startswith(".") or path.name == marker:
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:  # renamed away while we looked
                continue
            if path.is_file():
                found[path.relative_to(data_dir).as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return found


def missing_markers(data_dir: Path, marker: str, instant: datetime) -> list[str]:
    """The input folders whose marker is absent or older than the cutoff instant."""
    missing = []
    for folder in input_folders(data_dir):
        try:
            written = (folder / marker).stat().st_mtime
        except (FileNotFoundError, NotADirectoryError):
            written = None
        if written is None or written < instant.timestamp():
            missing.append(folder.relative_to(data_dir).as_posix())
    return missing
