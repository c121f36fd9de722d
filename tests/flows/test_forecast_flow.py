"""`cutoff forecast` end to end on a small generated history: the folder and its files, a rerun that
replaces it, a cutoff run after it that changes nothing of it (only the days before D feed it),
each supplier's 明日预估 beside its purchase order (a forecast alone never resends one), the
deployment after each nightly cutoff, the command line."""

from __future__ import annotations

import email
import json
import shutil
from datetime import date, timedelta
from email import policy

import openpyxl
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from errors import UserError
from flows.cutoff_flow import cutoff_flow
from flows.forecast_flow import forecast_flow
from schemas.forecasts import COLUMNS, Forecasts
from synthetic.history import generate_history
from tests.flows.test_cli import assert_user_error, cutoff

D = date(2026, 11, 23)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("forecast") / "data"
    generate_history(data_dir, 150, D, 3, seed=9)
    return data_dir


def run_forecast(data_dir, reports_dir, day=D, horizon=3, lang=None) -> dict:
    return forecast_flow(forecast_date=day, horizon=horizon, data_dir=str(data_dir), reports_dir=str(reports_dir),
                         lang=lang)


def test_the_forecast_folder_a_rerun_and_a_cutoff_after_it(generated, tmp_path, prefect_harness):
    data_dir = tmp_path / "data"
    shutil.copytree(generated, data_dir)
    reports = tmp_path / "reports"
    summary = run_forecast(data_dir, reports)
    folder = reports / "forecast" / D.isoformat()
    assert sorted(p.name for p in folder.iterdir()) == ["forecast.json", "forecast.parquet", "forecast.xlsx"]
    rows = pl.read_parquet(folder / "forecast.parquet")
    assert tuple(rows.columns) == COLUMNS
    Forecasts.validate(rows)
    assert sorted(rows["cutoff_date"].unique().to_list()) == [D, D + timedelta(days=1), D + timedelta(days=2)]
    assert set(rows["level"]) == {"supplier", "sku", "sku_point"} and set(rows["calendar"]) == {"nightly"}
    assert summary["history"] == {"from": "2026-11-02", "to": "2026-11-22", "cutoffs": 21}
    assert json.loads((folder / "forecast.json").read_text())["rows"] == summary["rows"]
    book = openpyxl.load_workbook(folder / "forecast.xlsx", read_only=True)
    assert book.sheetnames[:4] == ["概览", "概览图", "SKU预测", "准确率"]
    assert len(book.sheetnames) == 4 + summary["suppliers"]

    (folder / "stale.txt").write_text("from before")
    run_forecast(data_dir, reports)  # a rerun: the same rows, the folder replaced whole
    assert not (folder / "stale.txt").exists()
    assert_frame_equal(pl.read_parquet(folder / "forecast.parquet"), rows, check_exact=True)

    # D's orders are ingested already; now its cutoff runs too: nothing dated D may reach the forecast of D
    cutoff_flow(calendar="nightly", cutoff_date=D, force=True, send_email=False, data_dir=str(data_dir),
                reports_dir=str(reports))
    run_forecast(data_dir, reports)
    assert_frame_equal(pl.read_parquet(folder / "forecast.parquet"), rows, check_exact=True)


def test_each_supplier_s_estimate_rides_with_its_purchase_order_once(generated, tmp_path, prefect_harness):
    data_dir = tmp_path / "data"
    shutil.copytree(generated, data_dir)
    reports = tmp_path / "reports"
    run_forecast(data_dir, reports, horizon=2)  # covers D and D+1: tomorrow of the cutoff D
    summary = cutoff_flow(calendar="nightly", cutoff_date=D, force=True, send_email=False, data_dir=str(data_dir),
                          reports_dir=str(reports))
    outbox = reports / "nightly" / D.isoformat() / "outbox"
    sent = [s["supplier_id"] for s in summary["suppliers"] if s["email"] == "outbox"]
    assert sent
    with_estimate = 0
    for supplier_id in sent:
        message = email.message_from_bytes((outbox / f"{supplier_id}.eml").read_bytes(), policy=policy.default)
        names = [part.get_filename() for part in message.iter_attachments()]
        if f"明日预估-{D + timedelta(days=1)}-{supplier_id}.xlsx" in names:
            with_estimate += 1
    assert with_estimate >= 1
    run_forecast(data_dir, reports, day=D + timedelta(days=1), horizon=2)  # the forecast after the cutoff
    again = cutoff_flow(calendar="nightly", cutoff_date=D, force=True, send_email=False, data_dir=str(data_dir),
                        reports_dir=str(reports))
    assert {s["email"] for s in again["suppliers"] if s["supplier_id"] in sent} == {"unchanged"}


