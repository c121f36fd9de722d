"""What a progress run shows in the Prefect UI (flows/progress_artifacts.py) and the name of its run,
as ops read them: business time, not UTC; the leaders' messages in words; a groups table narrow
enough for the artifact page; prices in ¥ beside the item's name."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import polars as pl

from chat.deliver import describe_deliveries
from flows.naming import expected_run_name, progress_run_name
from flows.progress_artifacts import _named, group_table, render_progress_markdown
from flows.settings import Settings

GROUPS = pl.DataFrame({
    "listing_id": ["L1", "L2"], "pickup_point_id": [None, "P7"], "units": [3, 1_250], "participants": [2, 1_100],
    "would_form": [False, True], "missing_units": [2, 0], "missing_participants": [1, 0], "reached": [0.6, 1.0],
    "price_fen": [None, 1290], "next_price_fen": [4760, None], "participants_to_next_tier": [3, None],
    "stock_left": [None, 40]})
MASTER = SimpleNamespace(listings=pl.DataFrame({"listing_id": ["L1", "L2"], "sku_id": ["K1", "K2"]}),
                         products=pl.DataFrame({"sku_id": ["K1", "K2"], "name": ["冷鲜鸡翅中1kg装", "砂糖橘5斤装"]}))
SUMMARY = {"calendar": "nightly", "cutoff_date": "2026-11-21", "as_of": "2026-11-21T15:00:00+08:00",
           "folder": "/r/nightly/2026-11-21/progress/2026-11-21T150000+0800", "order_lines": 12_345, "listings": 2,
           "groups_not_formed": 1, "messages": {"file": 42, "sent": 2}}


def test_the_markdown_says_the_instant_in_business_time_and_the_messages_in_words():
    markdown = render_progress_markdown(SUMMARY, GROUPS, MASTER)
    assert markdown.startswith("# Group progress nightly 2026-11-21 as of 2026-11-21 15:00\n")
    assert "| leaders' messages | 42 written as a file for the leader to paste (no group bot); " \
           "2 sent to their group bot |" in markdown
    assert "| order lines so far | 12,345 |" in markdown


def test_the_groups_table_is_narrow_and_says_what_is_missing():
    markdown = render_progress_markdown(SUMMARY, GROUPS, MASTER)
    header = next(line for line in markdown.splitlines() if line.startswith("| listing |"))
    assert header.count("|") - 1 == 8  # fits the artifact page at 1600 px: nothing cut off at the right
    assert "| L1 | 冷鲜鸡翅中1kg装 | all | 3 / 2 | 2 unit(s), 1 people | 60% | - | ¥47.60 at +3 people |" in markdown
    assert "| L2 | 砂糖橘5斤装 | P7 | 1,250 / 1,100 | - | 100% | ¥12.90 | - |" in markdown


def test_the_table_artifact_has_the_item_and_prices_in_yuan():
    rows = group_table(_named(GROUPS, MASTER))
    assert [(r["listing_id"], r["item"], r["price"], r["next_price"]) for r in rows] == [
        ("L1", "冷鲜鸡翅中1kg装", None, "¥47.60"), ("L2", "砂糖橘5斤装", "¥12.90", None)]
    assert list(rows[0])[:3] == ["listing_id", "item", "pickup_point_id"] and rows[0]["next_price_fen"] == 4760


def test_the_run_is_named_at_its_instant_in_business_time():
    def name(parameters, scheduled=None):
        return progress_run_name(parameters, scheduled, "Asia/Shanghai")
    # the command line passes an aware instant in UTC: the name said `as of 2026-11-21 07:00:00+00:00`
    assert name({"cutoff_date": "2026-11-21", "as_of": datetime(2026, 11, 21, 7, tzinfo=timezone.utc)}) == \
        "progress nightly 2026-11-21 as of 2026-11-21 15:00"
    assert name({"as_of": "2026-11-21T15:00:00+08:00"}) == "progress nightly (coming) as of 2026-11-21 15:00"
    scheduled = datetime(2026, 11, 21, 3, tzinfo=timezone.utc)  # a scheduled run counts as of its schedule
    assert name({"calendar": "weekly"}, scheduled) == "progress weekly (coming) as of 2026-11-21 11:00"
    assert name({}) == "progress nightly (coming) as of now"


def test_upcoming_progress_notice_and_report_runs_are_named_as_they_will_be():
    """`cutoff serve` names the waiting runs of these deployments too (the Runs page listed
    `majestic-scallop`, `alchemical-gazelle`)."""
    scheduled, settings = datetime(2026, 11, 20, 20, 10, tzinfo=timezone.utc), Settings()
    assert expected_run_name("progress", {"calendar": "nightly"}, scheduled, settings) == \
        "progress nightly (coming) as of 2026-11-21 04:10"
    assert expected_run_name("notice", {"calendar": "nightly"}, scheduled, settings) == \
        "notice nightly (latest) at 2026-11-21 04:10"
    assert expected_run_name("notice", {"calendar": "weekly", "cutoff_date": "2026-11-22"}, None, settings) == \
        "notice weekly 2026-11-22"
    assert expected_run_name("report", {}, scheduled, settings) == "report (the week before)"


def test_every_delivery_status_reads_as_words():
    assert describe_deliveries({"held": 3, "unchanged": 1, "failed": 2}) == (
        "2 failed to post (the next run tries again); 3 kept as files, not sent (this run may not send); "
        "1 unchanged, not sent again")
    assert describe_deliveries({}) == "none"
