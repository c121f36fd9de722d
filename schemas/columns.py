"""Shared pieces of the input models: the id pattern and how a raw column is read."""

from __future__ import annotations

from dataclasses import dataclass

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
PHONE_TAIL_PATTERN = r"^\d{4}$"
TIERS_PATTERN = r"^\d+:\d+(\|\d+:\d+)*$"
MAX_BP = 10_000


@dataclass(frozen=True)
class ColumnSpec:
    """One input column as it arrives: its kind (`str`, `int`, `ts`, `date`), whether the file must have
    the column (`*` in the contract), and the default for an empty value."""

    kind: str = "str"
    required: bool = False
    default: object = None


def required(kind: str = "str") -> ColumnSpec:
    return ColumnSpec(kind, required=True)


def optional(kind: str = "str", default: object = None) -> ColumnSpec:
    return ColumnSpec(kind, required=False, default=default)
