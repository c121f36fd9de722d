"""The demand behind a history of nightly cutoffs (`cutoff generate --history-weeks`): what each SKU
would sell each day, and the order lines that sale is made of.

Each SKU's expected order lines on day t are
    base x weekday(category, t) x holiday(category, t) x weather(t) x trend(t) x life(t) x shock
- base: log-normal sizes; a fifth of the SKUs are intermittent (a line or two a day, many zeros);
- weekday: each category's week (weekends busier for most), a 调休 working day as a mean working day;
- holiday: each category's factor on the days of an official break (transforms.forecast_calendar);
- weather: rain +15%, heat +8%, cold -8% (the weather file the generator writes);
- trend: a third of the SKUs grow or shrink a little every day;
- life: a few SKUs are new (not on sale before their first day, then ramping up), a few dying
  (fading over two weeks, then off sale);
- shock: a day-to-day log-normal noise.
A SKU is on sale (listed) on ~93% of its days. The lines of a SKU-day go to pickup points by the
point's size and the SKU's own affinity to it, to the point's customers (some SKUs keep their
regular buyers: the repeat-customer rate), with 1-10 units each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from synthetic.shape import QTY_P

INTERMITTENT_SHARE = 0.20
TREND_SHARE = 0.33
NEW_SHARE, DYING_SHARE = 0.08, 0.08
LISTED_P = 0.93
SHOCK_SIGMA = 0.20
WEEK_SHAPE = np.array([-0.12, -0.08, -0.04, 0.0, 0.08, 0.18, -0.02])  # Monday..Sunday
WEATHER_EFFECT = {"rain": 1.15, "hot": 1.08, "cold": 0.92, "fair": 1.0}


@dataclass(frozen=True)
class Demand:
    """Expected lines per day and SKU, and whether the SKU is on sale that day."""

    rates: np.ndarray      # (days, skus) expected order lines
    listed: np.ndarray     # (days, skus) bool
    regulars: np.ndarray   # (skus,) the share of a SKU's lines bought by its regular customers


def demand_rates(rng: np.random.Generator, categories: list[str], days: list[date], day_kinds: list[str],
                 weather: list[str | None], lines_per_day: float) -> Demand:
    """The expected lines of each SKU (whose category is `categories[s]`) on each day."""
    n_days, n_skus = len(days), len(categories)
    names = sorted(set(categories))
    category = np.array([names.index(c) for c in categories])
    amplitude = rng.uniform(0.6, 1.6, len(names))
    week = 1.0 + amplitude[:, None] * WEEK_SHAPE[None, :]                   # (categories, 7)
    holiday = rng.uniform(1.15, 1.6, len(names))
    weekday = np.array([d.weekday() for d in days])
    day_week = week[:, weekday].T[:, category]                               # (days, skus)
    shift_week = week[:, :5].mean(axis=1)[category]
    kinds = np.array(day_kinds)
    day_week = np.where((kinds == "shift")[:, None], shift_week[None, :], day_week)
    day_week = np.where((kinds == "holiday")[:, None], holiday[category][None, :], day_week)
    climate = np.array([WEATHER_EFFECT.get(w or "fair", 1.0) for w in weather])[:, None]

    base = rng.lognormal(0.0, 1.0, n_skus)
    intermittent = rng.random(n_skus) < INTERMITTENT_SHARE
    t = np.arange(n_days)[:, None]
    steepness = rng.choice((-1, 1), n_skus) * rng.uniform(0.004, 0.012, n_skus)
    slope = np.where(rng.random(n_skus) < TREND_SHARE, steepness, 0)
    trend = np.exp(slope[None, :] * (t - n_days / 2))
    life, on_sale = lifecycles(rng, n_days, n_skus)
    shock = rng.lognormal(-SHOCK_SIGMA ** 2 / 2, SHOCK_SIGMA, (n_days, n_skus))
    shape = day_week * climate * trend * life
    regular = shape.mean(axis=0) * base
    scale = lines_per_day / max(regular[~intermittent].sum(), 1e-9)
    rates = np.where(intermittent[None, :], rng.uniform(0.3, 2.0, n_skus)[None, :] * shape, base * scale * shape)
    listed = on_sale & (rng.random((n_days, n_skus)) < LISTED_P)
    return Demand(rates * shock, listed, rng.beta(1.2, 3.0, n_skus))


def lifecycles(rng: np.random.Generator, n_days: int, n_skus: int) -> tuple[np.ndarray, np.ndarray]:
    """(life multiplier, on sale) per day and SKU: new SKUs start late and ramp up over a week;
    dying ones fade over two weeks and then leave the range."""
    t = np.arange(n_days)[:, None]
    draw = rng.random(n_skus)
    new, dying = draw < NEW_SHARE, (draw >= NEW_SHARE) & (draw < NEW_SHARE + DYING_SHARE)
    if n_skus >= 10:  # one of each at least, so a small data set shows them too
        new[0], dying[1] = True, True
        new[1] = dying[0] = False
    start = np.where(new, rng.integers(n_days // 3, max(n_days // 3 + 1, n_days - 10), n_skus), 0)
    end = np.where(dying, rng.integers(n_days // 2, max(n_days // 2 + 1, n_days - 14), n_skus), n_days + 100)
    ramp = np.clip(1 - np.exp(-(t - start[None, :] + 1) / 3.0), 0, 1)
    fade = np.clip((end[None, :] - t) / 14.0, 0.15, 1.0)
    life = np.where(new[None, :], ramp, 1.0) * np.where(dying[None, :], fade, 1.0)
    on_sale = (t >= start[None, :]) & (t < end[None, :])
    return life, on_sale


@dataclass(frozen=True)
class Buyers:
    """Pickup points (sizes, and each SKU's affinity to them) and the customers living there."""

    point_cdf: np.ndarray      # (skus, points) each row a cumulative distribution
    first_customer: np.ndarray  # (points,) index of the point's first customer
    customers_at: np.ndarray    # (points,) how many customers live there


def make_buyers(rng: np.random.Generator, n_skus: int, n_points: int, n_customers: int) -> Buyers:
    size = rng.lognormal(0.0, 0.8, n_points)
    affinity = rng.gamma(2.0, 0.5, (n_skus, n_points)) * size[None, :]
    cdf = np.cumsum(affinity, axis=1)
    cdf /= cdf[:, -1:]
    counts = np.maximum(1, np.round(size / size.sum() * n_customers)).astype(np.int64)
    return Buyers(cdf, np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)


def day_lines(rng: np.random.Generator, demand: Demand, buyers: Buyers, t: int) -> pl.DataFrame:
    """The order lines of day t: sku (index), point (index), customer (index), qty."""
    rates = np.where(demand.listed[t], demand.rates[t], 0.0)
    counts = rng.poisson(rates)
    sku = np.repeat(np.arange(len(counts)), counts)
    n = len(sku)
    n_points = buyers.point_cdf.shape[1]
    flat = (buyers.point_cdf + np.arange(len(counts))[:, None]).ravel()
    point = np.searchsorted(flat, sku + rng.random(n)) - sku * n_points
    point = np.minimum(point, n_points - 1)
    size = buyers.customers_at[point]
    regular = rng.random(n) < demand.regulars[sku]
    offset = np.where(regular, (sku * 7919 + rng.integers(0, 3, n)) % size, rng.integers(0, 1 << 30, n) % size)
    qty = rng.choice(len(QTY_P), n, p=QTY_P) + 1
    return pl.DataFrame({"sku": sku, "point": point, "customer": buyers.first_customer[point] + offset,
                         "qty": qty.astype(np.int64)})
