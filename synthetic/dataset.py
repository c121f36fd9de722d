"""A synthetic data set for demos and benchmarks (`cutoff generate`).

`generate_dataset` writes what a shop system would export for the nightly cutoff of date D, in
the formats of the data contract ("Inputs, under the data dir"):

    master/categories.csv       the eight categories (水果, 蔬菜, ...) and their leader rates
    master/suppliers.csv        Chinese company names; a few with two addresses, a few with none
    master/products.csv         SKUs built from a catalogue of items; ~10% rounded `down` to cases
    master/pickup_points.csv    pickup points on delivery routes, one team leader each
    master/distributors.csv     one per ~5 pickup points; an upline is always an older distributor
    master/listings.csv         the nightly listings of D (~80% of SKUs) and the weekly presale
                                listings of D's ISO week (~5% more SKUs)
    inbox/orders/orders-D-part001.csv ...   the bulk: UTF-8 CSV, appended chunk by chunk
    inbox/orders/orders-D-presale.parquet   the lines of weekly presale listings (~10%)
    inbox/orders/orders-D-late.jsonl        a late export: ~1% of the orders, in no other file
    inbox/orders/orders-D-cancellations.csv GB18030 (an Excel export): a later version of ~2% of
                                            the lines, `cancelled` (some `refunded`), updated later
    inbox/refunds/refunds-D.csv             after-sales refunds of ~0.2% of the lines
    inbox/receipts/receipts-D.csv           the goods-in receipts of D's purchase orders, the morning
                                            after (UTF-8 with a BOM): most suppliers exact, some
                                            short, some damaged, one not yet arrived (synthetic/receipts.py)

The shape of the orders. `orders` is the number of distinct order lines `(order_id, line_no)`;
the files hold a few more rows because of the later versions. An order has 1-4 lines with one
customer, pickup point and `created_at`. Customers live at a pickup point (5% order elsewhere);
pickup points are big and small (log-normal), listings popular or not (Zipf), quantities mostly
1-3. Nightly orders fall in the window (D-1 20:00, D 20:00] with an intraday shape (the evening
after the listings open, the rush before the cutoff, a night trough); 0.5% come a few minutes
after the close (the `after_close` rule). Weekly presale orders fall between Monday 00:00 of D's
week and D 20:00. Every order id carries D, the date of the export (`O20261121-000001`). 30% of
the orders came through a distributor's link. The listings exercise every group rule: stock and
per-point caps set near the expected demand (some sell out), price tiers, `min_qty` (a few too
high to form), pickup-point group scope, distributor rates.

Refunds. An after-sales refund usually concerns a line of an earlier cutoff, which this data set
does not hold. So the refunds here refer to lines of D itself and are created a few hours after
D's cutoff (D 20:00 + 10 min .. 8 h): they belong to the next nightly run (D+1), which sees the
lines of D already processed. Their amount is 10-90% of the line's paid amount; some lines end
up cut by the cutoff, so a few refunds are (realistically) rejected as data errors.

Sizes scale with `orders` along a power law through two anchors (20,000 and 1,000,000 lines:
200 and 5,000 pickup points, 10 and 100 routes, 20 and 200 suppliers, 150 and 2,000 SKUs), with
minimums for tiny sets. Everything comes from one `np.random.default_rng(seed)`, drawn in a fixed
order, so the same arguments give byte-identical files. Order lines are generated with numpy in
chunks of `CHUNK_ORDERS` orders and written chunk by chunk: memory stays flat in `orders`.
Timestamps are written as local time without an offset, except half the listings' opening and
closing instants, which carry the offset of `timezone` (both forms are in the contract).
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from synthetic.catalogue import CATEGORIES, make_categories, make_products, make_suppliers
from synthetic.exports import write_csv, write_orders
from synthetic.master_data import make_distributors, make_listings, make_pickup_points
from synthetic.orders import make_buyers
from synthetic.presale import plan_presales, write_presale_orders
from synthetic.receipts import expected_purchase_lines, write_receipts
from synthetic.shape import Calendar, Sizes

PRESALE_STREAM = 23  # the presales' random stream (synthetic/presale.py)


def generate_dataset(
    data_dir: Path,
    orders: int,
    cutoff_date: date,
    seed: int,
    *,
    timezone: str = "Asia/Shanghai",
    nightly_at: time = time(20, 0),
    receipts: bool = True,
) -> dict:
    """Write a synthetic data set of `orders` order lines for the nightly cutoff of `cutoff_date`
    under `data_dir`; return its counts and its files (POSIX paths relative to `data_dir`).

    `orders` counts distinct lines `(order_id, line_no)`; `order_rows` adds their later versions.
    This date's generated order, refund and receipt files are replaced; other files are left alone.
    `receipts`: also the goods-in receipts (they need the cutoff's purchase lines: the cutoff's
    rules are applied to the files, which takes a few seconds at a million lines)."""
    if orders < 1:
        raise ValueError(f"orders must be at least 1, not {orders}")
    data_dir = Path(data_dir)
    rng = np.random.default_rng(seed)
    sizes = Sizes.for_lines(orders)
    calendar = Calendar.of(cutoff_date, nightly_at, ZoneInfo(timezone))

    suppliers = make_suppliers(rng, sizes.suppliers)
    products = make_products(rng, sizes.skus, sizes.suppliers)
    points = make_pickup_points(rng, sizes.pickup_points, sizes.routes)
    distributors = make_distributors(rng, sizes.distributors)
    listings = make_listings(rng, products, calendar, orders)
    presale_rng = np.random.default_rng([seed, PRESALE_STREAM])  # its own stream: the rest stays as it was
    presales = plan_presales(presale_rng, products, calendar, listings, orders)
    masters = {
        "categories": make_categories(), "suppliers": suppliers, "products": products,
        "pickup_points": points, "distributors": distributors, "listings": presales.listings,
        "pools": presales.pools,
    }
    files = [write_csv(frame, data_dir / "master" / f"{name}.csv") for name, frame in masters.items()]

    buyers = make_buyers(rng, sizes, points, distributors)
    order_counts, order_files = write_orders(rng, data_dir, calendar, listings, buyers, orders)
    presale_counts, presale_files = write_presale_orders(presale_rng, data_dir, calendar, presales, buyers)
    order_counts.update(presale_counts)
    order_files += presale_files
    if receipts:
        purchase = expected_purchase_lines(data_dir, cutoff_date, timezone, nightly_at)
        receipts_file, order_counts["receipts"] = write_receipts(data_dir, purchase, cutoff_date, seed)
        order_files.append(receipts_file)
    return {
        **order_counts,
        "suppliers": suppliers.height,
        "products": products.height,
        "categories": len(CATEGORIES),
        "pickup_points": points.height,
        "routes": points["route_id"].n_unique(),
        "distributors": distributors.height,
        "customers": sizes.customers,
        "listings_nightly": listings.nightly,
        "listings_weekly": listings.frame.height - listings.nightly,
        "listings_presale": presales.listings.height - listings.frame.height,  # presales and buyers' groups
        "pools": presales.pools.height,
        "files": sorted(path.relative_to(data_dir).as_posix() for path in files + order_files),
    }
