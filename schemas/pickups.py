import pandera.polars as pa
from pandera.engines.polars_engine import DateTime

from schemas.columns import ID_PATTERN, optional, required

UTC = {"time_unit": "us", "time_zone": "UTC"}
COLUMNS = {
    "order_id": required(), "line_no": required("int"), "picked_up_at": required("ts"),
    "pickup_point_id": optional(),
}


class Pickups(pa.DataFrameModel):
    """A pickup scan (核销) row: the leader scanned the line `(order_id, line_no)` as collected."""

    order_id: str = pa.Field(str_matches=ID_PATTERN)
    line_no: int = pa.Field(ge=1)
    picked_up_at: DateTime = pa.Field(dtype_kwargs=UTC, description="when the line was scanned")
    pickup_point_id: str = pa.Field(nullable=True, str_matches=ID_PATTERN,
                                    description="where it was scanned (informative: the line's own point counts)")

    class Config:
        strict = True


class StoredPickups(Pickups):
    """pickups: the earliest scan of every line with something to hand out (key: order_id, line_no),
    with where it came from. A later scan of the same line changes nothing; an earlier one replaces it."""

    source_file: str = pa.Field(description="relative to the data dir")
    source_row: int = pa.Field(ge=1, description="the row as the file shows it")
    ingest_seq: int = pa.Field(ge=0, description="file_seq * SEQ_PER_FILE (schemas/orders.py) + row")
