"""The notice before the goods arrive (到货通知): per pickup point of a cutoff, what to hand out
after shortages, when its route arrives and whom to call. Pure: frames in, texts out.

When a notice is due (`due_points`): once the goods-in run of the cutoff has decided shortages,
or, without one, at the departure of the point's route: the first `departs_at` (a local HH:MM of
routes.csv) after the cutoff instant. The point arrives `arrives_after_min` minutes after its
route departs (pickup_points.csv); without it the notice gives the departure time.

    【到货通知】幸福里3栋
    11月21日(周六) 截单的团购：今日订单共 14 件、5 位顾客，请准备提货。
    预计到达：11月22日(周日) 07:40（线路 R1 06:30 发车）
    商品：流心奶黄月礼盒 10 盒；砂糖橘 4 箱
    缺货：流心奶黄月礼盒 少 2 盒（赵敏 8888），已退款
    顾客：
    张伟(1234)：流心奶黄月礼盒 2 盒
    联系：张师傅 13800001111

A notice's `content` is its text without the revision mark: it is sent once per content; a
later change (a re-issued handout) is sent as 修订版 N (`mark_revision`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from transforms.leader_messages import WEEKDAYS, local_day_time
from transforms.reissue import hand_out_after_shortages

NOTICE_COLUMNS = ["pickup_point_id", "leader_id", "leader_name", "point_name", "route_id", "units", "customers",
                  "units_short", "arrives_at", "content_hash", "content"]
GOODS_IN = "goods_in"
DEPARTED = "departed"


def departure_after(cutoff_at: datetime, departs_at: time, timezone: str) -> datetime:
    """The first local `departs_at` strictly after the cutoff instant (nightly D 20:00 and 06:30:
    D+1 06:30; weekly Sunday 24:00 and 06:30: Monday 06:30)."""
    local = cutoff_at.astimezone(ZoneInfo(timezone))
    candidate = datetime.combine(local.date(), departs_at, ZoneInfo(timezone))
    while candidate <= local:
        candidate = datetime.combine(candidate.date() + timedelta(days=1), departs_at, ZoneInfo(timezone))
    return candidate


def route_times(pickup_points: pl.DataFrame, routes: pl.DataFrame, cutoff_at: datetime,
                timezone: str) -> pl.DataFrame:
    """Per pickup point: route_id, departs (the route's departure instant, null without one in
    routes.csv), arrives (departs + arrives_after_min, or departs), the route's contact."""
    departures = pl.DataFrame(
        [{"route_id": r["route_id"], "departs": departure_after(cutoff_at, r["departs_at"], timezone),
          "contact_name": r["contact_name"], "contact_phone": r["contact_phone"]}
         for r in routes.iter_rows(named=True)],
        schema={"route_id": pl.String, "departs": pl.Datetime("us", "UTC"), "contact_name": pl.String,
                "contact_phone": pl.String})
    offset = pl.col("arrives_after_min") if "arrives_after_min" in pickup_points.columns else pl.lit(None, pl.Int64)
    return (pickup_points.select("pickup_point_id", "route_id", offset.alias("arrives_after_min"))
            .join(departures, on="route_id", how="left")
            .with_columns((pl.col("departs") + pl.duration(minutes=pl.col("arrives_after_min").fill_null(0)))
                          .alias("arrives")))


def due_points(times: pl.DataFrame, goods_in_done: bool, now: datetime) -> pl.DataFrame:
    """The points whose notice is due now, and why: `goods_in` (the goods-in run decided), else
    `departed` (their route has left)."""
    if goods_in_done:
        return times.with_columns(pl.lit(GOODS_IN).alias("reason"))
    departed = pl.col("departs").is_not_null() & (pl.col("departs") <= pl.lit(now).cast(pl.Datetime("us", "UTC")))
    return times.filter(departed).with_columns(pl.lit(DEPARTED).alias("reason"))


def _units(count: pl.Expr) -> pl.Expr:
    return pl.format("{} {}", count, pl.coalesce(pl.col("unit"), pl.lit("份")))


