"""Each supplier's 明日预估 (tomorrow's estimate) beside its purchase order: after a nightly cutoff D,
the latest forecast that covers the nightly cutoff D+1 (outputs/forecasts.py) gives every supplier
with rows in it a small workbook (sheets/estimate_book.py), written to the run folder's
`estimates/<supplier_id>.xlsx` and attached to its email.

Non-binding, and outside the purchase order's content hash (mail/message.py `content_hash`): a
forecast that changes alone never sends a purchase order again; a PO that goes out (first, or as
a revision) carries the estimate of the latest forecast at that moment. Without a forecast that
covers D+1 the emails go without it (the run's log says so)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import polars as pl

from mail.message import PurchaseOrderMail
from outputs.forecasts import latest_forecast_covering
from sheets.estimate_book import write_estimate_book
from transforms.windows import CutoffWindow


def attach_estimates(mails: list[PurchaseOrderMail], window: CutoffWindow, reports_dir: Path, run_dir: Path,
                     products: pl.DataFrame, lang: str) -> tuple[list[PurchaseOrderMail], str]:
    """The mails with their estimate (where the supplier has one), and a line for the run's log."""
    if window.calendar != "nightly" or not mails:
        return mails, ""
    tomorrow = window.cutoff_date + timedelta(days=1)
    stored = latest_forecast_covering(reports_dir, tomorrow)
    if stored is None:
        return mails, f"no forecast covers the nightly cutoff {tomorrow}: the purchase orders go without 明日预估"
    attached = []
    for mail in mails:
        rows = stored.rows.filter((pl.col("supplier_id") == mail.supplier_id) & (pl.col("level") == "sku"))
        if not rows.filter(pl.col("cutoff_date") == tomorrow).height:
            attached.append(mail)
            continue
        path = run_dir / "estimates" / f"{mail.supplier_id}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_estimate_book(path, rows, products, supplier=f"{mail.supplier_id} {mail.supplier_name}".strip(),
                            day=tomorrow, made_for=stored.made_for, lang=lang)
        attached.append(replace(mail, estimate=path, estimate_date=tomorrow))
    count = sum(1 for m in attached if m.estimate is not None)
    return attached, (f"明日预估 of {tomorrow} from the forecast of {stored.made_for}: {count} of {len(mails)} "
                      "supplier(s)")
