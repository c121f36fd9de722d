import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import DateTime

UTC = {"time_unit": "us", "time_zone": "UTC"}
STATUSES = ["pending", "delivered", "failed"]
VIA = ["run", "resend"]


class PoDeliveries(pa.DataFrameModel):
    """po_deliveries: the exactly-once record of the purchase orders posted to suppliers' systems
    (po_transport = api, docs/po-api.md). Rows are appended, never replaced. Per (calendar,
    cutoff_date, supplier_id) a revision is opened by a `pending` row, written before its first
    request, that fixes its content hash, its Idempotency-Key and the exact body every attempt at it
    sends, in any run; the newest row of a revision says where it stands."""

    calendar: str = pa.Field(isin=["nightly", "weekly"])
    cutoff_date: pl.Date
    supplier_id: str
    po_number: str
    revision: int = pa.Field(ge=1, description="1 = first; +1 for each changed content")
    idempotency_key: str = pa.Field(description="PO number + revision: the same on every attempt at a revision")
    content_hash: str = pa.Field(description="sha256 of the PO's data (transforms/po_body.py data_hash)")
    status: str = pa.Field(isin=STATUSES, description="pending (before the first request), delivered (a 2xx), "
                                                      "failed (after the run's attempts)")
    via: str = pa.Field(isin=VIA, description="a cutoff run, or `cutoff resend`")
    url: str = pa.Field(description="where it was posted")
    attempts: int = pa.Field(ge=0, description="requests made by this run for this row (0 on a pending row)")
    http_status: int = pa.Field(nullable=True, description="the last answer's status code; none: no answer")
    reference: str = pa.Field(nullable=True, description="the supplier's own reference, from a 2xx answer")
    answer: str = pa.Field(nullable=True, description="the last answer's body, first 1,000 characters")
    error: str = pa.Field(nullable=True, description="why it failed, for people")
    body: str = pa.Field(nullable=True, description="the request body (UTF-8 JSON), on the pending row only")
    first_attempt_at: DateTime = pa.Field(nullable=True, dtype_kwargs=UTC, description="this run's first request")
    recorded_at: DateTime = pa.Field(dtype_kwargs=UTC)

    class Config:
        strict = True
