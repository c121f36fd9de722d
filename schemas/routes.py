import pandera.polars as pa

from schemas.columns import ID_PATTERN, optional, required

CLOCK_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"
COLUMNS = {"route_id": required(), "departs_at": required(), "contact_name": optional(), "contact_phone": optional()}


class Routes(pa.DataFrameModel):
    """routes.csv (optional master data): when each delivery route leaves the warehouse, and whom
    a leader calls about it. Read by the notice before arrival (docs/progress.md)."""

    route_id: str = pa.Field(str_matches=ID_PATTERN, unique=True, description="a route_id of pickup_points.csv")
    departs_at: str = pa.Field(str_matches=CLOCK_PATTERN,
                               description="local HH:MM: the first such time after the cutoff instant")
    contact_name: str = pa.Field(nullable=True, description="the driver or dispatcher to call")
    contact_phone: str = pa.Field(nullable=True)

    class Config:
        strict = True
