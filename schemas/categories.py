import pandera.polars as pa

from schemas.columns import MAX_BP, required

COLUMNS = {"category": required(), "leader_bp": required("int")}


class Categories(pa.DataFrameModel):
    """categories.csv: the team leader's commission rate per product category."""

    category: str = pa.Field(unique=True, description="category name, e.g. 水果")
    leader_bp: int = pa.Field(ge=0, le=MAX_BP, description="leader commission in basis points")

    class Config:
        strict = True
