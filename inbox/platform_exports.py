"""A 快团团 / 群接龙 .xlsx export in inbox/orders/, read into the same text frames as any order file
(docs/platform-exports.md): order lines and refund rows with `_row` (a key: the sheet row x 100 +
the item of the row), `_sheet_row` (the row Excel shows, on the line sheet) and `_raw` (the row as
the export writes it, JSON), plus the rows it rejects and its warnings. inbox/ingest.py then
validates and loads them like any other file.

The rules are transforms/export_*.py; the workbook is read by inbox/xlsx_reader.py.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from inbox.readers import UnreadableFile, file_hash
from inbox.xlsx_reader import read_workbook
from schemas import orders, refunds
from schemas.orders import SEQ_PER_FILE
from transforms.export_cells import cell_text
from transforms.export_mapping import (
    ExportMaster,
    ListingSpan,
    MappedExport,
    NotAnExport,
    ParsedExport,
    map_export,
    parse_export,
    summary_mismatches,
)
from transforms.export_orders import order_id
from transforms.staging import ROW_COLUMN

EXPORT_SUFFIXES = (".xlsx",)
SHEET_ROW = "_sheet_row"   # the row as Excel shows it (rejects, source_row)
RAW = "_raw"               # the export's row, JSON (rejects' raw)
ITEMS_PER_ROW = 100        # _row = sheet row * ITEMS_PER_ROW + the item's place in its row


def is_export(path: Path) -> bool:
    return path.suffix.lower() in EXPORT_SUFFIXES


def export_key(path: Path, data_dir: Path) -> str:
    """What an export is known by in the registry: its bytes and the mapping it is read through
    (master/export_map.csv, export_groups.csv). A fixed mapping reads the exports again: their
    lines come again as new versions of the same lines (never a second line), and the rejects of
    the earlier reading no longer count (the same path was ingested again)."""
    digest = hashlib.sha256(file_hash(path).encode("ascii"))
    for name in ("export_map.csv", "export_groups.csv"):
        mapping = data_dir / "master" / name
        digest.update(b"|" + (file_hash(mapping).encode("ascii") if mapping.is_file() else b"-"))
    return digest.hexdigest()


def read_export_file(path: Path, relative: str) -> ParsedExport:
    """The export parsed (no master data needed); when it was saved: its docProps/core.xml says, else
    the file's modification time. Raises UnreadableFile with the one-line reason for the whole
    file's reject: it cannot be read, or it is no known export (the headers found)."""
    try:
        workbook = read_workbook(path)
    except UnreadableFile as exc:
        raise UnreadableFile(f"cannot read the export: {exc}") from None
    saved = workbook.modified or datetime.fromtimestamp(path.stat().st_mtime, ZoneInfo("UTC"))
    try:
        return parse_export(workbook.sheets, relative, path.name, saved)
    except NotAnExport as exc:
        raise UnreadableFile(str(exc)) from None


def export_master(export_map: pl.DataFrame, export_groups: pl.DataFrame, listings: pl.DataFrame,
                  timezone: str) -> ExportMaster:
    tz = ZoneInfo(timezone)
    lookup: dict[str, dict[str, str]] = {"product": {}, "pickup_point": {}}
    for row in export_map.iter_rows(named=True):
        lookup[row["field"]][row["text"]] = row["maps_to"]
    spans: dict[str, list[ListingSpan]] = {}
    for row in listings.sort("closes_at", "listing_id").iter_rows(named=True):
        spans.setdefault(row["sku_id"], []).append(
            ListingSpan(row["listing_id"], row["opens_at"], row["closes_at"], row["unit_price_fen"]))
    placements = {row["group"]: (row["placed_from"].astimezone(tz).replace(tzinfo=None),
                                 row["placed_to"].astimezone(tz).replace(tzinfo=None))
                  for row in export_groups.iter_rows(named=True)}
    return ExportMaster(lookup["product"], lookup["pickup_point"], spans, placements)


@dataclass
class ExportFrames:
    """An export read for ingest: text frames like a reader's (orders, refunds), the rows it
    rejected (sheet_row, reason, raw, order_id, line_no, listing_id, created_at) and its warnings
    ((order_id or None, text))."""

    parsed: ParsedExport
    orders: pl.DataFrame
    refunds: pl.DataFrame
    rejects: pl.DataFrame
    warnings: list[tuple[str | None, str]] = field(default_factory=list)
    span: tuple[datetime, datetime, datetime] | None = None  # what it states in full (`_span`)


