"""Step 4, tier prices (阶梯团购价): the `tiers` text read into thresholds and prices."""

import polars as pl
from polars.testing import assert_frame_equal

from transforms.tiers import explode_tiers, lowest_thresholds


def tier_listings(**tiers_by_listing) -> pl.DataFrame:
    return pl.DataFrame({"listing_id": list(tiers_by_listing), "tiers": list(tiers_by_listing.values())},
                        schema={"listing_id": pl.String, "tiers": pl.String})


def test_tiers_are_read_per_listing_in_threshold_order():
    frame = tier_listings(L2="10:30800|3:32800", L1="5:1000 | 2 : 1200", L3=None, L4="")
    expected = pl.DataFrame({"listing_id": ["L1", "L1", "L2", "L2"], "threshold": [2, 5, 3, 10],
                             "tier_price_fen": [1200, 1000, 32800, 30800]})
    assert_frame_equal(explode_tiers(frame), expected)


def test_the_lowest_threshold_is_what_a_group_needs_and_a_listing_without_tiers_needs_none():
    thresholds = lowest_thresholds(explode_tiers(tier_listings(L1="10:30800|3:32800", L2=None)))
    assert thresholds.rows() == [("L1", 3)]
