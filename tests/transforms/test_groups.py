"""Groups not formed, ranked for ops: closest to forming first (transforms.groups)."""

import polars as pl
from polars.testing import assert_frame_equal

from transforms.groups import UNFORMED_COLUMNS, rank_unformed_groups

LISTINGS = pl.DataFrame({"listing_id": ["L1", "L2"], "sku_id": ["K1", "K2"]})
PRODUCTS = pl.DataFrame({"sku_id": ["K1", "K2"], "name": ["月饼", "砂糖橘"]})


def groups(*rows) -> pl.DataFrame:
    """(listing, pickup point or None for the platform, units, min_qty, participants, lowest threshold, formed)"""
    return pl.DataFrame(rows, schema={"listing_id": pl.String, "group_pickup_point_id": pl.String,
                                      "units": pl.Int64, "min_qty": pl.Int64, "participants": pl.Int64,
                                      "lowest_threshold": pl.Int64, "is_formed": pl.Boolean}, orient="row")


def test_closest_to_forming_first_by_the_requirement_furthest_off():
    ranked = rank_unformed_groups(groups(
        ("L1", "P1", 2, 10, 5, None, False),    # 20% of the units
        ("L1", "P2", 9, 10, 1, 4, False),       # 90% of the units but 25% of the people: 25%
        ("L2", None, 8, 10, 3, None, False),    # 80%: the closest
        ("L2", "P3", 12, 10, 6, 5, True),       # formed: not listed
        ("L1", "P4", 5, 10, 2, 4, False),       # 50% both ways
    ), LISTINGS, PRODUCTS)
    assert_frame_equal(ranked, pl.DataFrame({
        "listing_id": ["L2", "L1", "L1", "L1"], "sku_id": ["K2", "K1", "K1", "K1"],
        "name": ["砂糖橘", "月饼", "月饼", "月饼"], "group_pickup_point_id": [None, "P4", "P2", "P1"],
        "units": [8, 5, 9, 2], "min_qty": [10, 10, 10, 10], "participants": [3, 2, 1, 5],
        "lowest_threshold": [None, 4, 4, None], "units_short": [2, 5, 1, 8], "participants_short": [0, 2, 3, 0]},
        schema_overrides={"lowest_threshold": pl.Int64}))


def test_no_groups_give_an_empty_frame_with_the_columns():
    ranked = rank_unformed_groups(groups(), LISTINGS, PRODUCTS)
    assert ranked.columns == UNFORMED_COLUMNS and ranked.height == 0