def test_the_forecast_runs_after_each_nightly_cutoff():
    from flows.deployments import build_deployments
    deployments = {f"{d.flow_name}/{d.name}": d for d in build_deployments(include_settle=False)}
    forecast = deployments["forecast/forecast"]
    (trigger,) = forecast.triggers
    assert trigger.expect == {"prefect.flow-run.Completed"}
    # the Automations page names it beside the alerts and says what it does
    assert trigger.name == "forecast: after the nightly cutoff" and "明日预估" in trigger.description
    assert [spec.root for spec in trigger.match_related] == [
        {"prefect.resource.role": "flow", "prefect.resource.name": "cutoff"},
        {"prefect.resource.role": "deployment", "prefect.resource.name": "nightly"}]
    assert forecast.concurrency_limit == 1 and not forecast.schedules


def test_the_alerts_watch_the_forecast():
    from flows.alerts import alert_specs
    ids = {"cutoff/nightly": "n", "forecast/forecast": "f"}
    failed = next(spec for spec in alert_specs(ids, 30, "http://ui") if spec.key == "failed")
    assert "prefect.deployment.f" in failed.trigger["match_related"]["prefect.resource.id"]


@pytest.mark.parametrize("args, words", [
    (["forecast", "--date", "2026-11-23", "--horizon", "8"], "the forecast covers 1 to 7 nightly cutoffs"),
    (["forecast", "--date", "2026-11-23", "--horizon", "0"], "the forecast covers 1 to 7 nightly cutoffs"),
    (["forecast", "--date", "2026-11-31"], "'2026-11-31' is not a date"),
    (["forecast", "--date", "2026-11-23", "--data-dir", "nowhere"], "there is no warehouse at nowhere"),
    (["generate", "--history-weeks", "0", "--date", "2026-11-23", "--data-dir", "x"], "must be at least 1"),
])
def test_user_errors_before_anything_starts(tmp_path, args, words):
    assert_user_error(cutoff(*args, cwd=tmp_path), words)


def test_cutoff_generate_history_then_cutoff_forecast_on_the_command_line(tmp_path):
    dirs = ["--data-dir", str(tmp_path / "data"), "--reports-dir", str(tmp_path / "reports")]
    made = cutoff("generate", "--history-weeks", "2", "--orders", "120", "--date", "2026-11-23", "--seed", "3",
                  "--data-dir", str(tmp_path / "data"), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "cutoffs_written: 14" in made.stdout
    result = cutoff("forecast", "--date", "2026-11-23", "--horizon", "2", "--lang", "en", *dirs, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "forecast of the nightly cutoffs 2026-11-23..2026-11-24: from 14 cutoffs" in result.stdout
    folder = tmp_path / "reports" / "forecast" / "2026-11-23"
    assert openpyxl.load_workbook(folder / "forecast.xlsx", read_only=True).sheetnames[:4] == [
        "Overview", "Overview chart", "SKU forecast", "Accuracy"]


def test_a_forecast_before_any_cutoff_is_refused(generated):
    from flows.forecast_flow import read_inputs
    from flows.settings import Settings
    from warehouse.connection import open_warehouse
    with open_warehouse(generated / "warehouse.duckdb") as warehouse, pytest.raises(
            UserError, match="no nightly cutoff dated 2026-05-03..2026-10-31 has run"):
        read_inputs(Settings(data_dir=generated), warehouse, date(2026, 11, 1), 7)
