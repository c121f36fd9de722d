import pandera.polars as pa
from pandera.engines.polars_engine import DateTime

from schemas.columns import ID_PATTERN, PHONE_TAIL_PATTERN, optional, required

UTC = {"time_unit": "us", "time_zone": "UTC"}
STATUSES = ["paid", "deposit_paid", "cancelled", "refunded"]  # deposit_paid: a deposit presale's deposit only
SEQ_PER_FILE = 1_000_000_000  # ingest_seq = file_seq * SEQ_PER_FILE + the row: the order of ingestion
COLUMNS = {
    "order_id": required(), "line_no": required("int"), "listing_id": required(),
    "customer_id": required(), "customer_name": optional(), "phone_tail": optional(),
    "pickup_point_id": required(), "qty": required("int"), "unit_price_fen": required("int"),
    "status": required(), "distributor_id": optional(), "created_at": required("ts"),
    "updated_at": optional("ts"), "building": optional(), "room": optional(),
}


class OrderLines(pa.DataFrameModel):
    """An order-line export row (one version of the line `(order_id, line_no)`)."""

    order_id: str = pa.Field(str_matches=ID_PATTERN)
    line_no: int = pa.Field(ge=1)
    listing_id: str = pa.Field(str_matches=ID_PATTERN, description="a listing of listings.csv")
    customer_id: str = pa.Field(str_matches=ID_PATTERN)
    customer_name: str = pa.Field(nullable=True)
    phone_tail: str = pa.Field(nullable=True, str_matches=PHONE_TAIL_PATTERN)
    pickup_point_id: str = pa.Field(str_matches=ID_PATTERN, description="a pickup point of pickup_points.csv")
    qty: int = pa.Field(ge=1, le=100_000)
    unit_price_fen: int = pa.Field(ge=0)
    status: str = pa.Field(isin=STATUSES)
    distributor_id: str = pa.Field(nullable=True, str_matches=ID_PATTERN)
    created_at: DateTime = pa.Field(dtype_kwargs=UTC)
    updated_at: DateTime = pa.Field(dtype_kwargs=UTC, description="defaults to created_at")
    building: str = pa.Field(nullable=True, description="door delivery: the customer's building (楼号), as written")
    room: str = pa.Field(nullable=True, description="door delivery: the customer's room (房号), as written")

    class Config:
        strict = True


class StoredOrderLines(OrderLines):
    """order_lines: the current version of every ingested line (key: order_id, line_no), with
    where it came from."""

    source_file: str = pa.Field(description="relative to the data dir")
    source_row: int = pa.Field(ge=1, description="the row as the file shows it")
    ingest_seq: int = pa.Field(ge=0, description="file_seq * SEQ_PER_FILE + row: the order of ingestion")
