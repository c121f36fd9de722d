import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import DateTime

from schemas.columns import ID_PATTERN, required

UTC = {"time_unit": "us", "time_zone": "UTC"}
FIELDS = ["product", "pickup_point"]
COLUMNS = {"field": required(), "text": required(), "maps_to": required()}
GROUP_COLUMNS = {"group": required(), "placed_from": required("ts"), "placed_to": required("ts")}


class ExportMap(pa.DataFrameModel):
    """master/export_map.csv (optional): what a 快团团 / 群接龙 export's own texts stand for here
    (docs/platform-exports.md)."""

    field: str = pa.Field(isin=FIELDS, description="product: maps_to is a sku_id; pickup_point: a pickup_point_id")
    text: str = pa.Field(description="as the export writes it: the 商品 cell (新奇士橙(1份十个)), the item name of "
                                     "a multi-item cell, the 服务小区 / 自提点 name; `*`: an export naming no pickup "
                                     "place")
    maps_to: str = pa.Field(str_matches=ID_PATTERN)

    class Config:
        strict = True


class ExportGroups(pa.DataFrameModel):
    """master/export_groups.csv (optional, written by `cutoff init --from-export --date D`): the orders
    of a group (团购) are placed over (placed_from, placed_to), in the order they came."""

    group: str = pa.Field(unique=True, description="the group as its exports name it: 团购标题, else the file name")
    placed_from: DateTime = pa.Field(dtype_kwargs=UTC)
    placed_to: DateTime = pa.Field(dtype_kwargs=UTC)

    class Config:
        strict = True

    @pa.dataframe_check(error="placed_to must be after placed_from")
    def placed_in_order(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("placed_to") > pl.col("placed_from"))
