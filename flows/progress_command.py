"""`cutoff progress` and `cutoff notice`: their arguments, their checks before Prefect starts, and
what they print (docs/progress.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path


def _add_dirs(command) -> None:
    command.add_argument("--data-dir", type=Path, help="inputs (default: data, or CUTOFF_DATA_DIR)")
    command.add_argument("--reports-dir", type=Path, help="outputs (default: reports, or CUTOFF_REPORTS_DIR)")


def add_progress_parsers(commands, date_type: Callable) -> None:
    progress = commands.add_parser(
        "progress", help="what the coming cutoff would decide on the orders so far (成团进度), and the leaders' "
                         "messages; writes nothing the cutoff owns")
    progress.add_argument("--calendar", choices=["nightly", "weekly"], default="nightly")
    progress.add_argument("--date", type=date_type, help="the cutoff date, YYYY-MM-DD (default: the coming cutoff)")
    progress.add_argument("--as-of", dest="as_of", help="an ISO 8601 instant before the cutoff (no offset: business "
                                                        "time); default now. A past instant sends nothing")
    progress.add_argument("--no-send", action="store_true", help="write the leaders' messages as files only")
    progress.add_argument("--lang", choices=["zh", "en"], help="language of progress.xlsx")
    _add_dirs(progress)

    notice = commands.add_parser(
        "notice", help="the notice before the goods arrive (到货通知) to each leader of a cutoff, once per content")
    notice.add_argument("--calendar", choices=["nightly", "weekly"], default="nightly")
    notice.add_argument("--date", type=date_type, help="the cutoff date, YYYY-MM-DD (default: the latest cutoff)")
    notice.add_argument("--no-send", action="store_true", help="write the notices as files only")
    _add_dirs(notice)


def print_progress(summary: dict) -> None:
    from chat.deliver import describe_deliveries
    from flows.progress_artifacts import local_instant
    messages = describe_deliveries(summary["messages"])
    print(f"progress {summary['calendar']} {summary['cutoff_date']} as of {local_instant(summary['as_of'])}: "
          f"{summary['order_lines']:,} order line(s) so far, {summary['listings']:,} listing(s), "
          f"{summary['groups_not_formed']:,} group(s) would not form now")
    print(f"  leaders' messages: {messages}")
    print(f"  outputs: {summary['folder']}/ (progress.json, progress.xlsx, messages/, deliveries.json)")


def command_progress(args, settings, start_prefect: Callable[[], None]) -> int:
    from flows.progress_flow import parse_as_of, plan_progress, progress_flow
    as_of = parse_as_of(args.as_of, settings.timezone) if args.as_of else None
    now = datetime.now(timezone.utc)
    # user errors before Prefect starts; the instant is fixed here, so the run counts as of the command
    plan = plan_progress(args.calendar, args.date, as_of or now, settings, now=now, send=not args.no_send)
    start_prefect()
    summary = progress_flow(calendar=args.calendar, cutoff_date=plan.window.cutoff_date, as_of=plan.as_of,
                            send=not args.no_send, data_dir=str(settings.data_dir),
                            reports_dir=str(settings.reports_dir), lang=args.lang, progress=True)
    print_progress(summary)
    return 0


def print_notice(summary: dict) -> None:
    from chat.deliver import describe_deliveries
    counts = describe_deliveries(summary["messages"])
    print(f"notice {summary['calendar']} {summary['cutoff_date']}: {summary['due']} pickup point(s) due "
          f"({summary['why']}); {summary['waiting']} wait for their route to leave, {summary['no_departure']} for "
          "the goods-in run (their route has no departure in master/routes.csv)")
    if summary.get("not_sent"):
        print(f"  nothing was sent: {summary['not_sent']}")
    print(f"  notices: {counts}")
    print(f"  outputs: {summary['folder']}/")


def command_notice(args, settings, start_prefect: Callable[[], None]) -> int:
    from flows.notice_flow import notice_flow, plan_notice
    plan = plan_notice(args.calendar, args.date, settings, now=datetime.now(timezone.utc))
    start_prefect()
    summary = notice_flow(calendar=args.calendar, cutoff_date=plan.window.cutoff_date, send=not args.no_send,
                          data_dir=str(settings.data_dir), reports_dir=str(settings.reports_dir), progress=True)
    print_notice(summary)
    return 0
