"""Step 5: case rounding for `down` products (整箱采购).

Per listing, the allocated units that do not fill a whole supplier case are taken back from the
latest lines first (the reverse of the first-come-first-served order), reason `case_not_filled`.
Steps 3 and 4 (groups, tier prices) are not revisited.
"""

from __future__ import annotations

import polars as pl

from transforms.allocation import FCFS_RANK, first_cut

CASE_NOT_FILLED = "case_not_filled"


def round_cases_down(lines: pl.DataFrame) -> pl.DataFrame:
    is_down = pl.col("case_rounding") == "down"
    allocated = pl.col("qty_allocated")
    remainder = allocated.sum().over("listing_id") % pl.col("case_pack")
    # walking from the latest line back: units of later lines come back first
    later = allocated.cum_sum(reverse=True).over("listing_id") - allocated
    take_back = pl.min_horizontal(allocated, (remainder - later).clip(lower_bound=0))
    take_back = pl.when(is_down).then(take_back).otherwise(0).cast(pl.Int64)
    return (
        lines.sort(FCFS_RANK)
        .with_columns(take_back.alias("_take_back"))
        .with_columns(first_cut(CASE_NOT_FILLED, pl.col("_take_back") > 0))
        .with_columns((allocated - pl.col("_take_back")).alias("qty_allocated"))
        .drop("_take_back")
    )
