import pandera.polars as pa
import polars as pl


class Groups(pa.DataFrameModel):
    """groups: every group of a run's closing listings, formed or not (成团)."""

    calendar: str = pa.Field(required=False, isin=["nightly", "weekly"], description="partition: set when written")
    cutoff_date: pl.Date = pa.Field(required=False, description="partition: set when written")
    listing_id: str
    group_pickup_point_id: str = pa.Field(nullable=True, description="null: a platform-wide group")
    units: int = pa.Field(ge=0, description="units allocated")
    participants: int = pa.Field(ge=0, description="customers with units allocated")
    min_qty: int = pa.Field(ge=0)
    lowest_threshold: int = pa.Field(nullable=True, ge=1, description="the lowest tier's participants")
    is_formed: bool
    tier_price_fen: int = pa.Field(nullable=True, ge=0, description="the tier reached, if any")

    class Config:
        strict = True