REVISION_MARK = "（更正：以本条为准，替代之前的到货通知）"
REVISION_BYTES = len(f"·修订版 999\n{REVISION_MARK}\n".encode())  # what `mark_revision` adds, at most


def _share(room: int | None, part: int) -> int | None:
    return None if room is None else room // part


def _joined(parts: list[str], separator: str, budget: int | None, more: str) -> str:
    """`parts` joined, as many as fit in `budget` bytes, then `more` (with {n} left out)."""
    text = separator.join(parts)
    if budget is None or len(text.encode()) <= budget:
        return text
    kept, size = [], 0
    for index, part in enumerate(parts):
        tail = len((separator + more.format(n=len(parts))).encode())
        if size + len((separator + part).encode()) + tail > budget:
            return separator.join([*kept, more.format(n=len(parts) - index)])
        kept.append(part)
        size += len((separator + part).encode())
    return text


def _fit(lines: list[str], size: int, budget: int | None, more: str) -> list[str]:
    """The lines that fit in what is left of a byte budget (all of them when they do), else as many
    as fit with `more` after them (with {n} left out)."""
    if budget is None or size + sum(len(line.encode()) + 1 for line in lines) <= budget:
        return lines
    kept = []
    tail = len(more.format(n=len(lines)).encode()) + 1
    for index, line in enumerate(lines):
        if size + len(line.encode()) + 1 + tail > budget:
            return kept + [more.format(n=len(lines) - index)]
        kept.append(line)
        size += len(line.encode()) + 1
    return kept


def cutoff_day_text(cutoff_at: datetime, timezone: str) -> str:
    """The cutoff's local day as leaders say it: `11月21日(周六)`; a cutoff at midnight (the weekly
    one, Sunday 24:00) is the day that ends there, `11月22日(周日) 24:00`, not the Monday it is."""
    local = cutoff_at.astimezone(ZoneInfo(timezone))
    midnight = local.time() == time(0, 0)
    day = local.date() - timedelta(days=1) if midnight else local.date()
    return f"{day.month}月{day.day}日(周{WEEKDAYS[day.weekday()]})" + (" 24:00" if midnight else "")


def _text(point: dict, lines: pl.DataFrame, cutoff_at: datetime, timezone: str, budget: int | None) -> str:
    items = (lines.group_by("item", "unit").agg(pl.col("units_out").sum(), pl.col("units_short").sum())
             .sort("item"))
    given = items.filter(pl.col("units_out") > 0).select(pl.format("{} {}", "item", _units(pl.col("units_out"))))
    short = lines.filter(pl.col("units_short") > 0).sort("item", "phone_tail", "customer_name").select(
        pl.format("{} 少 {}（{} {}）", "item", _units(pl.col("units_short")), pl.col("customer_name").fill_null(""),
                  pl.col("phone_tail").fill_null("")))
    people = (lines.filter(pl.col("units_out") > 0)
              .group_by("customer_id", "customer_name", "phone_tail", "item", "unit")
              .agg(pl.col("units_out").sum())
              .group_by("customer_id", "customer_name", "phone_tail")
              .agg(pl.format("{} {}", "item", _units(pl.col("units_out"))).sort().str.join("、").alias("what"))
              .sort("phone_tail", "customer_name", "customer_id")
              .select(pl.format("{}({})：{}", pl.col("customer_name").fill_null("顾客"),
                                pl.col("phone_tail").fill_null("----"), "what")))
    units = int(lines["units_out"].sum())
    customers = lines.filter(pl.col("units_out") > 0)["customer_id"].n_unique()
    departs = point["departs"]
    if departs is None:
        when = "预计到达：到货时间另行通知"
    elif point["arrives_after_min"] is None:
        when = f"线路 {point['route_id']} 发车：{local_day_time(departs, timezone)}（到达时间以司机通知为准）"
    else:
        when = f"预计到达：{local_day_time(point['arrives'], timezone)}（线路 {point['route_id']} " \
               f"{departs.astimezone(ZoneInfo(timezone)):%H:%M} 发车）"
    head = [f"【到货通知】{point['name']}",
            f"{cutoff_day_text(cutoff_at, timezone)} 截单的团购：今日订单共 {units} 件、"
            f"{customers} 位顾客，请准备提货。", when]
    contact = point.get("contact_name") or point.get("contact_phone")
    tail = [f"联系：{' '.join(p for p in (point.get('contact_name'), point.get('contact_phone')) if p)}"] \
        if contact else []
    fixed = sum(len(line.encode()) + 1 for line in [*head, "顾客：", *tail]) + REVISION_BYTES
    room = None if budget is None else max(budget - fixed, 0)
    # a bot's message holds so much: the items take up to half of the room left, the shortages a
    # quarter, the customers the rest (each list says how many it leaves out)
    items = "商品：" + (_joined(given.to_series().to_list(), "；", _share(room, 2), "……另有 {n} 种") or "无")
    fitted = [*head, items]
    if short.height:
        shortages = _joined(short.to_series().to_list(), "；", _share(room, 4), "……另有 {n} 处")
        fitted.append(f"缺货：{shortages}，已退款")
    used = sum(len(line.encode()) + 1 for line in fitted[len(head):])
    people_lines = _fit(people.to_series().to_list(), fixed + used, budget, "……另有 {n} 位，完整名单见提货单")
    return "\n".join([*fitted, "顾客：", *people_lines, *tail])


