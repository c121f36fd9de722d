import pandera.polars as pa

from schemas.columns import MAX_BP, optional, required

COLUMNS = {"category": required(), "leader_bp": required("int"), "storage": optional()}
STORAGE = ("常温", "冷藏", "冷冻")  # ambient, chilled, frozen: printed on crate labels


class Categories(pa.DataFrameModel):
    """categories.csv: the team leader's commission rate per product category."""

    category: str = pa.Field(unique=True, description="category name, e.g. 水果")
    leader_bp: int = pa.Field(ge=0, le=MAX_BP, description="leader commission in basis points")
    storage: str = pa.Field(nullable=True, isin=list(STORAGE),
                            description="常温 ambient, 冷藏 chilled, 冷冻 frozen: a crate holds one kind; empty: 常温")

    class Config:
        strict = True
