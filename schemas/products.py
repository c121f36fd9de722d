import pandera.polars as pa

from schemas.columns import ID_PATTERN, optional, required

COLUMNS = {
    "sku_id": required(), "name": required(), "spec": optional(), "unit": required(),
    "category": required(), "supplier_id": required(), "cost_fen": required("int"),
    "case_pack": optional("int", 1), "case_rounding": optional("str", "up"),
}


class Products(pa.DataFrameModel):
    """products.csv: SKUs, their supplier, cost and case pack."""

    sku_id: str = pa.Field(str_matches=ID_PATTERN, unique=True)
    name: str
    spec: str = pa.Field(nullable=True, description="e.g. 5斤/箱")
    unit: str = pa.Field(description="盒, 斤, 袋, ...")
    category: str = pa.Field(description="a category of categories.csv")
    supplier_id: str = pa.Field(str_matches=ID_PATTERN, description="a supplier of suppliers.csv")
    cost_fen: int = pa.Field(ge=0, description="purchase cost per unit, fen")
    case_pack: int = pa.Field(ge=1, description="units per supplier case")
    case_rounding: str = pa.Field(isin=["up", "down"], description="buy whole cases up, or cut down")

    class Config:
        strict = True
