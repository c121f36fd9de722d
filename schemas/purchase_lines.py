import pandera.polars as pa
import polars as pl


class PurchaseLines(pa.DataFrameModel):
    """purchase_lines: one purchase line per supplier and SKU of a run (key: calendar, cutoff_date,
    supplier_id, sku_id). Checked before it is written."""

    calendar: str = pa.Field(required=False, isin=["nightly", "weekly"], description="partition: set when written")
    cutoff_date: pl.Date = pa.Field(required=False, description="partition: set when written")
    supplier_id: str
    sku_id: str
    units_allocated: int = pa.Field(gt=0)
    case_pack: int = pa.Field(ge=1)
    case_rounding: str = pa.Field(isin=["up", "down"])
    cases: int = pa.Field(ge=1)
    units_purchased: int = pa.Field(gt=0)
    surplus_units: int = pa.Field(ge=0)
    unit_cost_fen: int = pa.Field(ge=0)
    cost_fen: int = pa.Field(ge=0)

    class Config:
        strict = True

    @pa.dataframe_check(error="whole cases that cover the allocation, costed exactly")
    def cases_cover(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("units_purchased") == pl.col("cases") * pl.col("case_pack"))
            & (pl.col("units_purchased") == pl.col("units_allocated") + pl.col("surplus_units"))
            & (pl.col("surplus_units") < pl.col("case_pack"))
            & (pl.col("cost_fen") == pl.col("units_purchased") * pl.col("unit_cost_fen")))
