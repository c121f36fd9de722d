import pandera.polars as pa
from pandera.engines.polars_engine import DateTime

from schemas.columns import ID_PATTERN, optional, required

UTC = {"time_unit": "us", "time_zone": "UTC"}
SHORT_REFUND_ID = "short"  # the refund_id of the ledger's shortage clawbacks (transforms/goods_in.py)
COLUMNS = {
    "refund_id": required(), "order_id": required(), "line_no": required("int"),
    "amount_fen": required("int"), "reason": optional(), "created_at": required("ts"),
}


class Refunds(pa.DataFrameModel):
    """An after-sales refund (退款) of an order line, in fen."""

    refund_id: str = pa.Field(str_matches=ID_PATTERN, notin=[SHORT_REFUND_ID],
                              description="applied once: its key; `short` is reserved (the shortage clawbacks)")
    order_id: str = pa.Field(str_matches=ID_PATTERN)
    line_no: int = pa.Field(ge=1)
    amount_fen: int = pa.Field(gt=0)
    reason: str = pa.Field(nullable=True)
    created_at: DateTime = pa.Field(dtype_kwargs=UTC)

    class Config:
        strict = True


class RefundRequests(Refunds):
    """refund_requests: every refund received (one per refund_id), with where it came from."""

    source_file: str = pa.Field(description="relative to the data dir")
    source_row: int = pa.Field(ge=1, description="the row as the file shows it")
    ingest_seq: int = pa.Field(ge=0, description="file_seq * SEQ_PER_FILE (schemas/orders.py) + row")
