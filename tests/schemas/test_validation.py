"""A rejected row says what is wrong with it, whatever columns the input has."""

import polars as pl

from schemas import orders, refunds
from schemas.validation import ROW, validate_rows
from transforms.staging import parse_columns

TZ = "Asia/Shanghai"


def typed(columns: dict[str, list[str]], specs) -> pl.DataFrame:
    rows = len(next(iter(columns.values())))
    raw = pl.DataFrame(columns, schema={name: pl.String for name in columns}).with_columns(
        pl.Series(ROW, list(range(2, rows + 2)), dtype=pl.Int64))
    return parse_columns(raw, specs, TZ)


def test_a_refund_rejected_carries_the_validation_error_not_its_own_reason_column():
    frame = typed({"refund_id": ["R1", "R2", "R3"], "order_id": ["A", "B", "C"], "line_no": ["1", "1", "0"],
                   "amount_fen": ["500", "0", "300"], "reason": ["破损", "破损", "少发"],
                   "created_at": ["2026-11-21T10:00:00"] * 3}, refunds.COLUMNS)

    valid, rejected = validate_rows(frame, refunds.Refunds)

    assert valid["refund_id"].to_list() == ["R1"]
    assert valid["reason"].to_list() == ["破损"]  # a good refund keeps its own reason
    assert rejected.rows() == [(3, "amount_fen '0' must be > 0"), (4, "line_no '0' must be >= 1")]


def test_an_order_row_rejected_says_what_is_wrong():
    frame = typed({"order_id": ["A", "B"], "line_no": ["1", "1"], "listing_id": ["L1", "L1"],
                   "customer_id": ["c1", "c2"], "customer_name": ["张伟", "李静"], "phone_tail": ["1234", "5678"],
                   "pickup_point_id": ["P1", "P1"], "qty": ["2", "0"], "unit_price_fen": ["32800", "32800"],
                   "status": ["paid", "paid"], "distributor_id": ["", ""],
                   "created_at": ["2026-11-21T09:00:00"] * 2, "updated_at": ["", ""]}, orders.COLUMNS)
    frame = frame.with_columns(pl.col("updated_at").fill_null(pl.col("created_at")))

    _, rejected = validate_rows(frame, orders.OrderLines)

    assert rejected.rows() == [(3, "qty '0' must be >= 1")]
