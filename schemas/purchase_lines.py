import polars as pl
import pandera.polars as pa


class PurchaseLines(pa.DataFrameModel):
    """One purchase line per supplier and SKU. Checked before it is written."""

    supplier_id: str
    sku_id: str
    units_allocated: int = pa.Field(gt=0)
    case_pack: int = pa.Field(ge=1)
    cases: int = pa.Field(ge=1)
    units_purchased: int = pa.Field(gt=0)
    surplus_units: int = pa.Field(ge=0)
    unit_cost_fen: int = pa.Field(ge=0)
    cost_fen: int = pa.Field(ge=0)

    class Config:
        strict = False

    @pa.dataframe_check(error="whole cases that cover the allocation, costed exactly")
    def cases_cover(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("units_purchased") == pl.col("cases") * pl.col("case_pack"))
            & (pl.col("units_purchased") == pl.col("units_allocated") + pl.col("surplus_units"))
            & (pl.col("surplus_units") < pl.col("case_pack"))
            & (pl.col("cost_fen") == pl.col("units_purchased") * pl.col("unit_cost_fen")))
