import pandera.polars as pa

from schemas.columns import ID_PATTERN, required

COLUMNS = {"pool_id": required(), "sku_id": required(), "units": required("int")}


class Pools(pa.DataFrameModel):
    """pools.csv (optional): the stock of one SKU that several listings sell from (一盘货)."""

    pool_id: str = pa.Field(str_matches=ID_PATTERN, unique=True, description="the stock pool")
    sku_id: str = pa.Field(str_matches=ID_PATTERN, description="a product of products.csv: every listing of the "
                                                              "pool sells it")
    units: int = pa.Field(ge=0, description="the units the pool holds, over all its listings and turns")

    class Config:
        strict = True
