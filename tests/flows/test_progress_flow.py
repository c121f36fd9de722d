"""`cutoff progress` end to end (real Prefect, real files): at several instants of a generated day
its figures are what `cutoff run` then decides when nothing more is ordered; the same inbox and
instant give the same progress.json; it writes nothing the cutoff owns; the leaders' messages go to
their group bots (a real HTTP server) once per content and never after the cutoff."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pytest

from errors import UserError
from flows.cutoff_flow import cutoff_flow
from flows.progress_flow import figures, plan_progress, progress_flow
from flows.settings import Settings
from inbox.readers import read_table
from synthetic.dataset import generate_dataset
from tests import datasets
from tests.servers import WebhookReceiver
from transforms.staging import parse_instant

pytestmark = pytest.mark.usefixtures("prefect_harness")
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 21)


def visible_inbox(source: Path, target: Path, as_of: datetime) -> None:
    """The data dir as it would have been had nothing been ordered or changed after `as_of`: the
    master data, and every order file cut to its rows created and updated by then."""
    shutil.copytree(source / "master", target / "master")
    (target / "inbox" / "orders").mkdir(parents=True)
    instant = pl.lit(as_of.astimezone(timezone.utc)).cast(pl.Datetime("us", "UTC"))
    for path in sorted((source / "inbox" / "orders").iterdir()):
        raw = read_table(path)
        created = parse_instant(pl.col("created_at"), "Asia/Shanghai")
        updated = parse_instant(pl.coalesce(pl.col("updated_at"), pl.col("created_at")), "Asia/Shanghai")
        kept = raw.filter((created <= instant) & (updated <= instant)).drop("_row")
        (target / "inbox" / "orders" / f"{path.stem}.csv").write_text(kept.write_csv(), encoding="utf-8")


def warehouse_rows(data_dir: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).pl()


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("day") / "data"
    generate_dataset(data_dir, 1500, DAY, 11, receipts=False)
    return data_dir


@pytest.mark.slow
@pytest.mark.parametrize("clock", ["10:00", "15:30", "19:59:59"])
def test_progress_is_what_the_cutoff_then_decides(generated, tmp_path, clock):
    as_of = datetime.combine(DAY, datetime.strptime(clock, "%H:%M" if len(clock) == 5 else "%H:%M:%S").time(),
                             SHANGHAI)
    settings = Settings(data_dir=generated, reports_dir=tmp_path / "progress-reports")
    plan = plan_progress("nightly", DAY, as_of, settings, now=datetime.now(timezone.utc), send=False)
    rows = figures.fn(plan).rows  # on the whole inbox, later rows included

    then = tmp_path / "then"
    visible_inbox(generated, then, as_of)
    cutoff_flow(calendar="nightly", cutoff_date=DAY, send_email=False, data_dir=str(then),
                reports_dir=str(tmp_path / "reports"))
    groups = warehouse_rows(then, "SELECT * FROM groups")
    allocations = warehouse_rows(then, "SELECT * FROM allocations")
    listings = warehouse_rows(then, "SELECT listing_id, stock_cap FROM listings")

    checked = 0
    for row in rows.iter_rows(named=True):
        platform = row["group_scope"] == "platform"
        if (row["pickup_point_id"] is None) != platform:
            continue  # the row of a group: a platform listing's own, a pickup-point listing's point rows
        group = groups.filter((pl.col("listing_id") == row["listing_id"])
                              & pl.col("group_pickup_point_id").eq_missing(row["pickup_point_id"]))
        if group.height == 0:
            assert (row["units"], row["would_form"]) == (0, False)
            continue
        decided = group.row(0, named=True)
        assert (row["units"], row["participants"], row["would_form"]) == \
            (decided["units"], decided["participants"], decided["is_formed"]), row
        lines = allocations.filter((pl.col("listing_id") == row["listing_id"]) & (pl.col("qty_allocated") > 0))
        if not platform:
            lines = lines.filter(pl.col("pickup_point_id") == row["pickup_point_id"])
        if row["would_form"] and lines.height:
            assert set(lines["final_unit_price_fen"]) == {row["price_fen"]}, row
        checked += 1
    assert checked > 20
    for row in rows.filter(pl.col("pickup_point_id").is_null()).iter_rows(named=True):
        of_listing = allocations.filter(pl.col("listing_id") == row["listing_id"])
        formed = groups.filter((pl.col("listing_id") == row["listing_id"]) & pl.col("is_formed"))["units"].sum()
        assert of_listing["qty_allocated"].sum() == formed - (row["units_case_cut"] or 0), row
        cut = of_listing.filter(pl.col("cut_reason") == "case_not_filled")
        assert (cut.height > 0) <= ((row["units_case_cut"] or 0) > 0)
        cap = listings.filter(pl.col("listing_id") == row["listing_id"])["stock_cap"][0]
        assert row["stock_left"] == (None if cap is None else cap - row["units"])
    point_rows = rows.filter(pl.col("pickup_point_id").is_not_null() & (pl.col("group_scope") == "platform")
                             & pl.col("would_form") & pl.col("units_case_cut").fill_null(0).eq(0))
    held = allocations.group_by("listing_id", "pickup_point_id").agg(pl.col("qty_allocated").sum())
    joined = point_rows.join(held, on=["listing_id", "pickup_point_id"], how="left")
    assert joined.height > 50 and (joined["units"] == joined["qty_allocated"]).all()


@pytest.mark.slow
def test_the_same_inbox_and_instant_give_the_same_progress_and_nothing_the_cutoff_owns(tmp_path):
    data_dir = datasets.mooncake_data_dir(tmp_path / "data")
    reports = tmp_path / "reports"

    def run() -> dict:
        return progress_flow(calendar="nightly", cutoff_date=DAY, as_of=datetime(2026, 11, 21, 9, 3, 30,
                                                                                  tzinfo=SHANGHAI),
                             data_dir=str(data_dir), reports_dir=str(reports))
    first = run()
    folder = Path(first["folder"])
    assert folder == reports / "nightly" / "2026-11-21" / "progress" / "2026-11-21T090330+0800"
    before = json.loads((folder / "progress.json").read_text(encoding="utf-8"))
    second = run()
    after = json.loads((folder / "progress.json").read_text(encoding="utf-8"))
    assert second["folder"] == first["folder"]
    assert {k: v for k, v in before.items() if k != "generated_at"} == \
        {k: v for k, v in after.items() if k != "generated_at"}
    listing = next(r for r in after["rows"] if r["listing_id"] == "L1" and r["pickup_point_id"] is None)
    assert (listing["units"], listing["participants"], listing["would_form"], listing["stock_left"],
            listing["next_price_fen"], listing["participants_to_next_tier"]) == (12, 4, True, 0, 30800, 6)
    assert all(set(r) == set(after["rows"][0]) for r in after["rows"])  # every key on every row
    assert after["as_of"] == "2026-11-21T09:03:30+08:00" and after["order_lines"] == 4
    # nothing the cutoff owns: no warehouse at all, and the run folder holds progress/ alone
    assert not (data_dir / "warehouse.duckdb").exists()
    assert [p.name for p in (reports / "nightly" / "2026-11-21").iterdir()] == ["progress"]
    assert sorted(p.name for p in folder.iterdir()) == ["deliveries.json", "messages", "progress.json",
                                                        "progress.xlsx"]
    assert (folder / "messages" / "P1.txt").read_text(encoding="utf-8").startswith("【成团进度】幸福里3栋\n")


def coming_cutoff(now: datetime) -> datetime:
    local = now.astimezone(SHANGHAI)
    cutoff = local.replace(hour=20, minute=0, second=0, microsecond=0)
    return cutoff if cutoff > local + timedelta(minutes=5) else cutoff + timedelta(days=1)


def live_data_dir(data_dir: Path, bot_url: str, orders: list[dict]) -> datetime:
    """The mooncake listings closing at the coming 20:00 (open since two days before), P1 and P2 with
    a group bot at `bot_url`, and `orders` placed in the last hour."""
    cutoff = coming_cutoff(datetime.now(timezone.utc))
    stamp = lambda t: t.isoformat(timespec="seconds")  # noqa: E731
    listings = [dict(row, opens_at=stamp(cutoff - timedelta(days=2)), closes_at=stamp(cutoff))
                for row in datasets.LISTINGS]
    points = [dict(p, webhook=bot_url, webhook_format="wecom") for p in datasets.PICKUP_POINTS]
    datasets.write_master(data_dir, listings=listings, pickup_points=points)
    datasets.write_orders(data_dir, orders)
    return cutoff


def placed(minutes_ago: int) -> str:
    return (datetime.now(SHANGHAI) - timedelta(minutes=minutes_ago)).isoformat(timespec="seconds")


@pytest.mark.slow
def test_messages_go_to_the_group_bots_once_per_content(tmp_path):
    data_dir, reports = tmp_path / "data", tmp_path / "reports"
    with WebhookReceiver(reply=lambda post: (200, {"errcode": 0, "errmsg": "ok"})) as bot:
        orders = [datasets.order("A", "cA", 2, placed(50)), datasets.order("B", "cB", 5, placed(40), point="P2")]
        cutoff = live_data_dir(data_dir, bot.url, orders)

        def run() -> dict:
            return progress_flow(calendar="nightly", cutoff_date=cutoff.date(), data_dir=str(data_dir),
                                 reports_dir=str(reports))
        first = run()
        assert first["messages"] == {"sent": 2}
        texts = {post["json"]["text"]["content"].splitlines()[0]: post["json"]["text"]["content"]
                 for post in bot.posts()}
        assert set(texts) == {"【成团进度】幸福里3栋", "【成团进度】阳光花园便利店"}
        assert "1. 流心奶黄月礼盒：本小区已售 2 份；全团已售 7 件，还差 1 人成团，成团价 ¥328；仅剩 5 份" in \
            texts["【成团进度】幸福里3栋"]
        assert run()["messages"] == {"unchanged": 2}  # the same figures a moment later: nothing again
        assert len(bot.posts()) == 2
        datasets.write_orders(data_dir, [datasets.order("C", "cC", 1, placed(1), point="P2")], name="orders-2.csv")
        assert run()["messages"] == {"sent": 2}  # the group formed: both leaders hear it once
        assert "1. 流心奶黄月礼盒：本小区已售 6 份；已成团，¥328；再 7 人享 ¥308；仅剩 4 份" in \
            bot.posts()[-1]["json"]["text"]["content"] + bot.posts()[-2]["json"]["text"]["content"]
        tangerines = datasets.order("D", "cD", 1, placed(1), listing="L2", price=2990, point="P2")
        datasets.write_orders(data_dir, [tangerines], name="orders-3.csv")
        assert run()["messages"] == {"sent": 1, "unchanged": 1}  # P2 sold 砂糖橘 too; P1's figures are the same
    posts = bot.posts()
    assert len(posts) == 5
    assert posts[-1]["json"]["text"]["content"].splitlines()[:4] == [
        "【成团进度】阳光花园便利店",
        f"截单时间：{cutoff.month}月{cutoff.day}日(周{'一二三四五六日'[cutoff.weekday()]}) 20:00",
        "1. 流心奶黄月礼盒：本小区已售 6 份；已成团，¥328；再 7 人享 ¥308；仅剩 4 份",
        "2. 砂糖橘：本小区已售 1 份；已成团，¥29.90"]
    log = [json.loads(line) for line in
           (reports / "nightly" / cutoff.date().isoformat() / "progress" / "messages.jsonl").read_text().splitlines()]
    assert sorted((e["pickup_point_id"], e["revision"]) for e in log) == [("P1", 1), ("P1", 2), ("P2", 1), ("P2", 2),
                                                                          ("P2", 3)]
    assert all(e["status"] == "sent" and e["webhook"].endswith("/hook") for e in log)


@pytest.mark.slow
def test_nothing_is_sent_for_a_past_instant_nor_after_the_cutoff(tmp_path):
    data_dir, reports = tmp_path / "data", tmp_path / "reports"
    with WebhookReceiver(reply=lambda post: (200, {"errcode": 0})) as bot:
        cutoff = live_data_dir(data_dir, bot.url, [datasets.order("A", "cA", 2, placed(50))])
        earlier = progress_flow(calendar="nightly", cutoff_date=cutoff.date(), data_dir=str(data_dir),
                                reports_dir=str(reports), as_of=datetime.now(timezone.utc) - timedelta(minutes=30))
        assert earlier["messages"] == {"held": 1}
        datasets.mooncake_data_dir(tmp_path / "past")  # a cutoff that has passed: 2026-11-21 20:00
        points = [dict(p, webhook=bot.url, webhook_format="wecom") for p in datasets.PICKUP_POINTS]
        datasets.write_master(tmp_path / "past", pickup_points=points)
        past = progress_flow(calendar="nightly", cutoff_date=DAY, as_of=datetime(2026, 11, 21, 19, 0, tzinfo=SHANGHAI),
                             data_dir=str(tmp_path / "past"), reports_dir=str(reports))
        assert past["messages"] == {"held": 2}
    assert bot.posts() == []
    deliveries = json.loads((Path(past["folder"]) / "deliveries.json").read_text(encoding="utf-8"))
    assert deliveries["not_sent"] == "the cutoff (2026-11-21 20:00) has passed"
    assert (Path(past["folder"]) / "messages" / "P1.txt").is_file()  # the messages are there to read


@pytest.mark.parametrize("as_of, words", [
    (datetime(2026, 11, 21, 20, 0, tzinfo=SHANGHAI), "is not before the nightly 2026-11-21 cutoff"),
    (datetime(2099, 1, 1, tzinfo=SHANGHAI), "is in the future"),
])
def test_an_instant_the_progress_cannot_be_of(tmp_path, as_of, words):
    settings = Settings(data_dir=tmp_path, reports_dir=tmp_path)
    with pytest.raises(UserError, match=words):
        plan_progress("nightly", DAY, as_of, settings, now=datetime.now(timezone.utc))


@pytest.mark.slow
def test_listings_without_any_order_yet(tmp_path):
    data_dir = datasets.write_master(tmp_path / "data")
    summary = progress_flow(calendar="nightly", cutoff_date=DAY, as_of=datetime(2026, 11, 21, 8, 0, tzinfo=SHANGHAI),
                            data_dir=str(data_dir), reports_dir=str(tmp_path / "reports"))
    assert (summary["order_lines"], summary["listings"], summary["messages"]) == (0, 2, {})
    rows = json.loads((Path(summary["folder"]) / "progress.json").read_text(encoding="utf-8"))["rows"]
    assert [(r["listing_id"], r["units"], r["would_form"], r["missing_units"]) for r in rows] == \
        [("L1", 0, False, 1), ("L2", 0, False, 1)]


def test_the_presale_story_over_the_day_one_stock_pool_and_the_buyers_group(tmp_path):
    """The rulebook's presale worked example (tests/presale_story.py) seen by `cutoff progress` on
    the day of EXC, the buyers' group and the pool's last turn: before the weekly presale (PRE)
    has run, its turn is named and counts as nothing taken yet; once it has, the figures are what
    the cutoff of EXC then decides, to the unit: x9 is not a presale buyer, the pool's 6 are left."""
    from tests import presale_story as story
    data_dir = datasets.presale_story_data_dir(tmp_path / "data")
    reports = tmp_path / "reports"
    exc_day = date.fromisoformat(story.EXC_DATE)

    def progress() -> dict:
        summary = progress_flow(calendar="nightly", cutoff_date=exc_day, data_dir=str(data_dir),
                                reports_dir=str(reports), as_of=datetime(2026, 11, 23, 19, 0, tzinfo=SHANGHAI),
                                send=False)
        return json.loads((Path(summary["folder"]) / "progress.json").read_text(encoding="utf-8"))

    cutoff_flow(calendar="nightly", cutoff_date=story.GRP_DATE, data_dir=str(data_dir), reports_dir=str(reports),
                send_email=False)
    early = progress()
    assert early["pool_turns_not_run"] == ["weekly 2026-11-22"]
    exc = next(r for r in early["rows"] if r["listing_id"] == "EXC" and r["pickup_point_id"] is None)
    # 40 - 27 (GRP) - nothing yet from PRE: 13 shared; EXC holds 2 + 3 + 3 of its members' 9
    assert (exc["units"], exc["pool_left"]) == (8, 5)

    cutoff_flow(calendar="weekly", cutoff_date=story.PRE_DATE, data_dir=str(data_dir), reports_dir=str(reports),
                send_email=False)
    late = progress()
    assert late["pool_turns_not_run"] == []
    exc = next(r for r in late["rows"] if r["listing_id"] == "EXC" and r["pickup_point_id"] is None)
    assert (exc["units"], exc["participants"], exc["pool_left"]) == (sum(story.EXC_ALLOCATED.values()), 3, 0)
    decided = cutoff_flow(calendar="nightly", cutoff_date=story.EXC_DATE, data_dir=str(data_dir),
                          reports_dir=str(reports), send_email=False)
    assert decided["units"]["allocated"] == exc["units"] and decided["pools"][0]["left"] == exc["pool_left"]
