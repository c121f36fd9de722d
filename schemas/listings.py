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
    "deposit_fen": optional("int"), "deposit_closes_at": optional("ts"), "audience_listing_id": optional(),
    "pool_id": optional(), "pool_reserve": optional("int", 0),
}
# the columns of a deposit presale, a presale buyers' group and a stock pool (rulebook: "Presale
# deposits, the presale buyers' group and one stock pool"); a listing without them behaves as before
PRESALE_COLUMNS = ("deposit_fen", "deposit_closes_at", "audience_listing_id", "pool_id", "pool_reserve")


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
    deposit_fen: int = pa.Field(nullable=True, ge=0, description="a deposit presale (定金): the deposit a unit, "
                                                                 "paid when ordering; below unit_price_fen")
    deposit_closes_at: DateTime = pa.Field(nullable=True, dtype_kwargs=UTC,
                                           description="a deposit presale: the end of ordering (UTC instant), "
                                                       "in [opens_at, closes_at]; the balance is due by closes_at")
    audience_listing_id: str = pa.Field(nullable=True, str_matches=ID_PATTERN,
                                        description="a presale buyers' group (专属团): open only to the customers "
                                                    "of this listing")
    pool_id: str = pa.Field(nullable=True, str_matches=ID_PATTERN, description="a stock pool of pools.csv "
                                                                              "(一盘货) the listing sells from")
    pool_reserve: int = pa.Field(ge=0, description="units of the pool held for this listing until its turn")

    class Config:
        strict = True

    @pa.dataframe_check(error="closes_at must be after opens_at")
    def closes_after_opening(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("closes_at") > pl.col("opens_at"))

    @pa.dataframe_check(error="deposit_fen must be below unit_price_fen (the balance is the rest)")
    def deposit_below_price(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("deposit_fen").is_null() | (pl.col("deposit_fen") < pl.col("unit_price_fen")))

    @pa.dataframe_check(error="deposit_closes_at must lie between opens_at and closes_at")
    def deposit_closes_in_listing(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("deposit_closes_at").is_null()
            | ((pl.col("deposit_closes_at") >= pl.col("opens_at"))
               & (pl.col("deposit_closes_at") <= pl.col("closes_at"))))

    @pa.dataframe_check(error="deposit_closes_at is set but the listing takes no deposit (deposit_fen)")
    def deposit_closes_needs_deposit(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("deposit_closes_at").is_null() | (pl.col("deposit_fen").fill_null(0) > 0))

    @pa.dataframe_check(error="audience_listing_id names the listing itself: a buyers' group is for another "
                              "listing's customers")
    def audience_not_itself(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("audience_listing_id").is_null()
                                     | (pl.col("audience_listing_id") != pl.col("listing_id")))

    @pa.dataframe_check(error="pool_reserve is set but the listing names no pool_id")
    def reserve_needs_pool(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("pool_id").is_not_null() | (pl.col("pool_reserve") == 0))

    @pa.dataframe_check(error="tiers: each participants threshold at most once, and at least 1")
    def tier_thresholds_distinct(cls, data) -> pl.LazyFrame:
        thresholds = (pl.col("tiers").str.extract_all(r"\d+:")
                      .list.eval(pl.element().str.strip_suffix(":").cast(pl.Int64)))
        return data.lazyframe.select(
            pl.col("tiers").is_null()
            | ((thresholds.list.n_unique() == thresholds.list.len()) & (thresholds.list.min() >= 1)))
