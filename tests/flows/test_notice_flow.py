"""The notice before the goods arrive end to end (real Prefect, a DuckDB file, a real HTTP server as
the leaders' group bots): nothing before the route leaves, one notice per leader when it does, a
revision (修订版) when the goods-in run re-issues a handout, nothing twice for the same content."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from errors import UserError
from flows.cutoff_flow import cutoff_flow
from flows.notice_flow import NoticePlan, notice_flow, plan_notice, render_notice_markdown, send_notices
from flows.receive_flow import receive_flow
from flows.settings import Settings
from tests import datasets, mooncake
from tests.servers import WebhookReceiver
from transforms.notice import departure_after
from transforms.windows import cutoff_date_for_instant, window_for
from warehouse.connection import open_warehouse

pytestmark = pytest.mark.usefixtures("prefect_harness")
SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]


def latest_cutoff():
    day = cutoff_date_for_instant("nightly", datetime.now(timezone.utc))
    return window_for("nightly", day)


def route_leaving_later(window, now: datetime) -> str:
    """A departure time (HH:MM) whose first instant after the cutoff is still ahead of `now`."""
    target = now + (window.end + timedelta(hours=24) - now) / 2
    clock = target.astimezone(SHANGHAI).strftime("%H:%M")
    assert departure_after(window.end, target.astimezone(SHANGHAI).time().replace(second=0, microsecond=0),
                           "Asia/Shanghai") > now
    return clock


@pytest.fixture
def cut(tmp_path):
    """The mooncake example cut at the latest nightly cutoff (so its notices are due now), sold in
    cases of 4; P1 and P2 on route R1 with a group bot each; the cutoff run."""
    window = latest_cutoff()
    data_dir, reports = tmp_path / "data", tmp_path / "reports"
    datasets.mooncake_closing_at(data_dir, window.end, late=False)
    bot = WebhookReceiver(reply=lambda post: (200, {"errcode": 0, "errmsg": "ok"})).__enter__()
    points = [dict(p, webhook=bot.url, webhook_format="wecom", arrives_after_min="70") for p in datasets.PICKUP_POINTS]
    products = [{**datasets.PRODUCTS[0], "case_pack": str(mooncake.CASE_PACK), "cost_fen": str(mooncake.COST_FEN)},
                *datasets.PRODUCTS[1:]]
    listings = (data_dir / "master" / "listings.csv").read_text(encoding="utf-8")
    datasets.write_master(data_dir, pickup_points=points, products=products)
    (data_dir / "master" / "listings.csv").write_text(listings, encoding="utf-8")
    departs = route_leaving_later(window, datetime.now(timezone.utc))
    (data_dir / "master" / "routes.csv").write_text(
        f"route_id,departs_at,contact_name,contact_phone\nR1,{departs},张师傅,13800001111\n", encoding="utf-8")
    cutoff_flow(calendar="nightly", cutoff_date=window.cutoff_date, send_email=False, data_dir=str(data_dir),
                reports_dir=str(reports))
    yield window, data_dir, reports, bot
    bot.__exit__()


def contents(bot) -> list[str]:
    return [post["json"]["text"]["content"] for post in bot.posts()]


@pytest.mark.slow
def test_one_notice_per_leader_then_a_revision_after_the_goods_in_run(cut):
    window, data_dir, reports, bot = cut
    settings = Settings(data_dir=data_dir, reports_dir=reports)
    plan = NoticePlan(window, settings)
    summary = notice_flow(calendar="nightly", cutoff_date=window.cutoff_date, data_dir=str(data_dir),
                          reports_dir=str(reports))
    assert (summary["due"], summary["waiting"], summary["messages"]) == (0, 2, {})  # the route has not left
    assert bot.posts() == []
    departs = departure_after(window.end, datetime.strptime(
        (data_dir / "master" / "routes.csv").read_text().splitlines()[1].split(",")[1], "%H:%M").time(),
        "Asia/Shanghai")
    left = send_notices(plan, now=departs + timedelta(minutes=1))
    assert left["messages"] == {"sent": 2} and left["why"] == "their route has left"
    by_point = {text.splitlines()[0]: text for text in contents(bot)}
    p2 = by_point["【到货通知】阳光花园便利店"].splitlines()
    arrives = (departs + timedelta(minutes=70)).astimezone(SHANGHAI)
    assert p2[1].endswith("截单的团购：今日订单共 9 件、2 位顾客，请准备提货。")
    assert p2[2].startswith(f"预计到达：{arrives.month}月{arrives.day}日") and f"{arrives:%H:%M}（线路 R1 " in p2[2]
    assert p2[-1] == "联系：张师傅 13800001111" and "赵敏(8888)：流心奶黄月礼盒 4 盒" in p2
    assert send_notices(plan, now=departs + timedelta(minutes=11))["messages"] == {"unchanged": 2}

    # the goods come in short: D (赵敏, P2) goes without 2 boxes; the goods-in run sends P2 a revision
    datasets.write_receipts(data_dir, [datasets.receipt("GR-1", mooncake.RECEIVED, mooncake.DAMAGED,
                                                        cutoff_date=window.cutoff_date.isoformat())])
    receiving = receive_flow(calendar="nightly", cutoff_date=window.cutoff_date, data_dir=str(data_dir),
                             reports_dir=str(reports))
    assert receiving["notices"]["messages"] == {"sent": 1, "unchanged": 1}
    assert receiving["notices"]["why"] == "the goods-in run decided"
    revised = contents(bot)[-1].splitlines()
    assert revised[0] == "【到货通知·修订版 2】阳光花园便利店"
    assert revised[1] == "（更正：以本条为准，替代之前的到货通知）"
    assert revised[2].endswith("今日订单共 7 件、2 位顾客，请准备提货。")
    assert "缺货：流心奶黄月礼盒 少 2 盒（赵敏 8888），已退款" in revised
    assert "赵敏(8888)：流心奶黄月礼盒 2 盒" in revised
    # the same goods-in run again: nothing new
    assert receive_flow(calendar="nightly", cutoff_date=window.cutoff_date, data_dir=str(data_dir),
                        reports_dir=str(reports))["notices"]["messages"] == {"unchanged": 2}
    assert len(bot.posts()) == 3
    folder = reports / "nightly" / window.cutoff_date.isoformat() / "notice"
    assert (folder / "P2.txt").read_text(encoding="utf-8").startswith("【到货通知·修订版 2】阳光花园便利店")
    log = [json.loads(line) for line in (folder / "messages.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted((e["pickup_point_id"], e["revision"], e["reason"]) for e in log) == \
        [("P1", 1, "departed"), ("P2", 1, "departed"), ("P2", 2, "goods_in")]
    # a cutoff rerun rewrites its folder and keeps the notices
    cutoff_flow(calendar="nightly", cutoff_date=window.cutoff_date, send_email=False, data_dir=str(data_dir),
                reports_dir=str(reports))
    assert (folder / "messages.jsonl").is_file() and (folder / "P2.txt").is_file()


def test_a_notice_of_a_cutoff_to_come_is_refused(tmp_path):
    settings = Settings(data_dir=tmp_path, reports_dir=tmp_path)
    with pytest.raises(UserError, match="has not happened yet"):
        plan_notice("nightly", datetime(2099, 1, 1).date(), settings, now=datetime.now(timezone.utc))


@pytest.mark.slow
def test_the_notice_reads_the_warehouse_briefly_and_a_writer_waits_for_it(cut, tmp_path):
    """A run opening the warehouse while the notice reads it waits the moment (LOCK_GRACE_SECONDS)."""
    window, data_dir, reports, bot = cut
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
         "print('reading', flush=True); time.sleep(1.5)", str(data_dir / "warehouse.duckdb")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "reading"
        started = time.monotonic()
        with open_warehouse(data_dir / "warehouse.duckdb") as warehouse:  # the cutoff's own way in
            assert warehouse.scalar("SELECT count(*) FROM runs") == 1
        assert 0.5 < time.monotonic() - started < 5
    finally:
        holder.wait(timeout=30)


def test_a_scheduled_notice_before_its_cutoff_ran_has_nothing_to_send(tmp_path):
    """Every ten minutes in the morning: before the cutoff has run, a quiet run, not a failure (the
    cutoff's own alert speaks); asked for that cutoff by date, the reason is an error."""
    data_dir = datasets.write_master(tmp_path / "data")
    quiet = notice_flow(calendar="nightly", data_dir=str(data_dir), reports_dir=str(tmp_path / "reports"))
    assert quiet["messages"] == {} and "there is no warehouse" in quiet["not_sent"]
    with pytest.raises(UserError, match="there is no warehouse"):
        notice_flow(calendar="nightly", cutoff_date=latest_cutoff().cutoff_date, data_dir=str(data_dir),
                    reports_dir=str(tmp_path / "reports"))


def test_the_artifact_lists_what_to_act_on_first():
    """A failed post first, then what went out, `unchanged` last, whatever the points' ids."""
    results = [{"pickup_point_id": f"P{i:04d}", "status": "unchanged", "revision": 1, "detail": ""} for i in range(60)]
    results.append({"pickup_point_id": "P4000", "status": "failed", "revision": 2, "detail": "HTTP 502 | bad gateway"})
    results.append({"pickup_point_id": "P3000", "status": "sent", "revision": 2, "detail": ""})
    summary = {"calendar": "nightly", "cutoff_date": "2026-11-21", "folder": "n", "due": 62, "why": "the goods-in run "
               "decided", "waiting": 0, "no_departure": 0, "not_sent": None}
    markdown = render_notice_markdown(summary, results)
    rows = [line for line in markdown.splitlines() if line.startswith("| P")]
    assert rows == ["| P4000 | failed | 2 | HTTP 502 / bad gateway |", "| P3000 | sent | 2 |  |"]
    assert "failed 1 · sent 1 · unchanged 60" in markdown.splitlines()
    assert "60 pickup point(s) unchanged since their last notice: not sent again (notices.json lists them)." in markdown
    many = [{"pickup_point_id": f"P{i:04d}", "status": "sent", "revision": 1, "detail": ""} for i in range(62)]
    rows = [line for line in render_notice_markdown(summary, many).splitlines() if line.startswith("| P")]
    assert len(rows) == 50 and "... and 12 more: notices.json has them all." in render_notice_markdown(summary, many)