def raw_rows(parsed: ParsedExport) -> dict[int, str]:
    """Each row of the line sheet as the export writes it: {header: text}, JSON."""
    headers = parsed.line.headers
    out = {}
    for number, cells in parsed.line.sheet.rows:
        if number <= parsed.line.header_row:
            continue
        record = {(headers[i] if i < len(headers) and headers[i] else f"column {i + 1}"): cell_text(value)
                  for i, value in enumerate(cells) if cell_text(value) is not None}
        out[number] = json.dumps(record, ensure_ascii=False)
    return out


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(ZoneInfo("UTC")) if value is not None else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _text_frame(rows: list[dict], columns: list[str], raws: dict[int, str]) -> pl.DataFrame:
    seen: dict[int, int] = {}
    records = []
    for row in rows:
        number = row["sheet_row"]
        place = seen.get(number, 0)
        seen[number] = place + 1
        record = {name: (_iso(row.get(name)) if isinstance(row.get(name), datetime)
                         else None if row.get(name) is None else str(row[name])) for name in columns}
        records.append({**record, ROW_COLUMN: number * ITEMS_PER_ROW + place, SHEET_ROW: number,
                        RAW: raws.get(number)})
    schema = {**{name: pl.String for name in columns}, ROW_COLUMN: pl.Int64, SHEET_ROW: pl.Int64, RAW: pl.String}
    return pl.DataFrame(records, schema=schema, orient="row") if records else pl.DataFrame(schema=schema)


def export_frames(parsed: ParsedExport, master: ExportMaster, timezone: str) -> ExportFrames:
    mapped: MappedExport = map_export(parsed, master, timezone)
    raws = raw_rows(parsed)
    sheet = f"sheet {parsed.line.sheet.name}: "
    rejects = [{"sheet_row": r.row, "reason": sheet + r.reason, "order_id": None, "line_no": None,
                "listing_id": None, "created_at": None} for r in parsed.rows.rejects]
    rejects += [{**r, "reason": sheet + r["reason"], "created_at": _utc(r["created_at"])} for r in mapped.rejects]
    reject_frame = pl.DataFrame(
        [{**r, "raw": raws.get(r["sheet_row"])} for r in rejects],
        schema={"sheet_row": pl.Int64, "reason": pl.String, "order_id": pl.String, "line_no": pl.String,
                "listing_id": pl.String, "created_at": pl.Datetime("us", "UTC"), "raw": pl.String}, orient="row")
    warnings = mapped.warnings + [(None, w) for w in summary_mismatches(parsed)]
    return ExportFrames(parsed, _text_frame(mapped.lines, list(orders.COLUMNS), raws),
                        _text_frame(mapped.refunds, list(refunds.COLUMNS), raws), reject_frame, warnings,
                        _span(parsed, mapped, timezone))


def export_reject_rows(frames: ExportFrames, relative: str, file_hash: str, file_seq: int) -> pl.DataFrame:
    """The rows the export itself rejected, as rows of the `rejects` table (kind orders, one row each)."""
    return frames.rejects.select(
        pl.lit(relative).alias("source_file"), pl.col("sheet_row").alias("row_number"), "reason", "raw",
        pl.lit("orders").alias("kind"), pl.lit(file_hash).alias("file_hash"), "listing_id", "created_at",
        "order_id", "line_no", pl.lit(file_seq, pl.Int64).alias("file_seq"), pl.lit(1, pl.Int64).alias("rows_rejected"),
        pl.lit(None, pl.String).alias("for_run"))


def export_warning_rows(frames: ExportFrames, relative: str, file_hash: str, file_seq: int,
                        ingested_by: str) -> pl.DataFrame:
    """The export's warnings, as rows of the `export_warnings` table."""
    return pl.DataFrame(
        [{"file_hash": file_hash, "source_file": relative, "file_seq": file_seq, "seq": seq, "order_id": order,
          "warning": text, "ingested_by": ingested_by} for seq, (order, text) in enumerate(frames.warnings, start=1)],
        schema={"file_hash": pl.String, "source_file": pl.String, "file_seq": pl.Int64, "seq": pl.Int64,
                "order_id": pl.String, "warning": pl.String, "ingested_by": pl.String}, orient="row")



