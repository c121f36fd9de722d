"""`cutoff init --from-export FILE... --data-dir DIR [--date D]` and `cutoff map-export FILE
--data-dir DIR`: a data dir from 快团团 / 群接龙 exports alone, and the to-do list of what an
export's texts map to (docs/platform-exports.md). Neither starts Prefect: they read files and
write files; the cutoff run line init prints does the rest.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from errors import UserError

EXPORT_WARNINGS = ("export_amount_mismatch: ", "export_order_number: ", "export_summary_mismatch: ",
                   "export_cancelled: ")
WARNINGS_SHOWN = 20


def add_export_parsers(commands, date_type: Callable) -> None:
    init = commands.add_parser(
        "init", help="build a data dir from 快团团 / 群接龙 .xlsx exports alone (or add a new export to one it made)")
    init.add_argument("--from-export", dest="exports", nargs="+", type=Path, required=True, metavar="FILE",
                      help="the .xlsx exports")
    init.add_argument("--data-dir", type=Path, required=True, help="the data dir to make (or to add to)")
    init.add_argument("--date", type=date_type, help="place the orders in this nightly cutoff's window, in the order "
                                                     "they came (default: the cutoff after the last order)")
    init.add_argument("--price", action="append", default=[], metavar="TEXT=YUAN",
                      help="the unit price of a product the export gives none for, e.g. '苹果=12.50' (repeatable)")
    init.add_argument("--reports-dir", type=Path, help="accepted for the run line it prints")
    init.add_argument("--lang", choices=["zh", "en"], help="accepted; init writes no sheet")
    mapping = commands.add_parser(
        "map-export", help="write the products and pickup places of an export that master/export_map.csv does "
                           "not map to master/export_map.todo.csv")
    mapping.add_argument("file", type=Path, help="the .xlsx export")
    mapping.add_argument("--data-dir", type=Path, help="the data dir (default: data, or CUTOFF_DATA_DIR)")
    mapping.add_argument("--reports-dir", type=Path, help="accepted; map-export writes no report")
    mapping.add_argument("--lang", choices=["zh", "en"], help="accepted; map-export writes no sheet")


def _warn(text: str) -> None:
    print(f"cutoff: warning: {text}", file=sys.stderr, flush=True)


def print_export_warnings(summary: dict, warn: Callable[[str], None] = _warn) -> None:
    """The export warnings of a run's summary on the command line (the first WARNINGS_SHOWN)."""
    found = [w for w in summary.get("warnings", []) if w.startswith(EXPORT_WARNINGS)]
    for text in found[:WARNINGS_SHOWN]:
        warn(text)
    if len(found) > WARNINGS_SHOWN:
        warn(f"... and {len(found) - WARNINGS_SHOWN} more export warnings in summary.json")


def _parse(path: Path, relative: str | None = None):
    from inbox.platform_exports import read_export_file
    from inbox.readers import UnreadableFile
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        return read_export_file(path, relative or path.name)
    except UnreadableFile as exc:
        raise UserError(f"{path}: {exc}") from None


def _prices(texts: list[str]) -> dict[str, int]:
    from transforms.export_cells import CellError, yuan_to_fen
    prices = {}
    for text in texts:
        name, sep, yuan = text.rpartition("=")
        try:
            if not sep or not name.strip():
                raise CellError("")
            prices[name.strip()] = yuan_to_fen(yuan.strip())
        except CellError:
            raise UserError(f"--price {text!r}: write it as PRODUCT=YUAN, e.g. --price '苹果=12.50'") from None
    return prices


def command_init(args, settings) -> int:
    from inbox.export_setup import existing_master, existing_state, write_init
    from transforms.export_init import first_cutoff_at_or_after, plan_init, unpriced_message
    from transforms.export_mapping import place_orders
    from transforms.windows import parse_clock, window_for
    tz, clock = settings.timezone, parse_clock(settings.nightly_at)
    data_dir = args.data_dir
    master = existing_master(data_dir, tz)
    existing = existing_state(master)
    exports = [_parse(path) for path in args.exports]
    placed = {row["group"]: (row["placed_from"], row["placed_to"])
              for row in (master.export_groups.iter_rows(named=True) if master is not None else [])}
    groups = []
    window = window_for("nightly", args.date, tz, clock) if args.date else None
    for parsed in exports:
        if window is not None:
            local = (window.start.replace(tzinfo=None), window.end.replace(tzinfo=None))
            place_orders(parsed, local)
            groups.append({"group": parsed.group, "placed_from": window.start, "placed_to": window.end})
        elif parsed.group in placed:
            start, end = placed[parsed.group]
            place_orders(parsed, (start.astimezone(ZoneInfo(tz)).replace(tzinfo=None),
                                  end.astimezone(ZoneInfo(tz)).replace(tzinfo=None)))
        untimed = [o.order_no for o in parsed.rows.orders if o.ordered_at is None]
        if untimed:
            raise UserError(f"{parsed.file}: {len(untimed)} order(s) have no time (no 支付时间 or 下单时间 column, no "
                            f"说明 sheet with the 下单时间 range): give the cutoff to place them in, --date D. Nothing "
                            f"was written.")
    times = [o.ordered_at for p in exports for o in p.rows.orders]
    if not times:
        raise UserError(f"{', '.join(p.file for p in exports)}: no order to read. Nothing was written.")
    last = max(times).replace(tzinfo=ZoneInfo(tz))
    cutoff_end = window.end if window is not None else first_cutoff_at_or_after(last, tz, clock)
    late = [p.file for p in exports for o in p.rows.orders if o.ordered_at.replace(tzinfo=ZoneInfo(tz)) > cutoff_end]
    if late:
        raise UserError(f"{late[0]}: orders after the cutoff of --date {args.date}: give a later date")
    plan = plan_init(exports, existing, cutoff_end, _prices(args.price), tz)
    if plan.unpriced:
        raise UserError(unpriced_message(plan.unpriced))
    copies = write_init(data_dir, plan, groups, args.exports, tz, new_dir=master is None)
    cutoff_date = cutoff_end.astimezone(ZoneInfo(tz)).date()
    _report_init(data_dir, exports, copies, plan, settings, cutoff_date, cutoff_end, args)
    return 0


