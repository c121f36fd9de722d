"""`cutoff report`: the command's checks (before Prefect starts) and what it prints."""

from __future__ import annotations

import sys

from errors import UserError
from flows.report_flow import resolve_range


def print_report(result: dict, timezone: str) -> None:
    from datetime import datetime

    from sheets.labels import local_text
    from transforms.money import fen_to_yuan_display as yuan
    units, fen = result["units"], result["fen"]
    share = "-" if result["collected_share"] is None else f"{result['collected_share'] * 100:.1f}%"
    rate = "-" if result["loss_rate"] is None else f"{result['loss_rate'] * 100:.1f}%"
    scans = result["pickups"]
    if not result["cutoffs"]:
        print(f"cutoff: warning: no cutoff dated {result['from']}..{result['to']} has run successfully: the "
              "workbooks are empty. Run the cutoffs first (`cutoff run`, `cutoff backfill`), or check the dates.",
              file=sys.stderr)
    as_of = local_text(datetime.fromisoformat(result["as_of"]), timezone)
    print(f"report {result['from']}..{result['to']}: {result['cutoffs']} cutoff(s); pickup states as of "
          f"{as_of} {timezone} ({'final' if result['final'] else 'open: some lines are within their deadline'})")
    print(f"  pickup scans: {scans['files']} new file(s), {scans['rows']:,} rows, {scans['loaded']:,} loaded, "
          f"{scans['rejected']:,} rejected")
    print(f"  units: {units['to_hand_out']:,} to hand out, {units['collected']:,} collected ({share}), "
          f"{units['unpicked']:,} unpicked, {units['waiting']:,} waiting")
    print(f"  losses: {units['lost']:,} of {units['purchased']:,} units purchased ({rate}), "
          f"{yuan(fen['lost'])} at cost")
    books = "fulfilment.xlsx, losses.xlsx" + (", products.xlsx" if "products" in result else "")
    print(f"  outputs: {result['folder']}/ ({books}, report.json)")


def run_report(args, settings, check_warehouse_free, start_prefect) -> int:
    from flows.report_flow import report_flow
    start, end = resolve_range(args.start, args.end, settings)  # a bad range before Prefect starts
    if not settings.warehouse_path.is_file():
        raise UserError(f"there is no warehouse at {settings.warehouse_path}: run a cutoff first, or pass "
                        "--data-dir (or set CUTOFF_DATA_DIR) to the data dir to report on.")
    check_warehouse_free(settings)
    start_prefect()
    result = report_flow(start=start, end=end, data_dir=str(settings.data_dir),
                         reports_dir=str(settings.reports_dir), lang=args.lang,
                         warehouse=str(settings.warehouse_path))
    print_report(result, settings.timezone)
    return 0


def generate_pickups(data_dir, day, seed: int) -> int:
    """`cutoff generate`: pickup scans of the lines the nightly cutoff of `day` will hand out; returns
    how many."""
    from datetime import datetime

    from flows.settings import load_settings
    from synthetic.pickups import expected_handout, make_pickup_scans, write_pickup_scans
    from transforms.windows import parse_clock
    settings = load_settings()
    nightly_at = parse_clock(settings.nightly_at)
    cutoff_at = datetime.combine(day, nightly_at)
    lines = expected_handout(data_dir, day, settings.timezone, nightly_at)
    scans = make_pickup_scans(lines, cutoff_at, seed)
    write_pickup_scans(scans, data_dir, day)
    return scans.height


def demo_report(settings, day, seed: int) -> str:
    """`cutoff demo`, after its cutoff and goods-in run: pickup scans of the lines handed out (as the
    leaders would scan them over the next days), then the report of that day. The report is made
    as of the end of the pickup deadline when that is still ahead: the demo shows the finished week."""
    from datetime import datetime, timedelta, timezone

    from flows.report_flow import report_flow
    from synthetic.pickups import make_pickup_scans, write_pickup_scans
    from transforms.windows import parse_clock, window_for
    from warehouse.connection import open_warehouse
    window = window_for("nightly", day, settings.timezone, parse_clock(settings.nightly_at))
    with open_warehouse(settings.warehouse_path) as warehouse:
        lines = warehouse.frame("""
            SELECT a.order_id, a.line_no, a.pickup_point_id FROM allocations a
            LEFT JOIN (SELECT order_id, line_no, sum(units_short) AS units_short FROM shortages
                       WHERE calendar = 'nightly' AND cutoff_date = ? GROUP BY ALL) s USING (order_id, line_no)
            WHERE a.calendar = 'nightly' AND a.cutoff_date = ?
              AND a.qty_allocated - coalesce(s.units_short, 0) > 0""", [day, day])
    cutoff_at = window.end.replace(tzinfo=None)
    write_pickup_scans(make_pickup_scans(lines, cutoff_at, seed), settings.data_dir, day)
    deadline = window.end + timedelta(hours=settings.pickup_hours)
    result = report_flow(start=day, end=day, data_dir=str(settings.data_dir), reports_dir=str(settings.reports_dir),
                         warehouse=str(settings.warehouse_path), now=max(datetime.now(timezone.utc), deadline))
    print_report(result, settings.timezone)
    return result["folder"]