def build_notices(allocations: pl.DataFrame, shortages: pl.DataFrame, products: pl.DataFrame,
                  pickup_points: pl.DataFrame, times: pl.DataFrame, cutoff_at: datetime, timezone: str,
                  budgets: dict[str, int | None]) -> pl.DataFrame:
    """NOTICE_COLUMNS for every point of `times` with allocated lines."""
    lines = (hand_out_after_shortages(allocations, shortages)
             .join(products.select("sku_id", pl.col("name").alias("item"), "unit"), on="sku_id", how="left")
             .with_columns(pl.coalesce(pl.col("item"), pl.col("sku_id")).alias("item")))
    points = {row["pickup_point_id"]: row for row in times.join(
        pickup_points.select("pickup_point_id", "name", "leader_id", "leader_name"), on="pickup_point_id",
        how="left").iter_rows(named=True)}
    out = []
    for (point_id,), frame in sorted(lines.partition_by("pickup_point_id", as_dict=True).items()):
        if point_id not in points:
            continue
        point = points[point_id]
        content = _text(point, frame, cutoff_at, timezone, budgets.get(point_id))
        out.append({"pickup_point_id": point_id, "leader_id": point["leader_id"], "leader_name": point["leader_name"],
                    "point_name": point["name"], "route_id": point["route_id"], "units": int(frame["units_out"].sum()),
                    "customers": frame.filter(pl.col("units_out") > 0)["customer_id"].n_unique(),
                    "units_short": int(frame["units_short"].sum()), "arrives_at": point["arrives"],
                    "content_hash": hashlib.sha256(content.encode("utf-8")).hexdigest(), "content": content})
    return pl.DataFrame(out, schema={"pickup_point_id": pl.String, "leader_id": pl.String, "leader_name": pl.String,
                                     "point_name": pl.String, "route_id": pl.String, "units": pl.Int64,
                                     "customers": pl.Int64, "units_short": pl.Int64,
                                     "arrives_at": pl.Datetime("us", "UTC"), "content_hash": pl.String,
                                     "content": pl.String})


def mark_revision(content: str, revision: int) -> str:
    """The text sent: the content, marked 修订版 N from the second version on."""
    if revision <= 1:
        return content
    first, _, rest = content.partition("\n")
    marked = first.replace("【到货通知】", f"【到货通知·修订版 {revision}】", 1)
    return f"{marked}\n{REVISION_MARK}\n{rest}"
