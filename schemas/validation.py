"""Run a Pandera model over a typed input frame and say, per row, what is wrong.

Rows are numbered by the reader (`_row`, 1-based, as the file shows them). A row that did not parse
is rejected with the parse problem; the others go through the model, whose failure cases
(`index` = position in the frame) become readable reasons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

ROW = "_row"
PARSE_ERROR = "_parse_error"


@dataclass(frozen=True)
class Reference:
    """Values of a column must exist in another table: `column` in `values`, named `source`."""

    column: str
    values: pl.Series
    source: str


def describe_check(check: str, column: str, value: object) -> str:
    """Turn a Pandera check name into the words an operator reads."""
    shown = "" if value is None else f" '{value}'"
    if check == "not_nullable":
        return f"{column} is required"
    if check == "field_uniqueness":
        return f"duplicate {column}{shown}"
    if check.startswith("references "):
        return f"{column}{shown} is not in {check.removeprefix('references ')}"
    if check.startswith("str_matches"):
        return f"{column}{shown} has a bad format (ids are letters, digits, _ . -, up to 64)" \
            if column.endswith("_id") else f"{column}{shown} has a bad format"
    if check.startswith("notin"):
        return f"{column}{shown} is reserved: it may not be used"
    if check.startswith("isin"):
        allowed = re.sub(r"^isin\(\[?|\]?\)$", "", check)
        return f"{column}{shown} must be one of {allowed}"
    for name, words in (("greater_than_or_equal_to", ">="), ("less_than_or_equal_to", "<="),
                        ("greater_than", ">"), ("less_than", "<")):
        if check.startswith(name + "("):
            return f"{column}{shown} must be {words} {check[len(name) + 1:-1]}"
    if check.startswith("dtype"):
        return f"{column} has the wrong type ({check})"
    return f"{check}" if column in ("", None) else f"{column}{shown}: {check}"


def with_references(model: type[pa.DataFrameModel], references: list[Reference]) -> pa.DataFrameSchema:
    schema = model.to_schema()
    for ref in references:
        column = schema.columns[ref.column]
        check = pa.Check.isin(ref.values.drop_nulls().unique().to_list(), error=f"references {ref.source}")
        schema = schema.update_column(ref.column, checks=[*column.checks, check])
    return schema


def failure_reasons(failure_cases: pl.DataFrame, model_name: str) -> pl.DataFrame:
    """Failure cases -> one row per failing frame position: `index`, `reason` (`; `-joined).

    Schema-level failures (null index) keep a null index: they concern the whole table.
    """
    rows = []
    for case in failure_cases.iter_rows(named=True):  # failures, not data rows: few
        column = case["column"] if case["column"] != model_name else ""
        value = case["failure_case"] if column else None
        rows.append({"index": case["index"], "reason": describe_check(case["check"], column, value)})
    if not rows:
        return pl.DataFrame(schema={"index": pl.Int64, "reason": pl.String})
    return (pl.DataFrame(rows, schema={"index": pl.Int64, "reason": pl.String}, orient="row")
            .unique(maintain_order=True)
            .group_by("index", maintain_order=True).agg(pl.col("reason").str.join("; ")))


def validate_rows(typed: pl.DataFrame, model: type[pa.DataFrameModel],
                  references: list[Reference] = ()) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a parsed frame into (valid rows, rejected rows with `_row` and `reason`)."""
    unparsed = typed.filter(pl.col(PARSE_ERROR).is_not_null())
    parsed = typed.filter(pl.col(PARSE_ERROR).is_null()).drop(PARSE_ERROR)
    rejected = [unparsed.select(ROW, pl.col(PARSE_ERROR).alias("reason"))]
    schema = with_references(model, list(references))
    try:
        schema.validate(parsed.drop(ROW), lazy=True)
        valid = parsed
    except pa.errors.SchemaErrors as err:
        reasons = failure_reasons(err.failure_cases, model.__name__)
        whole = reasons.filter(pl.col("index").is_null())
        if whole.height:
            raise ValueError("; ".join(whole["reason"])) from err
        positions = parsed.with_row_index("index").with_columns(pl.col("index").cast(pl.Int64))
        # only the row number and position: an input column of the same name (a refund's own
        # `reason`, e.g. 破损) must not take the place of the validation error
        bad = positions.select(ROW, "index").join(reasons, on="index", how="inner")
        rejected.append(bad.select(ROW, "reason"))
        valid = positions.join(reasons, on="index", how="anti").drop("index")
    return valid, pl.concat(rejected).sort(ROW)
