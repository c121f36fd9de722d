import pandera.polars as pa


class ExportWarnings(pa.DataFrameModel):
    """export_warnings: what a platform export said that a run must report (export_amount_mismatch,
    export_order_number, export_summary_mismatch), kept with the file that said it, so every run of
    its window (reruns too) reports it in summary.json `warnings` (docs/platform-exports.md)."""

    file_hash: str = pa.Field(description="the registry key of the file (ingested_files.file_hash)")
    source_file: str = pa.Field(description="relative to the data dir")
    file_seq: int = pa.Field(ge=1, description="the file's ingestion order (ingested_files.file_seq)")
    seq: int = pa.Field(ge=1, description="the warning's place among the file's")
    order_id: str = pa.Field(nullable=True, description="the order it is about; null: the whole file")
    warning: str = pa.Field(description="the text, `export_...: FILE: ...`")
    ingested_by: str = pa.Field(description="the run that read the file, e.g. 'nightly 2026-11-21'")

    class Config:
        strict = True
