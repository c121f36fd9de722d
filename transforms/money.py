"""Money is integer fen; rates are integer basis points. One rounding rule, in one place."""

from __future__ import annotations

import polars as pl

BP_DENOMINATOR = 10_000


def round_half_even(numerator: int, denominator: int = BP_DENOMINATOR) -> int:
    """Round the exact rational numerator/denominator to the nearest integer, ties to even.

    Integers only: `round_half_even(30800 * 1500)` is 4620 fen.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(numerator, denominator)  # floor division, 0 <= remainder < den
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def round_half_even_expr(numerator: pl.Expr, denominator: int = BP_DENOMINATOR) -> pl.Expr:
    """The same rule as `round_half_even`, vectorised over an integer column."""
    quotient = numerator // denominator
    twice = (numerator - quotient * denominator) * 2
    round_up = (twice > denominator) | ((twice == denominator) & (quotient % 2 == 1))
    return (quotient + round_up.cast(pl.Int64)).cast(pl.Int64)


def fen_to_yuan_text(fen: int) -> str:
    """Display 123456 fen as '1234.56' (string arithmetic; no float touches money)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def fen_to_yuan_display(fen: int) -> str:
    """Display 123456789 fen as '¥1,234,567.89' (thousands separators, for people to read)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"
