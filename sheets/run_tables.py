"""What the workbooks of a run are made of: its tables, as the cutoff computed them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl

from transforms.windows import CutoffWindow

if TYPE_CHECKING:  # kept out of the workbook worker processes' imports (they never need it)
    from inbox.master import Master


@dataclass(frozen=True)
class RunTables:
    window: CutoffWindow            # transforms.windows
    summary: dict                   # the summary.json dict (contract keys)
    allocations: pl.DataFrame       # columns of transforms.close.ALLOCATION_COLUMNS (incl. customer_name, phone_tail)
    purchase_lines: pl.DataFrame    # transforms.purchase.PURCHASE_COLUMNS
    supplier_totals: pl.DataFrame   # transforms.purchase.total_by_supplier
    groups: pl.DataFrame            # transforms.groups.summarize_groups + tier_price_fen
    rejects: pl.DataFrame           # source_file, row_number, reason, raw
    master: Master                  # inbox.master.Master
    generated_at: datetime          # aware; printed on the PO (NOT part of any content hash)
