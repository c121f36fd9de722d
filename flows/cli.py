"""The `cutoff` command line (also `python -m flows`).

User errors print one paragraph and exit non-zero; they never show a traceback. Per-run values
(the data and reports dirs, the language, the warehouse) go to the flows as parameters, never
through the environment. The commands import what they run when they run it: the environment
Prefect reads at import (PREFECT_HOME, ...) is prepared first, and `cutoff --help` stays quick.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from datetime import date
from pathlib import Path

from errors import UserError
from flows.cli_output import print_deliveries, print_email_warnings, print_po_deliveries, print_summary
from flows.cli_output import warn as _warn

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_ORDERS = 20_000
DEMO_SEED = 7


def _prepare_environment() -> None:
    """Prefect state stays in the project (not ~/.prefect); no telemetry (there is no network)."""
    os.environ.setdefault("PREFECT_HOME", str(PROJECT_ROOT / ".prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    # a busy 2-core machine can take longer than Prefect's default 20 s to start the embedded server
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-21") from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UserError(f"{self.prog}: {message}. See `{self.prog} --help`.")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cutoff", description="The order-cutoff pipeline of a community group-buying platform.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def add_dirs(command):
        command.add_argument("--data-dir", type=Path,
                             help="inputs and the warehouse (default: data, or CUTOFF_DATA_DIR)")
        command.add_argument("--reports-dir", type=Path, help="outputs (default: reports, or CUTOFF_REPORTS_DIR)")

    run = commands.add_parser("run", help="run one cutoff")
    run.add_argument("--calendar", choices=["nightly", "weekly"], default="nightly")
    run.add_argument("--date", type=_date, required=True, help="the cutoff date, YYYY-MM-DD")
    run.add_argument("--force", action="store_true", help="run a cutoff whose instant is in the future")
    run.add_argument("--no-email", action="store_true", help="send no email")
    run.add_argument("--lang", choices=["zh", "en"], help="sheet and email language")
    add_dirs(run)

    backfill = commands.add_parser("backfill", help="run the cutoffs of a date range, oldest first")
    backfill.add_argument("--calendar", choices=["nightly", "weekly", "both"], default="nightly",
                          help="both: every cutoff of the range of both calendars, in turn order (stock pools)")
    backfill.add_argument("--from", dest="start", type=_date, required=True)
    backfill.add_argument("--to", dest="end", type=_date, required=True)
    backfill.add_argument("--no-email", action="store_true")
    add_dirs(backfill)

    settle = commands.add_parser("settle", help="the weekly commission settlement")
    settle.add_argument("--week", required=True, help="ISO week, e.g. 2026-W47")
    settle.add_argument("--force", action="store_true", help="settle a week that has not ended yet, without a warning")
    add_dirs(settle)

    report = commands.add_parser("report", help="the fulfilment timeline and the losses of a range of cutoffs")
    report.add_argument("--from", dest="start", type=_date, required=True, help="the first cutoff date, YYYY-MM-DD")
    report.add_argument("--to", dest="end", type=_date, required=True, help="the last cutoff date, YYYY-MM-DD")
    report.add_argument("--lang", choices=["zh", "en"], help="sheet language")
    add_dirs(report)

    generate = commands.add_parser("generate", help="write a synthetic data set")
    generate.add_argument("--orders", type=int, default=DEMO_ORDERS)
    generate.add_argument("--date", type=_date, required=True)
    generate.add_argument("--seed", type=int, default=DEMO_SEED)
    generate.add_argument("--data-dir", type=Path, required=True)
    generate.add_argument("--no-receipts", action="store_true",
                          help="no goods-in receipts (they apply the cutoff's rules: ~5 s per 200,000 lines)")
    generate.add_argument("--no-pickups", action="store_true",
                          help="no pickup scans (they apply the cutoff's rules too: ~5 s per 200,000 lines)")
    generate.add_argument("--exports", action="store_true",
                          help="instead: 快团团 / 群接龙 .xlsx exports (each layout, --orders orders each) under "
                               "DIR/exports/, for `cutoff init --from-export`")
    from flows.forecast_command import add_forecast_parser, add_history_options
    add_history_options(generate)

    demo = commands.add_parser("demo", help="generate the demo data under data/demo and run its nightly cutoff")
    demo.add_argument("--date", type=_date, help="the demo cutoff date (default: the latest past cutoff)")
    demo.add_argument("--orders", type=int, default=DEMO_ORDERS)

    receive = commands.add_parser("receive", help="the goods-in run of a cutoff: shortages, refunds, payables")
    receive.add_argument("--calendar", choices=["nightly", "weekly"], default="nightly")
    receive.add_argument("--date", type=_date, required=True, help="the cutoff date, YYYY-MM-DD")
    receive.add_argument("--lang", choices=["zh", "en"], help="sheet language")
    receive.add_argument("--no-email", action="store_true", help="accepted; a goods-in run sends no email")
    add_dirs(receive)
    from flows.national_command import add_national_parser
    add_national_parser(commands, _date)
    from flows.export_commands import add_export_parsers
    add_export_parsers(commands, _date)
    from flows.progress_command import add_progress_parsers
    add_progress_parsers(commands, _date)
    from flows.resend_command import add_resend_parser
    add_resend_parser(commands, _date)
    add_forecast_parser(commands, _date)
    from flows.scans_command import add_scans_parser
    add_scans_parser(commands, _date)

    commands.add_parser("serve", help="serve the deployments to the Prefect server at PREFECT_API_URL")
    return parser


def _settings(args):
    from flows.settings import load_settings
    settings = load_settings()
    overrides = {"data_dir": getattr(args, "data_dir", None), "reports_dir": getattr(args, "reports_dir", None),
                 "lang": getattr(args, "lang", None)}
    return settings.with_overrides(**overrides)


def _check_warehouse_free(settings) -> None:
    """Refuse early (before Prefect starts) when another process holds the warehouse."""
    from warehouse.connection import open_warehouse
    if settings.warehouse_path.exists():  # a warehouse not yet made is held by no one
        with open_warehouse(settings.warehouse_path):
            pass


_RESOURCES = contextlib.ExitStack()  # what a command started (a local Prefect server): closed as it ends


_EARLY_SERVER: list = []  # the local Prefect server `_launch_prefect` started booting


def _launch_prefect() -> None:
    """Start this command's local Prefect server booting now (unless PREFECT_API_URL names one),
    so it comes up while the command imports its stages and plans; `_start_prefect` waits for it."""
    from flows.local_server import server_launched_early
    _EARLY_SERVER.append(_RESOURCES.enter_context(server_launched_early(notice=_warn)))


def _start_prefect(local_server: bool = True) -> None:
    """Prefect's logging, minus the tracebacks of what the CLI says in its own words; and, unless
    PREFECT_API_URL names a server, a local Prefect server owned by this command (flows/local_server.py):
    stopped when the command ends, and with it when it is killed."""
    import prefect  # noqa: F401  (sets up Prefect's logging)
    from prefect.logging.configuration import setup_logging
    setup_logging()
    from flows.console import quiet_user_errors_in_console
    quiet_user_errors_in_console()
    if local_server:
        from flows.local_server import prefect_api_for_this_command
        early = _EARLY_SERVER.pop() if _EARLY_SERVER else None
        _RESOURCES.enter_context(prefect_api_for_this_command(notice=_warn, early=early))


def command_run(args) -> int:
    _launch_prefect()
    from flows.cutoff_flow import cutoff_flow
    from flows.planning import plan_run
    from flows.run_inputs import settings_warnings
    settings = _settings(args)
    plan = plan_run(args.calendar, args.date, settings, force=args.force)  # user errors before Prefect starts
    for text in settings_warnings(settings):  # at run start (the run log has it too, for the UI)
        _warn(text.partition(": ")[2])
    _check_warehouse_free(settings)
    _start_prefect()
    summary = cutoff_flow(calendar=args.calendar, cutoff_date=args.date, force=args.force,
                          send_email=not args.no_email, data_dir=str(settings.data_dir),
                          reports_dir=str(settings.reports_dir), progress=True, lang=args.lang)
    print_summary(summary, plan.output_dir)
    print_email_warnings(summary)
    print_po_deliveries(summary)
    for warning in summary.get("warnings", []):  # what this rerun changed under later runs
        for kind in ("goods_in_stale: ", "pool_stale: "):
            if warning.startswith(kind):
                _warn(warning.removeprefix(kind))
    from flows.export_commands import print_export_warnings
    print_export_warnings(summary, _warn)
    return 0


def command_generate(args) -> int:
    from synthetic.dataset import generate_dataset
    if args.orders < 1:
        raise UserError("--orders must be at least 1")
    if args.exports:
        from flows.export_commands import generate_exports
        return generate_exports(args)
    if args.history_weeks is not None:
        from flows.forecast_command import generate_history_command
        return generate_history_command(args, _settings(args))
    result = generate_dataset(args.data_dir, args.orders, args.date, args.seed, receipts=not args.no_receipts)
    if not args.no_pickups:
        from flows.report_commands import generate_pickups
        result["pickup_scans"] = generate_pickups(args.data_dir, args.date, args.seed)
    print(f"wrote a synthetic data set of {args.orders:,} order lines for {args.date} under {args.data_dir}")
    for key, value in result.items():
        if not isinstance(value, (list, dict)):
            print(f"  {key}: {value}")
    return 0


def command_demo(args) -> int:
    from flows.demo_command import run_demo
    return run_demo(args, PROJECT_ROOT, DEMO_SEED, _check_warehouse_free, _start_prefect, print_summary,
                    print_deliveries)


def command_backfill(args) -> int:
    from flows.backfill_flow import backfill_flow
    settings = _settings(args)
    _check_warehouse_free(settings)
    _start_prefect()
    entries = backfill_flow(calendar=args.calendar, start=args.start, end=args.end, send_email=not args.no_email,
                            data_dir=str(settings.data_dir), reports_dir=str(settings.reports_dir), progress=True)
    order = "in turn order" if args.calendar == "both" else "oldest first"
    print(f"backfill {args.calendar} {args.start}..{args.end}: {len(entries)} cutoff(s) done, {order}")
    return 0


def command_settle(args) -> int:
    from flows.settle_flow import settle_flow
    from ledger.settlement import parse_week
    from transforms.money import fen_to_yuan_text
    settings = _settings(args)
    week, _, _ = parse_week(args.week)  # a bad week is refused before Prefect starts
    if not settings.warehouse_path.is_file():
        raise UserError(f"there is no warehouse at {settings.warehouse_path}: run a cutoff first, or pass "
                        "--data-dir (or set CUTOFF_DATA_DIR) to the data dir whose ledger to settle.")
    _check_warehouse_free(settings)
    _start_prefect()
    result = settle_flow(week=week, data_dir=str(settings.data_dir), reports_dir=str(settings.reports_dir),
                         force=args.force)
    state = "already settled (closed); nothing changed" if result.get("already_settled") else "settled"
    print(f"week {week} {state}: {result.get('beneficiaries', 0)} beneficiaries, {result.get('entries', 0)} "
          f"entries, ¥{fen_to_yuan_text(int(result.get('amount_fen', 0)))}")
    print(f"  statements: {settings.reports_dir / 'settlements' / week}/")
    suppliers = result.get("suppliers", [])
    payable = fen_to_yuan_text(int(result.get("payable_fen", 0)))
    print(f"  supplier statements (对账单): {len(suppliers)}, payable ¥{payable} (suppliers/)")
    for warning in result.get("warnings", []):
        print(f"  warning: {warning}")
    return 0


def command_report(args) -> int:
    from flows.report_commands import run_report
    return run_report(args, _settings(args), _check_warehouse_free, _start_prefect)


def command_forecast(args) -> int:
    from flows.forecast_command import run_forecast
    return run_forecast(args, _settings(args), _check_warehouse_free, _start_prefect)


def command_receive(args) -> int:
    from flows.receive_flow import check_cutoff_ran, plan_receive, print_receiving, receive_flow
    settings = _settings(args)
    plan = plan_receive(args.calendar, args.date, settings)  # user errors before Prefect starts
    from warehouse.connection import open_warehouse
    with open_warehouse(settings.warehouse_path) as warehouse:  # held by another run: refused here
        check_cutoff_ran(warehouse, plan.window)
    _start_prefect()
    summary = receive_flow(calendar=args.calendar, cutoff_date=args.date, data_dir=str(settings.data_dir),
                           reports_dir=str(settings.reports_dir), lang=args.lang, progress=True)
    print_receiving(summary, plan.output_dir)
    return 0


def command_scans(args) -> int:
    from flows.scans_command import command_scans as scans
    return scans(args, _settings(args))


def command_national(args) -> int:
    from flows.national_command import command_national as national
    return national(args, lambda: _start_prefect(local_server=False), _warn_free)


def command_progress(args) -> int:
    from flows.progress_command import command_progress as progress
    _launch_prefect()
    return progress(args, _settings(args), _start_prefect)


def command_notice(args) -> int:
    from flows.progress_command import command_notice as notice
    return notice(args, _settings(args), _start_prefect)


def command_resend(args) -> int:
    from flows.resend_command import command_resend as resend
    return resend(args, _settings(args), _check_warehouse_free, _start_prefect, _warn)


def _warn_free(text: str) -> None:
    print(f"cutoff: {text}", file=sys.stderr, flush=True)


def command_init(args) -> int:
    from flows.export_commands import command_init as init
    return init(args, _settings(args))


def command_map_export(args) -> int:
    from flows.export_commands import command_map_export as map_export
    return map_export(args, _settings(args))


def command_serve(args) -> int:
    from flows.deployments import serve_deployments
    _start_prefect(local_server=False)  # serves to the server at PREFECT_API_URL
    serve_deployments()
    return 0


COMMANDS = {"run": command_run, "generate": command_generate, "demo": command_demo,
            "backfill": command_backfill, "serve": command_serve, "settle": command_settle,
            "receive": command_receive, "national": command_national, "report": command_report,
            "init": command_init, "map-export": command_map_export, "resend": command_resend,
            "progress": command_progress, "notice": command_notice, "forecast": command_forecast,
            "scans": command_scans}


def main(argv: list[str] | None = None) -> int:
    _prepare_environment()
    try:
        with _RESOURCES:
            args = build_parser().parse_args(argv)
            handler = COMMANDS.get(args.command)
            if handler is None:
                raise UserError(f"`cutoff {args.command}` is not available in this version yet.")
            return handler(args)
    except UserError as exc:
        print(f"cutoff: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cutoff: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
