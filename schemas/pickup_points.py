import pandera.polars as pa

from schemas.columns import ID_PATTERN, MAX_BP, optional, required

COLUMNS = {
    "pickup_point_id": required(), "name": required(), "address": optional(),
    "leader_id": required(), "leader_name": required(), "leader_phone": optional(),
    "route_id": required(), "route_seq": required("int"), "leader_bp": optional("int"),
}


class PickupPoints(pa.DataFrameModel):
    """pickup_points.csv: where customers collect, who leads it, and its delivery route stop."""

    pickup_point_id: str = pa.Field(str_matches=ID_PATTERN, unique=True)
    name: str
    address: str = pa.Field(nullable=True)
    leader_id: str = pa.Field(str_matches=ID_PATTERN, description="the team leader (团长)")
    leader_name: str
    leader_phone: str = pa.Field(nullable=True)
    route_id: str = pa.Field(str_matches=ID_PATTERN, description="delivery route")
    route_seq: int = pa.Field(ge=0, description="stop order on the route")
    leader_bp: int = pa.Field(nullable=True, ge=0, le=MAX_BP, description="overrides the category's rate")

    class Config:
        strict = True
