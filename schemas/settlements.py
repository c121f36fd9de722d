import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import DateTime

from schemas.commission_ledger import ROLES, WEEK_PATTERN

UTC = {"time_unit": "us", "time_zone": "UTC"}


class Settlements(pa.DataFrameModel):
    """settlements: one statement (结算单) per beneficiary and settled ISO week. Never rewritten."""

    week: str = pa.Field(str_matches=WEEK_PATTERN, description="ISO week, e.g. 2026-W47")
    role: str = pa.Field(isin=ROLES)
    beneficiary_id: str
    beneficiary_name: str = pa.Field(nullable=True, description="from master data at settlement")
    entries: int = pa.Field(ge=1, description="ledger entries dated in the week")
    amount_fen: int = pa.Field(description="their total: what is paid (negative: owed back)")
    settled_at: DateTime = pa.Field(dtype_kwargs=UTC)
    statement_file: str = pa.Field(description="relative to the reports dir")

    class Config:
        strict = True
        unique = ["week", "role", "beneficiary_id"]


class SettledWeeks(pa.DataFrameModel):
    """settled_weeks: one row per closed week (even one without entries)."""

    week: str = pa.Field(str_matches=WEEK_PATTERN, unique=True)
    week_start: pl.Date = pa.Field(description="its Monday")
    week_end: pl.Date = pa.Field(description="its Sunday")
    beneficiaries: int = pa.Field(ge=0)
    entries: int = pa.Field(ge=0)
    amount_fen: int
    settled_at: DateTime = pa.Field(dtype_kwargs=UTC)
    statement_dir: str = pa.Field(description="relative to the reports dir")

    class Config:
        strict = True
