"""`cutoff demo`: a seeded demo data set under data/demo, its nightly cutoff, goods-in run and
fulfilment report, then the mooncake story of its stock pools (一盘货): the weekly deposit presale
holding 20% of each pool and, the next evening, its buyers' group, on what the nightly group buy
left.

The demo's date D is the Friday of the last week whose story has passed (its Sunday's weekly
cutoff and the Monday's nightly one), so every run is of a past cutoff; `--date D` picks another
(a story still ahead is run anyway, forced, as the demo runs everything)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

SUNDAY = 6


def demo_dates(latest_nightly: date) -> tuple[date, date, date]:
    """(D, its Sunday S, S + 1) for the latest nightly cutoff that has passed: S + 1 is at most that
    cutoff, so all three have passed; D is the Friday before S."""
    monday = latest_nightly - timedelta(days=latest_nightly.weekday())  # S + 1 <= latest_nightly
    sunday = monday - timedelta(days=1)
    return sunday - timedelta(days=2), sunday, monday


def story_dates(day: date) -> tuple[date, date]:
    """The Sunday of D's ISO week and the Monday after it."""
    sunday = day + timedelta(days=SUNDAY - day.weekday())
    return sunday, sunday + timedelta(days=1)


def run_demo(args, project_root: Path, seed: int, check_warehouse_free, start_prefect, print_summary,
             print_email_warnings) -> int:
    from flows.cutoff_flow import cutoff_flow
    from flows.planning import plan_run
    from flows.settings import load_settings
    from synthetic.dataset import generate_dataset
    from transforms.windows import cutoff_date_for_instant, parse_clock
    settings = load_settings()
    latest = cutoff_date_for_instant("nightly", datetime.now(timezone.utc), settings.timezone,
                                     parse_clock(settings.nightly_at))
    day = args.date or demo_dates(latest)[0]
    sunday, monday = story_dates(day)
    data_dir = project_root / "data" / "demo"
    reports_dir = project_root / "reports" / "demo"
    settings = settings.with_overrides(data_dir=data_dir, reports_dir=reports_dir,
                                       warehouse=data_dir / "warehouse.duckdb")
    # seeded: the same date gives the same files, which the registry then knows and skips
    print(f"generating {args.orders:,} demo order lines for {day} under {data_dir} ...")
    generate_dataset(data_dir, args.orders, day, seed)
    plan = plan_run("nightly", day, settings, force=True)
    check_warehouse_free(settings)
    start_prefect()

    def cutoff(calendar: str, cutoff_date: date) -> dict:
        return cutoff_flow(calendar=calendar, cutoff_date=cutoff_date, force=True, send_email=True,
                           data_dir=str(data_dir), reports_dir=str(reports_dir), progress=True,
                           warehouse=str(settings.warehouse_path))
    summary = cutoff("nightly", day)
    print_summary(summary, plan.output_dir)
    print_email_warnings(summary)
    from flows.receive_flow import print_receiving, receive_flow
    print(f"\nthe morning after: the goods-in run of {day} (receipts in {data_dir / 'inbox' / 'receipts'}) ...")
    receiving = receive_flow(calendar="nightly", cutoff_date=day, data_dir=str(data_dir),
                             reports_dir=str(reports_dir), warehouse=str(settings.warehouse_path), progress=True)
    print_receiving(receiving, plan.output_dir / "receiving")
    print(f"\nThe sheets are in {plan.output_dir}: purchase orders in purchase/, sorting sheets in sorting/, "
          f"handout lists in handout/; supplier emails in outbox/; the goods-in run in receiving/ (shortages.xlsx, "
          f"refunds.csv, re-issued 修订版 sorting/ and handout/).")
    from flows.report_commands import demo_report
    print(f"\nthe days after: the pickup scans of {day}, then the fulfilment report and the losses ...")
    folder = demo_report(settings, day, seed)
    print(f"The fulfilment report and the losses: {folder}/ (fulfilment.xlsx, losses.xlsx).")

    print(f"\none stock, three ways to sell it (一盘货): the nightly group buys of {day} drew on the stock pools "
          f"(master/pools.csv) while the weekly deposit presales held 20% of them; now the presales close on "
          f"Sunday {sunday} (unpaid balances forfeit their deposit), then their buyers' groups on {monday} ...")
    for calendar, cutoff_date in (("weekly", sunday), ("nightly", monday)):
        story = cutoff(calendar, cutoff_date)
        print_summary(story, plan_run(calendar, cutoff_date, settings, force=True).output_dir)
    print(f"Each run's summary.xlsx has the pools on its sheet 一盘货; the presale's forfeited deposits are in its "
          f"figures (reports/demo/weekly/{sunday}/).")
    return 0
