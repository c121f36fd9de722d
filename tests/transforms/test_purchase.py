import polars as pl
import pytest
from polars.testing import assert_frame_equal

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
    assert purchase.select("units_allocated", "cases", "units_purchased", "surplus_units", "cost_fen").row(0) == \
        (12, 2, 12, 0, 1200)


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


def supplier_rows(*rows: tuple) -> pl.DataFrame:
    """(supplier_id, min_order_fen)"""
    return pl.DataFrame([{"supplier_id": s, "name": f"供应商{s}", "email": None, "min_order_fen": m} for s, m in rows],
                        schema={"supplier_id": pl.String, "name": pl.String, "email": pl.String,
                                "min_order_fen": pl.Int64})


@pytest.mark.parametrize("minimum, below", [(17999, False), (18000, False), (18001, True), (None, False)])
def test_a_purchase_order_exactly_at_the_supplier_minimum_is_not_below_it(minimum, below):
    purchase = purchase_for([7], case_pack=6, cost_fen=1500)  # 12 units x 1500 = 18000
    totals = total_by_supplier(purchase, supplier_rows(("S1", minimum)))
    assert totals.select("po_fen", "units_purchased", "below_minimum").row(0) == (18000, 12, below)


def test_purchase_lines_per_supplier_and_sku_and_their_totals():
    rows = orders(dict(order_id="A", customer_id="c1", qty=7, created_at="2026-11-21 10:00", listing_id="L1"),
                  dict(order_id="B", customer_id="c2", qty=2, created_at="2026-11-21 10:01", listing_id="L2"),
                  dict(order_id="C", customer_id="c3", qty=5, created_at="2026-11-21 10:02", listing_id="L3"),
                  dict(order_id="D", customer_id="c4", qty=1, created_at="2026-11-21 10:03", listing_id="L1"))
    items = products(dict(sku_id="SKU1", supplier_id="S2", case_pack=6, cost_fen=1500),
                     dict(sku_id="SKU2", supplier_id="S1", case_pack=1, cost_fen=20000),
                     dict(sku_id="SKU3", supplier_id="S2", case_pack=4, cost_fen=700, case_rounding="down"))
    closed = close_listings(rows, listings(dict(listing_id="L1", sku_id="SKU1"), dict(listing_id="L2", sku_id="SKU2"),
                                           dict(listing_id="L3", sku_id="SKU3")), items, NIGHTLY)
    purchase = build_purchase_lines(closed.allocations, items)
    expected = pl.DataFrame({
        "supplier_id": ["S1", "S2", "S2"], "sku_id": ["SKU2", "SKU1", "SKU3"], "units_allocated": [2, 8, 4],
        "case_pack": [1, 6, 4], "case_rounding": ["up", "up", "down"], "cases": [2, 2, 1],
        "units_purchased": [2, 12, 4], "surplus_units": [0, 4, 0], "unit_cost_fen": [20000, 1500, 700],
        "cost_fen": [40000, 18000, 2800]})
    assert_frame_equal(purchase, expected)
    totals = total_by_supplier(purchase, supplier_rows(("S1", 40001), ("S2", 20800)))
    figures = totals.select("supplier_id", "name", "po_fen", "units_purchased", "min_order_fen", "below_minimum")
    assert figures.rows() == [
        ("S1", "供应商S1", 40000, 2, 40001, True), ("S2", "供应商S2", 20800, 16, 20800, False)]


def test_supplier_totals_carry_the_address_and_never_drop_a_purchase_order():
    rows = orders(dict(order_id="A", customer_id="c1", qty=1, created_at="2026-11-21 10:00", listing_id="L1"),
                  dict(order_id="B", customer_id="c2", qty=1, created_at="2026-11-21 10:01", listing_id="L2"),
                  dict(order_id="C", customer_id="c3", qty=1, created_at="2026-11-21 10:02", listing_id="L3"))
    items = products(dict(sku_id="SKU1", supplier_id="S3", cost_fen=100),
                     dict(sku_id="SKU2", supplier_id="S1", cost_fen=200),
                     dict(sku_id="SKU3", supplier_id="S2", cost_fen=300))
    closed = close_listings(rows, listings(dict(listing_id="L1", sku_id="SKU1"), dict(listing_id="L2", sku_id="SKU2"),
                                           dict(listing_id="L3", sku_id="SKU3")), items, NIGHTLY)
    known = supplier_rows(("S1", 0), ("S3", 0)).with_columns(pl.format("{}@example.com", "supplier_id").alias("email"))
    totals = total_by_supplier(build_purchase_lines(closed.allocations, items), known)
    assert totals.select("supplier_id", "name", "email", "po_fen", "below_minimum").rows() == [
        ("S1", "供应商S1", "S1@example.com", 200, False),
        ("S2", None, None, 300, False),   # not in the supplier list (master data stops that first): still counted
        ("S3", "供应商S3", "S3@example.com", 100, False)]


def test_a_free_purchase_order_without_a_minimum_is_not_below_it():
    purchase = purchase_for([3], cost_fen=0)  # samples the supplier gives away: a PO of 0 fen
    totals = total_by_supplier(purchase, supplier_rows(("S1", None)))
    assert totals.select("po_fen", "units_purchased", "below_minimum").row(0) == (0, 3, False)


def test_a_suppliers_lines_come_in_sku_order():
    skus = ["SKU5", "SKU3", "SKU1", "SKU4", "SKU2", "SKU6"]
    rows = orders(*[dict(order_id=f"O{i}", customer_id=f"c{i}", qty=i + 1, created_at=f"2026-11-21 10:0{i}",
                         listing_id=f"L{sku[-1]}") for i, sku in enumerate(skus)])
    items = products(*[dict(sku_id=sku, supplier_id="S1" if sku != "SKU6" else "S0", cost_fen=100) for sku in skus])
    closed = close_listings(rows, listings(*[dict(listing_id=f"L{sku[-1]}", sku_id=sku) for sku in skus]), items,
                            NIGHTLY)
    purchase = build_purchase_lines(closed.allocations, items)
    assert purchase.select("supplier_id", "sku_id", "units_allocated").rows() == [
        ("S0", "SKU6", 6), ("S1", "SKU1", 3), ("S1", "SKU2", 5), ("S1", "SKU3", 2), ("S1", "SKU4", 4),
        ("S1", "SKU5", 1)]


def test_supplier_totals_come_in_supplier_order():
    ids = ["S5", "S2", "S6", "S1", "S4", "S3"]
    purchase = pl.DataFrame({"supplier_id": ids, "sku_id": [f"K{s}" for s in ids], "cost_fen": [100] * 6,
                             "units_purchased": [1] * 6})
    totals = total_by_supplier(purchase, supplier_rows(*[(s, 0) for s in ids]))
    assert totals["supplier_id"].to_list() == ["S1", "S2", "S3", "S4", "S5", "S6"]
