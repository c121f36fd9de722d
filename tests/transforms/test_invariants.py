"""Property tests: whatever the orders, nothing is lost, caps hold, purchase covers allocation,
and the same inputs give the same tables."""

from datetime import datetime, timedelta, timezone

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from tests.builders import NIGHTLY, UTC, listings, products
from transforms.close import close_listings
from transforms.purchase import build_purchase_lines

START = datetime(2026, 11, 21, 0, 0, tzinfo=timezone.utc)

line = st.fixed_dictionaries({
    "listing": st.sampled_from(["L1", "L2"]),
    "customer": st.integers(0, 5),
    "point": st.sampled_from(["P1", "P2", "P3"]),
    "qty": st.integers(1, 9),
    "minute": st.integers(0, 600),
    "price": st.sampled_from([1000, 2990, 32800]),
})
listing_rules = st.fixed_dictionaries({
    "stock_cap": st.none() | st.integers(0, 30),
    "point_cap": st.none() | st.integers(0, 12),
    "min_qty": st.integers(1, 15),
    "tiers": st.none() | st.sampled_from(["2:3000", "3:32800|5:30000", "1:2500|4:2000"]),
    "group_scope": st.sampled_from(["platform", "pickup_point"]),
})
product_rules = st.fixed_dictionaries({"case_pack": st.integers(1, 8),
                                       "case_rounding": st.sampled_from(["up", "down"])})


def build(lines, rule1, rule2, product1, product2):
    order_rows = pl.DataFrame([{
        "order_id": f"O{i:03d}", "line_no": 1, "listing_id": line["listing"], "customer_id": f"c{line['customer']}",
        "customer_name": None, "phone_tail": None, "pickup_point_id": line["point"], "qty": line["qty"],
        "unit_price_fen": line["price"], "status": "paid", "distributor_id": None,
        "created_at": START + timedelta(minutes=line["minute"])} for i, line in enumerate(lines)],
        schema_overrides={"customer_name": pl.String, "phone_tail": pl.String, "distributor_id": pl.String})
    order_rows = order_rows.with_columns(pl.col("created_at").cast(UTC),
                                         pl.col("created_at").cast(UTC).alias("updated_at"))
    listing_rows = listings(dict(listing_id="L1", sku_id="SKU1", **rule1),
                            dict(listing_id="L2", sku_id="SKU2", **rule2))
    product_rows = products(dict(sku_id="SKU1", **product1), dict(sku_id="SKU2", **product2))
    return order_rows, listing_rows, product_rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line, min_size=1, max_size=40), listing_rules, listing_rules, product_rules, product_rules)
def test_invariants(lines, rule1, rule2, product1, product2):
    order_rows, listing_rows, product_rows = build(lines, rule1, rule2, product1, product2)
    closed = close_listings(order_rows, listing_rows, product_rows, NIGHTLY)
    allocations = closed.allocations
    # nothing lost, per listing
    per_listing = allocations.group_by("listing_id").agg(pl.col("paid_fen", "net_fen", "refund_fen").sum())
    for row in per_listing.iter_rows(named=True):
        assert row["paid_fen"] == row["net_fen"] + row["refund_fen"]
    assert allocations.height == order_rows.height
    assert (allocations["qty_allocated"] >= 0).all() and (allocations["qty_allocated"] <= allocations["qty"]).all()
    assert (allocations["refund_fen"] >= 0).all()
    # a cut line has a reason; a whole line has none
    cut = allocations.filter(pl.col("qty_cut") > 0)
    assert cut["cut_reason"].null_count() == 0
    # caps hold
    for rule, listing_id in ((rule1, "L1"), (rule2, "L2")):
        mine = allocations.filter(pl.col("listing_id") == listing_id)
        if rule["stock_cap"] is not None:
            assert mine["qty_allocated"].sum() <= rule["stock_cap"]
        if rule["point_cap"] is not None and mine.height:
            by_point = mine.group_by("pickup_point_id").agg(pl.col("qty_allocated").sum())
            assert by_point["qty_allocated"].max() <= rule["point_cap"]
    # down products: whole cases per listing
    for product, listing_id in ((product1, "L1"), (product2, "L2")):
        if product["case_rounding"] == "down":
            allocated = allocations.filter(pl.col("listing_id") == listing_id)["qty_allocated"].sum()
            assert allocated % product["case_pack"] == 0
    # purchase covers the allocation, in whole cases
    purchase = build_purchase_lines(allocations, product_rows)
    assert purchase["units_allocated"].sum() == allocations["qty_allocated"].sum()
    assert (purchase["units_purchased"] >= purchase["units_allocated"]).all()
    assert (purchase["units_purchased"] % purchase["case_pack"] == 0).all()
    # same inputs twice (in any row order) give identical tables
    again = close_listings(order_rows.reverse(), listing_rows, product_rows, NIGHTLY)
    assert_frame_equal(allocations, again.allocations)
    assert_frame_equal(closed.groups, again.groups)
