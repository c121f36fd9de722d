import pandera.polars as pa
import polars as pl

ENTRY_TYPES = ["accrual", "clawback", "adjustment"]
ADJUSTED_TYPES = ["accrual", "clawback"]
ROLES = ["leader", "dist_l1", "dist_l2"]
WEEK_PATTERN = r"^\d{4}-W\d{2}$"


class CommissionLedger(pa.DataFrameModel):
    """commission_ledger: one row per accrual, clawback or adjustment (佣金台账), in fen.

    Rows belong to the cutoff `(calendar, cutoff_date)` that computed them; they count in the
    settlement week of `entry_date` (docs/commissions.md). Checked before it is written."""

    entry_id: str = pa.Field(unique=True, description="deterministic key (docs/commissions.md)")
    calendar: str = pa.Field(isin=["nightly", "weekly"], description="the cutoff that computed the entry")
    cutoff_date: pl.Date = pa.Field(description="the cutoff that computed the entry")
    entry_date: pl.Date = pa.Field(
        description="the date the entry is dated in: cutoff_date, or for an adjustment the Monday "
                    "of the first open week")
    settlement_week: str = pa.Field(str_matches=WEEK_PATTERN, description="ISO week of entry_date")
    entry_type: str = pa.Field(isin=ENTRY_TYPES)
    adjusted_type: str = pa.Field(nullable=True, isin=ADJUSTED_TYPES,
                                  description="for an adjustment: the kind of entry it corrects")
    role: str = pa.Field(isin=ROLES)
    beneficiary_id: str = pa.Field(description="leader_id or distributor_id")
    order_id: str
    line_no: int = pa.Field(ge=1)
    refund_id: str = pa.Field(nullable=True, description="clawbacks (and their adjustments)")
    base_fen: int = pa.Field(ge=0, description="accrual: the line's net_fen; clawback: the refund")
    rate_bp: int = pa.Field(ge=0, le=10_000)
    amount_fen: int = pa.Field(description="accrual > 0, clawback < 0, adjustment != 0")

    class Config:
        strict = True

    @pa.dataframe_check(error="settlement_week is the ISO week of entry_date")
    def week_of_entry_date(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("entry_date").dt.strftime("%G-W%V") == pl.col("settlement_week"))

    @pa.dataframe_check(error="an accrual is positive, a clawback negative with its refund_id, an "
                              "adjustment non-zero with the type it adjusts")
    def signs_by_type(cls, data) -> pl.LazyFrame:
        kind, amount = pl.col("entry_type"), pl.col("amount_fen")
        return data.lazyframe.select(
            pl.when(kind == "accrual").then((amount > 0) & pl.col("refund_id").is_null()
                                            & pl.col("adjusted_type").is_null())
            .when(kind == "clawback").then((amount < 0) & pl.col("refund_id").is_not_null()
                                           & pl.col("adjusted_type").is_null())
            .otherwise((amount != 0) & pl.col("adjusted_type").is_not_null()))

    @pa.dataframe_check(error="an accrual is round_half_even(base_fen * rate_bp / 10000); a "
                              "clawback never exceeds it in absolute value")
    def amounts_follow_rate(cls, data) -> pl.LazyFrame:
        product = pl.col("base_fen") * pl.col("rate_bp")
        quotient = product // 10_000
        twice = (product - quotient * 10_000) * 2
        rounded = quotient + ((twice > 10_000) | ((twice == 10_000) & (quotient % 2 == 1))).cast(pl.Int64)
        kind, amount = pl.col("entry_type"), pl.col("amount_fen")
        return data.lazyframe.select(
            pl.when(kind == "accrual").then(amount == rounded)
            .when(kind == "clawback").then(-amount <= rounded)
            .otherwise(True))
