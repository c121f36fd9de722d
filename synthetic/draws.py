"""Small vectorised draws and formats shared by the generator's modules."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

LOCAL_FORMAT = "%Y-%m-%dT%H:%M:%S"
EPOCH = datetime(1970, 1, 1)


def number_ids(prefix: str, n: int, width: int) -> pl.Series:
    """`S001`, `SKU0001`, ...: 1-based, zero-padded to `width` or wider when n needs it."""
    return numbered(prefix, np.arange(1, n + 1), max(width, len(str(n))))


def numbered(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    """`prefix` + each number zero-padded to `width`, vectorised."""
    padded = pl.Series(numbers, dtype=pl.Int64).cast(pl.String).str.zfill(width)
    return pl.select(pl.concat_str(pl.lit(prefix), padded)).to_series()


def take(values: pl.Series, index: np.ndarray) -> pl.Series:
    """values[index], with null where index is -1."""
    taken = values.gather(np.maximum(index, 0))
    missing = np.flatnonzero(index < 0)
    return taken.scatter(missing, None) if len(missing) else taken


def zipf_weights(rng: np.random.Generator, n: int, exponent: float = 0.8) -> np.ndarray:
    """Popularity weights 1/rank^s over a random ranking of n things."""
    weights = 1.0 / (rng.permutation(n) + 1.0) ** exponent
    return weights / weights.sum()


def some(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """A random mask of about `share` of n, with at least one True so small sets show every rule."""
    mask = rng.random(n) < share
    if n and not mask.any():
        mask[rng.integers(n)] = True
    return mask


def epoch(local: datetime) -> int:
    """Seconds since 1970-01-01 00:00 of a local (naive) datetime: arithmetic in local time."""
    return int((local - EPOCH).total_seconds())


def format_local(seconds: pl.Series | pl.Expr) -> pl.Series | pl.Expr:
    """Local epoch seconds as `2026-11-21T13:05:07` (no offset: the contract's local time)."""
    return pl.from_epoch(seconds, time_unit="s").dt.strftime(LOCAL_FORMAT)
