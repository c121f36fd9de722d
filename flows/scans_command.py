"""`cutoff scans FILE --data-dir DIR [--pickup-point P]`: a scanner's file of pickup codes -> a file
of inbox/pickups/ for `cutoff report` (inbox/scans.py, transforms/scans.py; docs/labels.md).

Prints how many codes it took and the lines it took them to, then `line N: why` for each line it
turned down; exits 1 when it turned some down (the others are taken), 0 when none. No Prefect:
it reads the warehouse and writes one file."""

from __future__ import annotations

import sys
from pathlib import Path


def add_scans_parser(commands, date_type=None) -> None:
    scans = commands.add_parser(
        "scans", help="pickup codes as a scanner saved them (one a line) -> rows for inbox/pickups/")
    scans.add_argument("file", type=Path, help="the scanner's file: one code a line, optionally followed by a "
                                               "space, tab or comma and the time (2026-11-22 10:15:00)")
    scans.add_argument("--pickup-point", help="the pickup point where they were scanned: a code of another "
                                              "point's order is turned down")
    scans.add_argument("--data-dir", type=Path, help="the data folder (default: data, or CUTOFF_DATA_DIR)")
    scans.add_argument("--reports-dir", type=Path, help="accepted, as every command; scans writes no report")
    scans.add_argument("--lang", choices=["zh", "en"], help="accepted, as every command")


def command_scans(args, settings) -> int:
    from errors import UserError
    from inbox.scans import take_scans
    from warehouse.connection import open_warehouse
    if not settings.warehouse_path.is_file():
        raise UserError(f"there is no warehouse at {settings.warehouse_path}: pass --data-dir (or set "
                        "CUTOFF_DATA_DIR) to the data dir whose handout lists were printed.")
    with open_warehouse(settings.warehouse_path) as warehouse:
        result = take_scans(warehouse, settings.data_dir, args.file, settings.timezone, args.pickup_point)
    del warehouse
    where = result.output.relative_to(settings.data_dir).as_posix() if result.output.exists() else "no file"
    print(f"{args.file}: took {result.taken} of {result.codes} code(s): {result.rows.height} order line(s) -> "
          f"{where}")
    for line, _, reason in result.rejected.iter_rows():
        print(f"line {line}: {reason}")
    if result.rejected.height:
        print(f"cutoff: {result.rejected.height} line(s) turned down; the others were taken", file=sys.stderr)
        return 1
    return 0
