"""`cutoff report` on the command line: user errors before anything starts; the range of a
scheduled run; the report deployment and its weekly schedule."""

from __future__ import annotations

from datetime import date

import pytest

from flows.report_flow import previous_week
from tests.flows.test_cli import assert_user_error, cutoff


@pytest.mark.parametrize("args, words", [
    (["report", "--from", "2026-11-21", "--to", "2026-11-20"], "the range ends (2026-11-20) before it starts"),
    (["report", "--from", "2026-11-31", "--to", "2026-12-01"], "'2026-11-31' is not a date"),
    (["report", "--from", "2025-01-01", "--to", "2026-11-20"], "longer than 366 days"),
    (["report", "--from", "2026-11-01", "--to", "2026-11-30", "--data-dir", "nowhere"],
     "there is no warehouse at nowhere/warehouse.duckdb: run a cutoff first"),
    (["report", "--from", "2026-11-01"], "the following arguments are required: --to"),
])
def test_user_errors_before_anything_starts(tmp_path, args, words):
    assert_user_error(cutoff(*args, cwd=tmp_path), words)


@pytest.mark.parametrize("day, week", [
    (date(2026, 12, 2), (date(2026, 11, 23), date(2026, 11, 29))),   # a Wednesday: the week before
    (date(2026, 11, 30), (date(2026, 11, 23), date(2026, 11, 29))),  # a Monday
    (date(2026, 11, 29), (date(2026, 11, 16), date(2026, 11, 22))),  # a Sunday: its week is not over
])
def test_a_scheduled_report_covers_the_iso_week_before(day, week):
    assert previous_week(day) == week


def test_the_report_deployment_runs_every_wednesday_morning():
    from flows.deployments import build_deployments
    deployments = {f"{d.flow_name}/{d.name}": d for d in build_deployments(include_settle=False)}
    report = deployments["report/report"]
    assert [(s.schedule.cron, s.schedule.timezone) for s in report.schedules] == [("0 9 * * 3", "Asia/Shanghai")]
    assert report.concurrency_limit == 1


@pytest.mark.slow
def test_cutoff_report_on_the_command_line(tmp_path):
    from tests import datasets
    from tests.fulfilment_data import write_scans
    data_dir = datasets.mooncake_data_dir(tmp_path / "data")
    dirs = ["--data-dir", str(data_dir), "--reports-dir", str(tmp_path / "reports")]
    assert cutoff("run", "--date", "2026-11-21", "--no-email", *dirs, cwd=tmp_path).returncode == 0
    write_scans(data_dir, [{"order_id": "A", "line_no": "1", "picked_up_at": "2026-11-22T09:00:00",
                            "pickup_point_id": "P1"},
                           {"order_id": "B", "line_no": "1", "picked_up_at": "2026-11-22T10:00:00",
                            "pickup_point_id": "P2"}])
    result = cutoff("report", "--from", "2026-11-21", "--to", "2026-11-21", *dirs, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "pickup states as of 2026-11-23 20:00 Asia/Shanghai (final)" in result.stdout
    assert "19 to hand out, 7 collected (36.8%), 12 unpicked, 0 waiting" in result.stdout
    folder = tmp_path / "reports" / "analysis" / "2026-11-21_2026-11-21"
    assert (folder / "losses.xlsx").is_file() and (folder / "products.xlsx").is_file()
    assert "(fulfilment.xlsx, losses.xlsx, products.xlsx, report.json)" in result.stdout  # every file it wrote
    empty = cutoff("report", "--from", "2026-10-01", "--to", "2026-10-07", *dirs, cwd=tmp_path)
    assert empty.returncode == 0 and "no cutoff dated 2026-10-01..2026-10-07 has run successfully" in empty.stderr
