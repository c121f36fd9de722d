"""forecast.parquet (reports/forecast/<D>/, `cutoff forecast`): one row per forecast, as the issue
and docs/forecast.md define it. P10 <= P50 <= P90 on every row; a SKU's pickup-point P50 add up
to its SKU row and a supplier's SKUs to its supplier row (tests/transforms/test_forecast.py)."""

import pandera.polars as pa
import polars as pl

from schemas.columns import ID_PATTERN

COLUMNS = ("level", "calendar", "cutoff_date", "sku_id", "supplier_id", "pickup_point_id", "units_p10",
           "units_p50", "units_p90", "cases_p10", "cases_p50", "cases_p90", "method")


class Forecasts(pa.DataFrameModel):
    level: str = pa.Field(isin=["supplier", "sku", "sku_point"], description="what the row adds up")
    calendar: str = pa.Field(isin=["nightly"])
    cutoff_date: pl.Date = pa.Field(description="the cutoff forecast")
    sku_id: str = pa.Field(nullable=True, str_matches=ID_PATTERN, description="sku and sku_point rows")
    supplier_id: str = pa.Field(str_matches=ID_PATTERN)
    pickup_point_id: str = pa.Field(nullable=True, str_matches=ID_PATTERN, description="sku_point rows")
    units_p10: float = pa.Field(ge=0, description="units allocated, before case rounding: 10% below")
    units_p50: float = pa.Field(ge=0, description="the expected units, unrounded: what a supplier buys to")
    units_p90: float = pa.Field(ge=0, description="10% above")
    cases_p10: pl.Int64 = pa.Field(nullable=True, ge=0, description="in the product's cases (sku, supplier)")
    cases_p50: pl.Int64 = pa.Field(nullable=True, ge=0)
    cases_p90: pl.Int64 = pa.Field(nullable=True, ge=0)
    method: str = pa.Field(description="the SKU's method; `share` (split by points), `sum` (a supplier)")

    class Config:
        strict = True
        coerce = True

    @pa.dataframe_check(error="units_p10 <= units_p50 <= units_p90")
    def ordered(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("units_p10") <= pl.col("units_p50") + 1e-9)
                                     & (pl.col("units_p50") <= pl.col("units_p90") + 1e-9))

    @pa.dataframe_check(error="sku_id on sku and sku_point rows, pickup_point_id on sku_point rows only")
    def keys_by_level(cls, data) -> pl.LazyFrame:
        level = pl.col("level")
        return data.lazyframe.select((pl.col("sku_id").is_null() == (level == "supplier"))
                                     & (pl.col("pickup_point_id").is_null() == (level != "sku_point")))
