import pandera.polars as pa

from schemas.columns import ID_PATTERN, optional, required

COLUMNS = {
    "supplier_id": required(), "name": required(), "email": optional(),
    "min_order_fen": optional("int", 0), "delivery_window": optional(),
}


class Suppliers(pa.DataFrameModel):
    """suppliers.csv: who delivers. `email` may hold several addresses separated by `;`."""

    supplier_id: str = pa.Field(str_matches=ID_PATTERN, unique=True, description="supplier id")
    name: str = pa.Field(description="company name, printed on the purchase order")
    email: str = pa.Field(nullable=True, str_matches=r"^[^@\s;]+@[^@\s;]+(\s*;\s*[^@\s;]+@[^@\s;]+)*;?$",
                          description="purchase-order recipients, `;`-separated")
    min_order_fen: int = pa.Field(ge=0, description="minimum purchase-order value in fen")
    delivery_window: str = pa.Field(nullable=True, description="e.g. 次日 05:00-07:00")

    class Config:
        strict = True