def _report_init(data_dir: Path, exports, copies: list[Path], plan, settings, cutoff_date: date,
                 cutoff_end: datetime, args) -> None:
    """What init made, what the exports will give (read through the new master data, as the run
    will), and the run line."""
    from inbox.master import load_master
    from inbox.platform_exports import export_frames, export_master
    from transforms.export_init import describe_plan
    from transforms.export_mapping import describe
    master = load_master(data_dir, settings.timezone)
    mapped = export_master(master.export_map, master.export_groups, master.listings, settings.timezone)
    print(f"{'made' if plan.products or plan.listings else 'updated'} the data dir {data_dir}: "
          f"{describe_plan(plan)}")
    for parsed, copy in zip(exports, copies, strict=True):
        frames = export_frames(_parse(copy, copy.relative_to(data_dir).as_posix()), mapped, settings.timezone)
        print(f"  {describe(parsed)}")
        print(f"    -> {copy.relative_to(data_dir).as_posix()}: {frames.orders.height} order line(s), "
              f"{frames.refunds.height} refund row(s), {frames.rejects.height} row(s) rejected")
        for _, text in frames.warnings[:WARNINGS_SHOWN]:
            _warn(text)
        if len(frames.warnings) > WARNINGS_SHOWN:
            _warn(f"... and {len(frames.warnings) - WARNINGS_SHOWN} more (the run's summary.json lists them all)")
    print("  fill in what the exports cannot say: costs (products.csv cost_fen), the supplier's email "
          "(suppliers.csv), leader commission (categories.csv leader_bp)")
    line = f"cutoff run --calendar nightly --date {cutoff_date.isoformat()} --data-dir {data_dir}"
    if args.reports_dir:
        line += f" --reports-dir {args.reports_dir}"
    if cutoff_end > datetime.now(timezone.utc):
        line += " --force"
    print("next:")
    print(f"  {line}")


def command_map_export(args, settings) -> int:
    from inbox.export_setup import write_todo
    from inbox.master import load_master
    from inbox.platform_exports import export_master
    from transforms.export_mapping import unmapped
    data_dir = settings.data_dir
    if not (data_dir / "master").is_dir():
        raise UserError(f"{data_dir} has no master/ folder: give the data dir with --data-dir (or make one from the "
                        f"export: `cutoff init --from-export {args.file} --data-dir DIR`)")
    master = load_master(data_dir, settings.timezone)
    parsed = _parse(args.file)
    mapped = export_master(master.export_map, master.export_groups, master.listings, settings.timezone)
    names = dict(zip(master.products["sku_id"].to_list(), master.products["name"].to_list(), strict=True))
    todo = unmapped(parsed, mapped, names)
    if not todo:
        print(f"{args.file}: every product and pickup place is in {data_dir / 'master' / 'export_map.csv'}; "
              "nothing to write")
        return 0
    path = write_todo(data_dir, master.export_map, todo)
    products = sum(1 for row in todo if row["field"] == "product")
    print(f"{args.file}: {products} product(s) and {len(todo) - products} pickup place(s) are not mapped: "
          f"{path} lists them (maps_to empty) after the rows export_map.csv holds.")
    print("  fill in maps_to (a sku_id of products.csv, a pickup_point_id of pickup_points.csv), then rename it "
          "to export_map.csv; the next run reads the exports in inbox/orders/ again through it.")
    return 0


def generate_exports(args) -> int:
    """`cutoff generate --exports`: one export in each layout under DIR/exports/."""
    from synthetic.platform_exports import write_exports
    if args.orders < 8:
        raise UserError("--orders: a generated export has at least 8 orders (one for each quirk)")
    paths = write_exports(args.data_dir / "exports", args.date, args.seed, args.orders)
    print(f"wrote {len(paths)} platform exports of {args.orders:,} orders each for {args.date}:")
    for layout, path in paths.items():
        print(f"  {layout:<14} {path}")
    print(f"next: cutoff init --from-export {' '.join(str(p) for p in paths.values())} --data-dir DIR")
    return 0
