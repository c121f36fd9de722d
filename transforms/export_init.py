"""The master data `cutoff init --from-export` makes from exports alone (docs/platform-exports.md,
"cutoff init --from-export").

From the exports (parsed, their orders timed or placed): a product per 商品 text (or item name)
with lines, at the price the file gives it (the most frequent unit price of its lines; for an
item without prices in the file, of the orders holding it alone: (订单金额 - 运费 + 优惠) / 数量;
else a `--price`, else its latest listing's); a pickup point per 服务小区 / 自提点 text, with its
contact, phone and address; one listing per product closing at the cutoff (the first nightly
cutoff at or after the last order, or D's), opening where the product's previous listing closed
(or at its first order); the rows of export_map.csv and export_groups.csv. Ids match the
contract's pattern: `P001`, `PP01`, `L01`, `<sku>-<YYYYMMDD>`; names stay in the name columns. Run
again on a data dir it made, it adds only what is new.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from transforms.export_mapping import NO_PICKUP, ParsedExport
from transforms.money import fen_to_yuan_text

SUPPLIER_ID = "S1"
CATEGORY = "团购"
UNIT = "份"
ROUTE_ID = "R1"


@dataclass(frozen=True)
class Existing:
    """What a data dir init made before holds (empty for a new one)."""

    products: dict[str, str] = field(default_factory=dict)      # export text -> sku_id
    pickups: dict[str, str] = field(default_factory=dict)       # export text -> pickup_point_id
    sku_ids: tuple[str, ...] = ()
    point_ids: tuple[str, ...] = ()
    route_seqs: int = 0
    last_listing: dict[str, tuple[str, datetime, int]] = field(default_factory=dict)  # sku -> (id, closes_at, price)


@dataclass
class InitPlan:
    products: list[dict] = field(default_factory=list)
    pickup_points: list[dict] = field(default_factory=list)
    listings: list[dict] = field(default_factory=list)
    export_map: list[dict] = field(default_factory=list)
    unpriced: list[str] = field(default_factory=list)   # product texts that need a --price


def first_cutoff_at_or_after(instant: datetime, timezone: str, nightly_at) -> datetime:
    """The first nightly cutoff instant at or after `instant` (an instant at 20:00 is that day's)."""
    local = instant.astimezone(ZoneInfo(timezone))
    cutoff = datetime.combine(local.date(), nightly_at, ZoneInfo(timezone))
    return cutoff if local <= cutoff else cutoff + timedelta(days=1)


def _next_id(prefix: str, width: int, taken: set[str]) -> str:
    numbers = [int(m.group(1)) for t in taken if (m := re.fullmatch(rf"{prefix}(\d+)", t))]
    number = max(numbers, default=0) + 1
    new = f"{prefix}{number:0{width}d}"
    taken.add(new)
    return new


def _most_common(values: list) -> object:
    """The most frequent value; on a tie the smallest (so the choice does not depend on row order)."""
    counts = Counter(v for v in values if v is not None)
    if not counts:
        return None
    top = max(counts.values())
    return min(v for v, n in counts.items() if n == top)


def file_prices(exports: list[ParsedExport]) -> dict[str, int]:
    """Unit price (fen) per product text, as the files give it: the most frequent of its lines'
    商品金额 / 数量; for items without amounts, of the paid orders holding that item alone."""
    by_line: dict[str, list[int]] = {}
    alone: dict[str, list[int]] = {}
    for parsed in exports:
        for order in parsed.rows.orders:
            if order.status != "paid":
                continue
            for line in order.lines:
                if line.amount_fen is not None:
                    by_line.setdefault(line.item_text, []).append(line.amount_fen // line.qty)
            if len(order.lines) == 1 and order.lines[0].amount_fen is None and "order_amount" in order.amounts:
                line = order.lines[0]
                goods = (order.amounts["order_amount"] - order.amounts.get("shipping", 0)
                         + order.amounts.get("discount", 0))
                if goods > 0 and goods % line.qty == 0:
                    alone.setdefault(line.item_text, []).append(goods // line.qty)
    prices = {text: _most_common(values) for text, values in alone.items()}
    prices.update({text: _most_common(values) for text, values in by_line.items()})
    return prices


def plan_init(exports: list[ParsedExport], existing: Existing, cutoff_end: datetime, prices: dict[str, int],
              timezone: str) -> InitPlan:
    """The master rows to add. `cutoff_end`: the instant the new listings close; `prices`: given on
    the command line (product text or name -> fen), before the file's own."""
    tz = ZoneInfo(timezone)
    plan = InitPlan()
    skus, points = set(existing.sku_ids), set(existing.point_ids)
    from_files = file_prices(exports)
    product_rows: dict[str, dict] = {}
    point_rows: dict[str, dict] = {}
    first_time: dict[str, datetime] = {}
    for parsed in exports:
        for order in parsed.rows.orders:
            when = order.ordered_at.replace(tzinfo=tz) if order.ordered_at else None
            place = order.pickup_text or NO_PICKUP
            if place not in existing.pickups and place not in point_rows:
                point_id = _next_id("PP", 2, points)
                point_rows[place] = {"text": place, "pickup_point_id": point_id, "details": []}
            if place in point_rows:
                point_rows[place]["details"].append(order)
            for line in order.lines:
                sku = existing.products.get(line.item_text) or product_rows.get(line.item_text, {}).get("sku_id")
                if sku is None:
                    sku = _next_id("P", 3, skus)
                    product_rows[line.item_text] = {"sku_id": sku, "names": [], "specs": []}
                if line.item_text in product_rows:
                    product_rows[line.item_text]["names"].append(line.name)
                    product_rows[line.item_text]["specs"].append(line.spec)
                if when is not None and (sku not in first_time or when < first_time[sku]):
                    first_time[sku] = when
    sku_texts: dict[str, list[str]] = {}
    for text, sku in {**existing.products, **{t: r["sku_id"] for t, r in product_rows.items()}}.items():
        sku_texts.setdefault(sku, []).append(text)
    for text, row in product_rows.items():
        plan.products.append({"sku_id": row["sku_id"], "name": _most_common(row["names"]) or text,
                              "spec": _most_common(row["specs"]), "unit": UNIT, "category": CATEGORY,
                              "supplier_id": SUPPLIER_ID, "cost_fen": 0, "case_pack": 1, "case_rounding": "up"})
        plan.export_map.append({"field": "product", "text": text, "maps_to": row["sku_id"]})
    names = {row["sku_id"]: _most_common(row["names"]) for row in product_rows.values()}
    for sku, opened in sorted(first_time.items()):
        previous = existing.last_listing.get(sku)
        if previous is not None and previous[1] >= cutoff_end:
            continue  # listed already up to this cutoff
        texts = sorted(sku_texts.get(sku, []))
        price = next((prices[k] for k in [*texts, names.get(sku)] if k in prices), None)
        price = price if price is not None else next((from_files[t] for t in texts if t in from_files), None)
        price = price if price is not None else (previous[2] if previous else None)
        if price is None:
            plan.unpriced.extend(texts)
            continue
        opens = previous[1] if previous else opened.replace(second=0)
        plan.listings.append({"listing_id": f"{sku}-{cutoff_end.astimezone(tz):%Y%m%d}", "sku_id": sku,
                              "calendar": "nightly", "opens_at": opens, "closes_at": cutoff_end,
                              "unit_price_fen": price, "min_qty": 1})
    for seq, (text, row) in enumerate(point_rows.items(), start=existing.route_seqs + 1):
        orders = row["details"]
        number = row["pickup_point_id"].removeprefix("PP")
        contact = _most_common([o.text.get("pickup_contact") for o in orders])
        leader = _most_common([o.text.get("leader") for o in orders])
        plan.pickup_points.append({
            "pickup_point_id": row["pickup_point_id"],
            "name": text if text != NO_PICKUP else (leader or "自提点"),
            "address": _most_common([o.text.get("pickup_address") for o in orders]),
            "leader_id": f"L{number}", "leader_name": contact or leader or (text if text != NO_PICKUP else "团长"),
            "leader_phone": _most_common([o.pickup_phone for o in orders]),
            "route_id": ROUTE_ID, "route_seq": seq})
        plan.export_map.append({"field": "pickup_point", "text": text, "maps_to": row["pickup_point_id"]})
    return plan


def unpriced_message(texts: list[str]) -> str:
    shown = ", ".join(texts[:20]) + (f" and {len(texts) - 20} more" if len(texts) > 20 else "")
    example = texts[0].replace("'", "")
    return (f"no price for {len(texts)} product(s): {shown}. The export gives no 商品金额 for them and no order "
            f"holds one of them alone. Give each its unit price in yuan, e.g. --price '{example}=12.50', and run "
            "the same command again (nothing was written).")


def describe_plan(plan: InitPlan) -> str:
    prices = ", ".join(f"{row['sku_id']} ¥{fen_to_yuan_text(row['unit_price_fen'])}" for row in plan.listings[:8])
    more = " ..." if len(plan.listings) > 8 else ""
    return (f"{len(plan.products)} new product(s), {len(plan.pickup_points)} new pickup point(s), "
            f"{len(plan.listings)} listing(s){': ' + prices + more if prices else ''}")
