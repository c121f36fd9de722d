"""The leaders' progress messages (成团进度): per pickup point, a short Chinese text for its group,
made of the progress rows of that point (transforms/progress.py). Pure: frames in, texts out.

    【成团进度】幸福里3栋
    截单时间：11月21日(周六) 20:00
    1. 流心奶黄月礼盒：本小区已售 6 份；全团已售 8 件，还差 2 件成团；再 3 人享 ¥308
    2. 砂糖橘：本小区已售 8 份；已成团，¥29.90；再 4 件凑满整箱；仅剩 2 份
    （截至 15:00）
    邀请邻居一起下单，早成团、享低价！

Listings at risk come first (not formed, closest to forming; then formed, closest to the next
tier). A channel may limit a message's size (企业微信: 2048 bytes): lines that do not fit are
summed up in one line, "……另有 N 个商品". The `content` of a message is its text without the
as-of line: a message goes out again only when its content changed.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

import polars as pl

from transforms.progress import reached_share

MESSAGE_COLUMNS = ["pickup_point_id", "leader_id", "leader_name", "point_name", "listings", "content_hash",
                   "content", "text"]
LOW_STOCK = 20  # stock left at or below this is shown (仅剩 N 份)
WEEKDAYS = "一二三四五六日"
FOOTER = "邀请邻居一起下单，早成团、享低价！"


def yuan_short(fen: pl.Expr) -> pl.Expr:
    """¥308 for whole yuan, ¥29.90 otherwise (integer arithmetic)."""
    whole = (fen // 100).cast(pl.String)
    cents = (fen % 100).cast(pl.String).str.zfill(2)
    return pl.when(fen % 100 == 0).then(pl.format("¥{}", whole)).otherwise(pl.format("¥{}.{}", whole, cents))


def local_day_time(instant: datetime, timezone: str) -> str:
    """'11月21日(周六) 20:00' in the business time zone."""
    local = instant.astimezone(ZoneInfo(timezone))
    return f"{local.month}月{local.day}日(周{WEEKDAYS[local.weekday()]}) {local:%H:%M}"


def local_time(instant: datetime, timezone: str) -> str:
    return f"{instant.astimezone(ZoneInfo(timezone)):%H:%M}"


def _joined(parts: list[pl.Expr], separator: str) -> pl.Expr:
    return pl.concat_str(parts, separator=separator, ignore_nulls=True)


def listing_line() -> pl.Expr:
    """One listing at one point, from a point row with its listing's name and scope. The words are
    the platform's own (本小区已售 XX 份, 还差 N 件成团): 份 for what customers bought or may still
    buy, 件 for what the group needs."""
    platform = pl.col("group_scope") == "platform"
    missing_units = pl.when(pl.col("missing_units") > 0).then(pl.format("{} 件", pl.col("missing_units")))
    people = pl.col("missing_participants")
    missing_people = pl.when(people > 0).then(pl.format("{} 人", people))
    short = pl.format("还差 {}成团", _joined([missing_units, missing_people], "、"))
    whole_group = pl.when(platform).then(pl.format("全团已售 {} 件", pl.col("_group_units")))
    # a group short of people: its next tier is the one it forms at (还差 2 人成团，成团价 ¥328)
    forms_at_next = (~pl.col("would_form") & pl.col("next_price_fen").is_not_null()
                     & (pl.col("participants_to_next_tier") == pl.col("missing_participants")))
    forming_price = pl.when(forms_at_next).then(pl.format("成团价 {}", yuan_short(pl.col("next_price_fen"))))
    not_formed = _joined([whole_group, short, forming_price], "，")
    formed = pl.format("已成团，{}", yuan_short(pl.col("price_fen")))
    next_tier = pl.when(pl.col("next_price_fen").is_not_null() & ~forms_at_next).then(
        pl.format("再 {} 人享 {}", pl.col("participants_to_next_tier"), yuan_short(pl.col("next_price_fen"))))
    fill = pl.when(pl.col("would_form") & (pl.col("units_to_fill_case") > 0)).then(
        pl.format("再 {} 件凑满整箱", pl.col("units_to_fill_case")))
    left = pl.min_horizontal("stock_left", "pool_left")  # the listing's cap or its stock pool, the lesser
    stock = (pl.when(left == 0).then(pl.lit("已售罄"))
             .when(left <= LOW_STOCK).then(pl.format("仅剩 {} 份", left)))
    sold_here = pl.format("本小区已售 {} 份", pl.col("units"))
    state = pl.when(pl.col("would_form")).then(formed).otherwise(not_formed)
    return pl.format("{}：{}", pl.col("item"), _joined([sold_here, state, next_tier, fill, stock], "；"))


def point_lines(rows: pl.DataFrame, listings: pl.DataFrame, products: pl.DataFrame) -> pl.DataFrame:
    """The message lines of every pickup point, at risk first: pickup_point_id, line."""
    points = rows.filter(pl.col("pickup_point_id").is_not_null())
    group_units = rows.filter(pl.col("pickup_point_id").is_null()).select("listing_id",
                                                                           pl.col("units").alias("_group_units"))
    names = (listings.select("listing_id", "sku_id")
             .join(products.select("sku_id", pl.col("name").alias("item")), on="sku_id", how="left")
             .drop("sku_id"))
    return (
        points.join(group_units, on="listing_id", how="left").join(names, on="listing_id", how="left")
        .with_columns(pl.coalesce(pl.col("item"), pl.col("listing_id")).alias("item"),
                      reached_share().alias("_reached"))
        .sort(["pickup_point_id", "would_form", "_reached", "participants_to_next_tier", "listing_id"],
              descending=[False, False, True, False, False], nulls_last=True)
        .select("pickup_point_id", listing_line().alias("line"))
    )


def fit_lines(lines: list[str], head: str, tail: str, budget: int | None) -> tuple[list[str], int]:
    """The numbered lines that fit in `budget` bytes (UTF-8) with the head and tail (all of them
    when they do); else as many as fit with the line that sums up the rest. Returns (lines, how
    many listings were left out)."""
    numbered = [f"{n}. {line}" for n, line in enumerate(lines, 1)]
    size = len(head.encode()) + len(tail.encode())
    if budget is None or size + sum(len(line.encode()) + 1 for line in numbered) <= budget:
        return numbered, 0
    more = len(f"\n……另有 {len(numbered)} 个商品".encode())
    kept: list[str] = []
    for line in numbered:
        if size + len(line.encode()) + 1 + more > budget:
            break
        kept.append(line)
        size += len(line.encode()) + 1
    return kept, len(numbered) - len(kept)


def content_hash(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def build_messages(rows: pl.DataFrame, listings: pl.DataFrame, products: pl.DataFrame, pickup_points: pl.DataFrame,
                   budgets: dict[str, int | None], cutoff_at: datetime, as_of: datetime,
                   timezone: str) -> pl.DataFrame:
    """MESSAGE_COLUMNS, one message per pickup point with orders. `budgets`: a point's byte
    limit (its channel's; absent or None: no limit)."""
    per_point = point_lines(rows, listings, products).group_by("pickup_point_id", maintain_order=True).agg("line")
    info = {row["pickup_point_id"]: row for row in pickup_points.select(
        "pickup_point_id", "name", "leader_id", "leader_name").iter_rows(named=True)}
    deadline = local_day_time(cutoff_at, timezone)
    stamp = f"（截至 {local_time(as_of, timezone)}）"
    out = []
    for point_id, lines in per_point.iter_rows():
        point = info.get(point_id, {"name": point_id, "leader_id": None, "leader_name": None})
        head = f"【成团进度】{point['name']}\n截单时间：{deadline}\n"
        kept, left_out = fit_lines(lines, head + stamp + "\n", FOOTER, budgets.get(point_id))
        body = "\n".join(kept) + (f"\n……另有 {left_out} 个商品" if left_out else "")
        content = f"{head}{body}\n{FOOTER}"
        out.append({"pickup_point_id": point_id, "leader_id": point["leader_id"], "leader_name": point["leader_name"],
                    "point_name": point["name"], "listings": len(lines), "content_hash": content_hash(content),
                    "content": content, "text": f"{head}{body}\n{stamp}\n{FOOTER}"})
    return pl.DataFrame(out, schema={c: pl.Int64 if c == "listings" else pl.String for c in MESSAGE_COLUMNS})
