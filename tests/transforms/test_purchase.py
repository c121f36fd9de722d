import polars as pl
import pytest

from tests.builders import NIGHTLY, listings, orders, products
from transforms.close import close_listings
from transforms.purchase import build_purchase_lines, total_by_supplier


def purchase_for(qtys: list[int], **product) -> pl.DataFrame:
    rows = orders(*[dict(order_id=f"O{i}", customer_id=f"c{i}", qty=q, created_at=f"2026-11-21 10:0{i}")
                    for i, q in enumerate(qtys)])
    items = products(product)
    closed = close_listings(rows, listings(dict(listing_id="L1")), items, NIGHTLY)
    return build_purchase_lines(closed.allocations, items)


@pytest.mark.parametrize("qtys, case_pack, expected", [
    ([7], 6, (7, 2, 12, 5)),        # up: ceil(7/6) = 2 cases, 5 surplus
    ([6], 6, (6, 1, 6, 0)),
    ([1, 1], 1, (2, 2, 2, 0)),
    ([13], 12, (13, 2, 24, 11)),
])
def test_up_rounding_buys_whole_cases_and_reports_surplus(qtys, case_pack, expected):
    purchase = purchase_for(qtys, case_pack=case_pack, cost_fen=1500)
    row = purchase.select("units_allocated", "cases", "units_purchased", "surplus_units").row(0)
    assert row == expected
    assert purchase["cost_fen"][0] == expected[2] * 1500


def test_down_rounding_buys_what_was_allocated():
    purchase = purchase_for([7, 6], case_pack=6, case_rounding="down", cost_fen=100)
    assert purchase.select("units_allocated", "cases", "units_purchased", "surplus_units", "cost_fen").row(0) == (12, 2, 12, 0, 1200)


def test_sku_with_nothing_allocated_is_not_bought():
    purchase = purchase_for([3], case_pack=6, case_rounding="down")
    assert purchase.height == 0


def test_purchase_sums_over_listings_of_the_same_sku():
    rows = orders(dict(order_id="A", customer_id="c1", qty=4, created_at="2026-11-21 10:00", listing_id="L1"),
                  dict(order_id="B", customer_id="c2", qty=4, created_at="2026-11-21 10:01", listing_id="L2"))
    items = products(dict(case_pack=6))
    closed = close_listings(rows, listings(dict(listing_id="L1"), dict(listing_id="L2")), items, NIGHTLY)
    purchase = build_purchase_lines(closed.allocations, items)
    assert purchase.select("units_allocated", "cases", "surplus_units").row(0) == (8, 2, 4)


def test_supplier_below_minimum_is_flagged_not_dropped():
    purchase = purchase_for([7], case_pack=6, cost_fen=1500)
    suppliers = pl.DataFrame({"supplier_id": ["S1"], "name": ["鲜果"], "email": [None], "min_order_fen": [1_000_000]},
                             schema_overrides={"email": pl.String, "min_order_fen": pl.Int64})
    totals = total_by_supplier(purchase, suppliers)
    assert totals.select("supplier_id", "po_fen", "below_minimum").row(0) == ("S1", 18000, True)
