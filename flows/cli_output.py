"""What the command line prints of a finished cutoff: its figures, and how its purchase orders went
out (the emails' warnings, the supplier systems' answers). Warnings go to stderr, prefixed."""

from __future__ import annotations

import sys
from pathlib import Path


def warn(text: str) -> None:
    print(f"cutoff: warning: {text}", file=sys.stderr, flush=True)


def print_summary(summary: dict, output_dir: Path) -> None:
    from transforms.money import fen_to_yuan_display as yuan
    lines, units, fen = summary["order_lines"], summary["units"], summary["fen"]
    print(f"{summary['calendar']} cutoff {summary['cutoff_date']}: window {summary['window']['start']} .. "
          f"{summary['window']['end']}")
    print(f"  listings closed {summary['listings_closed']}, groups not formed {summary['groups_not_formed']}")
    print(f"  order lines: {lines['eligible']:,} eligible, {lines['allocated']:,} allocated, {lines['cut']:,} cut, "
          f"{lines['rejected']:,} rejected")
    print(f"  units: {units['ordered']:,} ordered, {units['allocated']:,} allocated, {units['purchased']:,} "
          f"purchased, {units['surplus']:,} surplus")
    forfeit = f", deposits forfeited {yuan(fen['forfeit'])}" if fen.get("forfeit") else ""
    print(f"  money: paid {yuan(fen['paid'])}, net {yuan(fen['net'])}, refund {yuan(fen['refund'])}{forfeit}, "
          f"purchase {yuan(fen['purchase_cost'])}")
    for pool in summary.get("pools", []):
        print(f"  stock pool {pool['pool_id']} ({pool['sku_id']}): {pool['units']:,} units; earlier cutoffs took "
              f"{pool['taken_before']:,}, this one {pool['taken_now']:,}; later cutoffs' reserves hold "
              f"{pool['held_later']:,}; {pool['left']:,} left")
    print(f"  suppliers with a purchase order: {len(summary['suppliers'])}"
          f" ({sum(s['below_minimum'] for s in summary['suppliers'])} below their minimum)")
    print(f"  outputs: {output_dir}/ (summary.json/.xlsx, purchase/, sorting/, handout/, labels/, commissions.xlsx, "
          "refunds.csv, rejects.csv, outbox/)")


def print_email_warnings(summary: dict) -> None:
    """One warning line per supplier whose purchase order was not emailed, and one that sums up.
    The run itself succeeded: its data and sheets are complete."""
    failed = [w.removeprefix("email_failed: ") for w in summary.get("warnings", []) if w.startswith("email_failed: ")]
    for text in failed:
        warn(f"purchase order of supplier {text}")
    if failed:
        total = sum(1 for s in summary["suppliers"] if s.get("email") not in ("", "no_address"))
        warn(f"{len(failed)} of {total} purchase order email(s) failed (recorded `failed` in the emails table; "
              f"`email_failed` in summary.json). The data and sheets are complete. Run the same cutoff again "
              f"when the mail server answers: it sends only what has not gone out.")


def print_deliveries(summary: dict) -> None:
    """How the purchase orders went out: the emails' warnings, then the supplier systems' answers."""
    print_email_warnings(summary)
    print_po_deliveries(summary)


def print_po_deliveries(summary: dict) -> None:
    """The purchase orders posted to suppliers' systems (po_transport = api), and those not delivered."""
    from flows.resend_command import print_po_deliveries as print_answers
    print_answers(summary, warn)
