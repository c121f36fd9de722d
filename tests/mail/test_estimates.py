"""明日预估 beside the purchase order (mail/estimates.py, outputs/forecasts.py): the latest forecast
that covers tomorrow, each supplier's own rows, a non-binding workbook attached; a forecast that
changes alone sends nothing again."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import openpyxl
import polars as pl

from mail.estimates import attach_estimates
from outputs.forecasts import latest_forecast_covering
from tests.mail import test_mailer
from tests.mail.test_mailer import NIGHTLY, XLSX, emails_rows, make_mail, send, smtp_settings

run_dir, smtp_server, warehouse = test_mailer.run_dir, test_mailer.smtp_server, test_mailer.warehouse  # fixtures

TOMORROW = date(2026, 11, 22)
PRODUCTS = pl.DataFrame({"sku_id": ["SKU1", "SKU2", "SKU9"], "name": ["流心奶黄月礼盒", "砂糖橘", "别家的"],
                         "spec": ["6枚/盒", "5斤/箱", ""], "unit": ["盒", "箱", "个"], "case_pack": [6, 1, 1]})


def write_forecast(reports_dir: Path, made: date, p50: float = 12.0, days: int = 3) -> Path:
    """A forecast.parquet as `cutoff forecast` writes it: S1's SKU1 and SKU2, S2's SKU9."""
    rows = []
    for i in range(days):
        day = made + timedelta(days=i)
        for supplier, sku, units in (("S1", "SKU1", p50), ("S1", "SKU2", 3.0), ("S2", "SKU9", 1.0)):
            rows.append({"level": "sku", "calendar": "nightly", "cutoff_date": day, "sku_id": sku,
                         "supplier_id": supplier, "pickup_point_id": None, "units_p10": units * 0.8,
                         "units_p50": units, "units_p90": units * 1.3, "cases_p10": 1, "cases_p50": 2,
                         "cases_p90": 3, "method": "tsb"})
    path = reports_dir / "forecast" / made.isoformat() / "forecast.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(rows).write_parquet(path)
    return path


def test_the_latest_forecast_that_covers_tomorrow_is_used(tmp_path):
    reports = tmp_path / "reports"
    assert latest_forecast_covering(reports, TOMORROW) is None
    write_forecast(reports, date(2026, 11, 19), days=2)  # covers 11-19, 11-20: not tomorrow
    assert latest_forecast_covering(reports, TOMORROW) is None
    write_forecast(reports, date(2026, 11, 20))  # 11-20..11-22
    write_forecast(reports, date(2026, 11, 23))  # made after tomorrow: not what this cutoff could know
    (reports / "forecast" / ".2026-11-21.staging-1").mkdir()
    found = latest_forecast_covering(reports, TOMORROW)
    assert found.made_for == date(2026, 11, 20)
    assert found.rows["cutoff_date"].unique().to_list() == [TOMORROW]


def test_each_supplier_gets_its_own_estimate_and_the_email_says_it_binds_nothing(tmp_path, run_dir):
    reports = tmp_path / "reports"
    write_forecast(reports, date(2026, 11, 21))
    mails, line = attach_estimates([make_mail(run_dir), make_mail(run_dir, "S3")], NIGHTLY, reports, run_dir,
                                   PRODUCTS, "zh")
    assert line == "明日预估 of 2026-11-22 from the forecast of 2026-11-21: 1 of 2 supplier(s)"
    s1, s3 = mails
    assert s3.estimate is None  # no row of its own in the forecast
    assert s1.estimate == run_dir / "estimates" / "S1.xlsx" and s1.estimate_date == TOMORROW
    sheet = openpyxl.load_workbook(s1.estimate, read_only=True).worksheets[0]
    cells = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    text = "\n".join(str(c) for row in cells for c in row if c is not None)
    assert "仅供备货参考，不构成订单" in text and "SKU9" not in text  # another supplier's SKU never shows
    skus = {row[0]: row for row in cells if row and row[0] in ("SKU1", "SKU2")}
    assert skus["SKU1"][6] == 12.0 and skus["SKU2"][6] == 3.0  # P50 of tomorrow
    assert skus["SKU1"][9] == 12.0  # the day after tomorrow's P50, in its own column


def test_without_a_forecast_the_purchase_orders_go_without_it(tmp_path, run_dir):
    mails, line = attach_estimates([make_mail(run_dir)], NIGHTLY, tmp_path / "reports", run_dir, PRODUCTS, "zh")
    assert mails[0].estimate is None and "no forecast covers the nightly cutoff 2026-11-22" in line


def test_the_estimate_travels_with_the_po_and_a_forecast_alone_never_resends_it(smtp_server, warehouse, run_dir,
                                                                               tmp_path):
    server = smtp_server()
    settings = smtp_settings(server.port)
    reports = tmp_path / "reports"
    write_forecast(reports, date(2026, 11, 21), p50=12.0)
    mails, _ = attach_estimates([make_mail(run_dir)], NIGHTLY, reports, run_dir, PRODUCTS, "zh")
    assert send(warehouse, mails, settings, run_dir) == {"S1": "sent"}
    message = server.messages()[0]
    attachments = [(part.get_filename(), part.get_content_type()) for part in message.iter_attachments()]
    assert attachments[1] == ("明日预估-2026-11-22-S1.xlsx", XLSX)
    body = message.get_body(("plain",)).get_content()
    assert "明日预估" in body and "不构成订单" in body

    write_forecast(reports, date(2026, 11, 22), p50=99.0)  # a newer forecast, and the PO unchanged
    write_forecast(reports, date(2026, 11, 21), p50=50.0)
    again, _ = attach_estimates([make_mail(run_dir)], NIGHTLY, reports, run_dir, PRODUCTS, "zh")
    assert send(warehouse, again, settings, run_dir) == {"S1": "unchanged"}
    assert len(server.envelopes) == 1 and [r["status"] for r in emails_rows(warehouse)] == ["sent"]


def test_a_weekly_cutoff_attaches_nothing(tmp_path, run_dir):
    from transforms.windows import window_for
    write_forecast(tmp_path / "reports", date(2026, 11, 23))
    weekly = window_for("weekly", date(2026, 11, 22))
    mails, line = attach_estimates([make_mail(run_dir)], weekly, tmp_path / "reports", run_dir, PRODUCTS, "zh")
    assert mails[0].estimate is None and line == ""