def _span(parsed: ParsedExport, mapped: MappedExport, timezone: str) -> tuple[datetime, datetime, datetime] | None:
    """(from, to, as of): the time span over which the export lists its group's orders in full (its
    first to its last order, widened to its 说明 range) and its version time. None when it has no
    line, or a row it could not read hides which order that row was."""
    if not mapped.lines or parsed.rows.rejects:
        return None
    created = [line["created_at"] for line in mapped.lines]
    start, end = min(created), max(created)
    if parsed.time_range is not None:
        tz = ZoneInfo(timezone)
        first, last = (t.replace(tzinfo=tz) for t in parsed.time_range)
        start, end = min(start, first), max(end, last)
    return start, end, max(line["updated_at"] for line in mapped.lines)


def export_span_rows(frames: ExportFrames, relative: str, file_seq: int, ingested_by: str) -> pl.DataFrame:
    """The export's span (`_span`) as a row for `cancel_left_out`."""
    schema = {"group_prefix": pl.String, "span_from": pl.Datetime("us", "UTC"), "span_to": pl.Datetime("us", "UTC"),
              "version_at": pl.Datetime("us", "UTC"), "source_file": pl.String, "file_seq": pl.Int64,
              "header_row": pl.Int64, "ingested_by": pl.String}
    if frames.span is None:
        return pl.DataFrame(schema=schema)
    start, end, version = (_utc(t) for t in frames.span)
    prefix = order_id(frames.parsed.layout.platform, frames.parsed.group, "")
    return pl.DataFrame([{"group_prefix": prefix, "span_from": start, "span_to": end, "version_at": version,
                          "source_file": relative, "file_seq": file_seq, "header_row": frames.parsed.line.header_row,
                          "ingested_by": ingested_by}],
                        schema=schema, orient="row")


def cancel_left_out(warehouse, spans: pl.DataFrame) -> None:
    """A later export of a group states its orders in full over its span: a stored line of that
    group, created in the span, that the export no longer lists (an item or order cancelled: 小区团购
    leaves cancelled ones out) and did not reject, gets a new version, cancelled as of the export
    (inside load_inbox's transaction, after the export's own lines). Each is a warning
    `export_cancelled:` of that order."""
    if spans.height == 0:
        return
    seq = SEQ_PER_FILE
    warehouse.con.register("_spans", spans)
    try:
        left_out = warehouse.frame(f"""
            SELECT o.order_id, o.line_no, s.source_file, s.file_seq, s.version_at, s.header_row, s.ingested_by
            FROM order_lines o JOIN _spans s ON starts_with(o.order_id, s.group_prefix)
            WHERE o.created_at BETWEEN s.span_from AND s.span_to AND o.ingest_seq < s.file_seq * {seq}
              AND o.status <> 'cancelled' AND o.updated_at <= s.version_at
              AND NOT EXISTS (SELECT 1 FROM rejects r WHERE r.file_seq = s.file_seq AND r.order_id = o.order_id
                                                      AND r.line_no = CAST(o.line_no AS VARCHAR))
            ORDER BY s.file_seq, o.order_id, o.line_no""")
        if left_out.height == 0:
            return
        warehouse.con.register("_left_out", left_out)
        try:
            warehouse.execute(f"""
                UPDATE order_lines o SET status = 'cancelled', updated_at = l.version_at, source_file = l.source_file,
                       source_row = l.header_row, ingest_seq = l.file_seq * {seq}
                FROM _left_out l WHERE o.order_id = l.order_id AND o.line_no = l.line_no""")
        finally:
            warehouse.con.unregister("_left_out")
    finally:
        warehouse.con.unregister("_spans")
    warnings = left_out.group_by("source_file", "file_seq", "ingested_by", "order_id", maintain_order=True).agg(
        "line_no")
    warehouse.insert("export_warnings", pl.DataFrame(
        [{"file_hash": "", "source_file": row["source_file"], "file_seq": row["file_seq"], "seq": 10_000 + n,
          "order_id": row["order_id"], "ingested_by": row["ingested_by"],
          "warning": f"export_cancelled: {row['source_file']}: order {row['order_id']} line(s) "
                     f"{', '.join(map(str, row['line_no']))} are not in this export, which lists its group's orders "
                     f"of that time: cancelled"}
         for n, row in enumerate(warnings.iter_rows(named=True), start=1)]))
