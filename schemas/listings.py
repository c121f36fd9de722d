import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import DateTime

from schemas.columns import ID_PATTERN, MAX_BP, TIERS_PATTERN, optional, required

UTC = {"time_unit": "us", "time_zone": "UTC"}
COLUMNS = {
    "listing_id": required(), "sku_id": required(), "calendar": required(),
    "opens_at": required("ts"), "closes_at": required("ts"), "unit_price_fen": required("int"),
    "tiers": optional(), "min_qty": optional("int", 1), "group_scope": optional("str", "platform"),
    "stock_cap": optional("int"), "point_cap": optional("int"),
    "dist_l1_bp": optional("int", 0), "dist_l2_bp": optional("int", 0),
}


class Listings(pa.DataFrameModel):
    """listings.csv: a SKU offered on one calendar between opens_at and closes_at (团购活动)."""

    listing_id: str = pa.Field(str_matches=ID_PATTERN, unique=True)
    sku_id: str = pa.Field(str_matches=ID_PATTERN, description="a product of products.csv")
    calendar: str = pa.Field(isin=["nightly", "weekly"])
    opens_at: DateTime = pa.Field(dtype_kwargs=UTC, description="UTC instant")
    closes_at: DateTime = pa.Field(dtype_kwargs=UTC, description="UTC instant; its cutoff window closes it")
    unit_price_fen: int = pa.Field(ge=0)
    tiers: str = pa.Field(nullable=True, str_matches=TIERS_PATTERN, description="participants:price_fen|...")
    min_qty: int = pa.Field(ge=0, description="units for the group to form")
    group_scope: str = pa.Field(isin=["platform", "pickup_point"])
    stock_cap: int = pa.Field(nullable=True, ge=0, description="units for the whole listing")
    point_cap: int = pa.Field(nullable=True, ge=0, description="units per pickup point")
    dist_l1_bp: int = pa.Field(ge=0, le=MAX_BP)
    dist_l2_bp: int = pa.Field(ge=0, le=MAX_BP)

    class Config:
        strict = True

    @pa.dataframe_check(error="closes_at must be after opens_at")
    def closes_after_opening(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("closes_at") > pl.col("opens_at"))

    @pa.dataframe_check(error="tiers: each participants threshold at most once, and at least 1")
    def tier_thresholds_distinct(cls, data) -> pl.LazyFrame:
        thresholds = (pl.col("tiers").str.extract_all(r"\d+:")
                      .list.eval(pl.element().str.strip_suffix(":").cast(pl.Int64)))
        return data.lazyframe.select(
            pl.col("tiers").is_null()
            | ((thresholds.list.n_unique() == thresholds.list.len()) & (thresholds.list.min() >= 1)))
