"""Which platform-export warnings a cutoff run reports (summary.json `warnings`, the command line,
the artifact): those of the files whose lines it processes. docs/platform-exports.md, "Warnings".

A warning about an order (`export_amount_mismatch`, `export_order_number`) belongs to the runs
whose closing listings hold a current line of that order from the file that said it (a later
export that corrects the order replaces it with its own); one about the whole file
(`export_summary_mismatch`) to the runs whose closing listings hold a current line from the file;
a file none of whose lines is current (all rejected, say) reports to the run that read it. So a
rerun reports them again, and the same warning once.
"""

from __future__ import annotations

from schemas.orders import SEQ_PER_FILE
from transforms.windows import CutoffWindow
from warehouse.connection import Warehouse


def export_warnings_for(warehouse: Warehouse, window: CutoffWindow, closing_ids: list[str]) -> list[str]:
    """The warnings of the run, in the order their files were read, each once."""
    of_file = f"o.ingest_seq >= w.file_seq * {SEQ_PER_FILE} AND o.ingest_seq < (w.file_seq + 1) * {SEQ_PER_FILE}"
    rows = warehouse.frame(f"""
        SELECT w.warning, min(w.file_seq) AS file_seq, min(w.seq) AS seq FROM export_warnings w
        WHERE EXISTS (SELECT 1 FROM order_lines o
                      WHERE o.listing_id IN (SELECT unnest(?::VARCHAR[]))
                        AND {of_file}
                        AND (w.order_id IS NULL OR o.order_id = w.order_id))
           OR (w.ingested_by = ? AND NOT EXISTS (
                      SELECT 1 FROM order_lines o
                      WHERE {of_file}))
        GROUP BY w.warning ORDER BY file_seq, seq""", [closing_ids, window.label])
    return rows["warning"].to_list()
