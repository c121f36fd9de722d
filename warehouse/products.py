"""The rows of the product review (选品, `cutoff report`, transforms/product_review.py): per SKU over
the cutoffs dated start..end that ran successfully (both calendars)."""

from __future__ import annotations

from datetime import date

import polars as pl

from warehouse.connection import Warehouse

RAN = ("(calendar, cutoff_date) IN (SELECT (calendar, cutoff_date) FROM runs WHERE status = 'success' "
       "AND cutoff_date BETWEEN ? AND ?)")


def product_rows(warehouse: Warehouse, start: date, end: date) -> dict[str, pl.DataFrame]:
    """sales (sku_id, units, gmv_fen, cutoffs), customers (sku_id, customers, repeat_customers: those
    with units in two or more cutoffs), purchases (sku_id, cost_fen, units_purchased), groups
    (sku_id, groups, formed), products (the stored master's sku_id, name, category, supplier_id)."""
    span = [start, end]
    sales = warehouse.frame(f"""
        SELECT sku_id, CAST(sum(qty_allocated) AS BIGINT) AS units, CAST(sum(net_fen) AS BIGINT) AS gmv_fen,
               CAST(count(DISTINCT (calendar, cutoff_date)) AS BIGINT) AS cutoffs
        FROM allocations WHERE {RAN} GROUP BY sku_id""", span)
    customers = warehouse.frame(f"""
        SELECT sku_id, CAST(count(*) AS BIGINT) AS customers,
               CAST(count(*) FILTER (WHERE bought_in >= 2) AS BIGINT) AS repeat_customers
        FROM (SELECT sku_id, customer_id, count(DISTINCT (calendar, cutoff_date)) AS bought_in FROM allocations
              WHERE qty_allocated > 0 AND {RAN} GROUP BY sku_id, customer_id)
        GROUP BY sku_id""", span)
    purchases = warehouse.frame(f"""
        SELECT sku_id, CAST(sum(cost_fen) AS BIGINT) AS cost_fen,
               CAST(sum(units_purchased) AS BIGINT) AS units_purchased
        FROM purchase_lines WHERE {RAN} GROUP BY sku_id""", span)
    groups = warehouse.frame(f"""
        SELECT l.sku_id, CAST(count(*) AS BIGINT) AS groups,
               CAST(count(*) FILTER (WHERE g.is_formed) AS BIGINT) AS formed
        FROM groups g JOIN (SELECT DISTINCT calendar, cutoff_date, listing_id, sku_id FROM allocations WHERE {RAN}) l
          USING (calendar, cutoff_date, listing_id)
        GROUP BY l.sku_id""", span)
    products = warehouse.frame("SELECT sku_id, name, category, supplier_id FROM products")
    return {"sales": sales, "customers": customers, "purchases": purchases, "groups": groups, "products": products}
