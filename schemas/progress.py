import pandera.polars as pa


class ProgressRows(pa.DataFrameModel):
    """progress.json `rows` (`cutoff progress`, transforms/progress.py): one per listing of the coming
    cutoff (pickup_point_id null) and one per listing and pickup point with orders. Every key on
    every row; null where it does not apply."""

    listing_id: str
    pickup_point_id: str = pa.Field(nullable=True, description="null: the listing as a whole")
    sku_id: str
    group_scope: str = pa.Field(isin=["platform", "pickup_point"])
    units: int = pa.Field(ge=0, description="what step 3 counts: units after the caps")
    participants: int = pa.Field(ge=0, description="customers with units after the caps")
    would_form: bool = pa.Field(nullable=True, description="null on a pickup_point listing's own row")
    missing_units: int = pa.Field(nullable=True, ge=0)
    missing_participants: int = pa.Field(nullable=True, ge=0, description="0 without tiers")
    price_fen: int = pa.Field(nullable=True, ge=0, description="what a unit would cost if it formed now")
    next_price_fen: int = pa.Field(nullable=True, ge=0)
    participants_to_next_tier: int = pa.Field(nullable=True, ge=1, description="null past the top tier")
    units_to_fill_case: int = pa.Field(nullable=True, ge=0, description="down products only")
    units_case_cut: int = pa.Field(nullable=True, ge=0, description="what case rounding would take back now")
    stock_left: int = pa.Field(nullable=True, ge=0)
    point_cap_left: int = pa.Field(nullable=True, ge=0)
    pool_left: int = pa.Field(nullable=True, ge=0, description="the stock pool's units left (一盘货)")
    groups: int = pa.Field(nullable=True, ge=0, description="listing rows: its groups with lines")
    groups_formed: int = pa.Field(nullable=True, ge=0)

    class Config:
        strict = True
